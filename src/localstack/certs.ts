import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

// Node's crypto makes keys but not X.509 certificates, so the openssl CLI (present wherever kubectl
// and Go toolchains are) signs them. EC P-256 keeps generation to milliseconds.
async function openssl(args: string[], cwd: string): Promise<void> {
  await run("openssl", args, { cwd });
}

export interface KeyPair {
  cert: string;
  key: string;
}

export interface ControlPlaneCerts {
  dir: string;
  /** CA that signs the serving certificate and the client certificates. */
  ca: KeyPair;
  serving: KeyPair;
  admin: KeyPair;
  /** Service-account token signing key pair. */
  serviceAccount: { publicKey: string; privateKey: string };
}

async function newKey(dir: string, name: string): Promise<string> {
  const key = join(dir, `${name}.key`);
  await openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key], dir);
  return key;
}

/** Signs a certificate for `subject` with the CA; `ext` is an openssl extension section body. */
async function issue(dir: string, ca: KeyPair, name: string, subject: string, ext: string): Promise<KeyPair> {
  const key = await newKey(dir, name);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const extFile = join(dir, `${name}.ext`);
  writeFileSync(extFile, ext);
  await openssl(["req", "-new", "-key", key, "-subj", subject, "-out", csr], dir);
  await openssl(
    [
      "x509",
      "-req",
      "-in",
      csr,
      "-CA",
      ca.cert,
      "-CAkey",
      ca.key,
      "-CAcreateserial",
      "-days",
      "7",
      "-sha256",
      "-extfile",
      extFile,
      "-out",
      cert,
    ],
    dir,
  );
  return { cert, key };
}

export async function generateControlPlaneCerts(dir: string): Promise<ControlPlaneCerts> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caKey = await newKey(dir, "ca");
  const caCert = join(dir, "ca.crt");
  await openssl(
    [
      "req",
      "-x509",
      "-new",
      "-key",
      caKey,
      "-subj",
      "/CN=managed-flink-local-ca",
      "-days",
      "7",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
      "-out",
      caCert,
    ],
    dir,
  );
  const ca = { cert: caCert, key: caKey };
  const [serving, admin, saKey] = await Promise.all([
    issue(
      dir,
      ca,
      "apiserver",
      "/CN=kube-apiserver",
      "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n" +
        "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\n",
    ),
    // Group system:masters is bound to cluster-admin by the API server's bootstrap RBAC policy.
    issueClientCert(dir, ca, "admin", "admin", ["system:masters"]),
    newKey(dir, "service-account"),
  ]);
  const saPub = join(dir, "service-account.pub");
  await openssl(["pkey", "-in", saKey, "-pubout", "-out", saPub], dir);
  return { dir, ca, serving, admin, serviceAccount: { publicKey: saPub, privateKey: saKey } };
}

/** A client certificate: CN is the user name and each O a group, as the API server's x509 authenticator reads them. */
export function issueClientCert(
  dir: string,
  ca: KeyPair,
  fileName: string,
  user: string,
  groups: string[] = [],
): Promise<KeyPair> {
  const subject = `${groups.map((g) => `/O=${g}`).join("")}/CN=${user}`;
  return issue(
    dir,
    ca,
    fileName,
    subject,
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n",
  );
}
