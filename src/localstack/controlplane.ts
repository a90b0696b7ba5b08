import { readFileSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { join } from "node:path";
import { requireBinaries } from "./binaries.js";
import { type ControlPlaneCerts, generateControlPlaneCerts, issueClientCert } from "./certs.js";
import { freePort } from "./ports.js";
import { ManagedProcess, waitFor } from "./processes.js";

export interface ControlPlane {
  /** https://127.0.0.1:PORT */
  server: string;
  /** Kubeconfig of the admin user (group system:masters). */
  kubeconfigPath: string;
  certs: ControlPlaneCerts;
  /** Writes a kubeconfig for a user authenticated by a client certificate (CN = user, O = groups). */
  kubeconfigFor(user: string, groups?: string[]): Promise<string>;
  processes: ManagedProcess[];
  stop(): Promise<void>;
}

/**
 * etcd + kube-apiserver on free loopback ports, as controller-runtime's envtest starts them: no
 * kubelet, scheduler or controller-manager, so Pods never run and namespaces never finish deleting.
 */
export async function startControlPlane(workDir: string): Promise<ControlPlane> {
  const bins = requireBinaries(["etcd", "kubeApiserver"]);
  const certs = await generateControlPlaneCerts(join(workDir, "pki"));
  const [etcdClientPort, etcdPeerPort, apiPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
  const env = { PATH: process.env.PATH, HOME: process.env.HOME };

  const etcd = ManagedProcess.start(
    "etcd",
    bins.etcd,
    [
      `--data-dir=${join(workDir, "etcd")}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${etcdPeerPort}`,
      // A throwaway test store: durability buys nothing and fsync dominates on slow disks.
      "--unsafe-no-fsync",
      "--log-level=warn",
    ],
    { logFile: join(workDir, "etcd.log"), env },
  );
  const processes = [etcd];
  const stopAll = async () => {
    // The API server first, so it does not spend its shutdown retrying a vanished etcd.
    for (const p of [...processes].reverse()) await p.stop();
  };
  try {
    await waitFor(
      async () => {
        const res = await fetch(`${etcdUrl}/health`, { signal: AbortSignal.timeout(2000) });
        return res.ok;
      },
      { timeoutMs: 30_000, description: "etcd /health", process: etcd },
    );

    const apiserver = ManagedProcess.start(
      "kube-apiserver",
      bins.kubeApiserver,
      [
        `--etcd-servers=${etcdUrl}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        `--secure-port=${apiPort}`,
        `--cert-dir=${join(workDir, "apiserver-certs")}`,
        `--tls-cert-file=${certs.serving.cert}`,
        `--tls-private-key-file=${certs.serving.key}`,
        `--client-ca-file=${certs.ca.cert}`,
        "--authorization-mode=RBAC",
        "--anonymous-auth=false",
        `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
        `--service-account-key-file=${certs.serviceAccount.publicKey}`,
        `--service-account-signing-key-file=${certs.serviceAccount.privateKey}`,
        "--service-cluster-ip-range=10.0.0.0/24",
        "--allow-privileged=true",
        // Without a controller-manager no token controller runs; the admission plugin would otherwise
        // insist on it for Pods. Nothing here runs Pods.
        "--disable-admission-plugins=ServiceAccount",
        "--enable-priority-and-fairness=false",
        "--storage-backend=etcd3",
        "--v=1",
      ],
      { logFile: join(workDir, "kube-apiserver.log"), env },
    );
    processes.push(apiserver);

    const server = `https://127.0.0.1:${apiPort}`;
    const ca = readFileSync(certs.ca.cert);
    const agent = new Agent({ ca, cert: readFileSync(certs.admin.cert), key: readFileSync(certs.admin.key) });
    await waitFor(() => httpsGetStatus(`${server}/readyz`, agent).then((s) => s === 200), {
      timeoutMs: 120_000,
      description: "kube-apiserver /readyz",
      process: apiserver,
    });
    agent.destroy();

    const kubeconfigPath = join(workDir, "kubeconfig");
    writeKubeconfig(kubeconfigPath, server, certs.ca.cert, certs.admin.cert, certs.admin.key, "admin");
    return {
      server,
      kubeconfigPath,
      certs,
      processes,
      async kubeconfigFor(user, groups = []) {
        const safe = user.replace(/[^a-zA-Z0-9_.-]/g, "_");
        const pair = await issueClientCert(certs.dir, certs.ca, `user-${safe}`, user, groups);
        const path = join(workDir, `kubeconfig-${safe}`);
        writeKubeconfig(path, server, certs.ca.cert, pair.cert, pair.key, user);
        return path;
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

function httpsGetStatus(url: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

function b64(file: string): string {
  return readFileSync(file).toString("base64");
}

function writeKubeconfig(path: string, server: string, ca: string, cert: string, key: string, user: string) {
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "local", cluster: { server, "certificate-authority-data": b64(ca) } }],
    users: [{ name: user, user: { "client-certificate-data": b64(cert), "client-key-data": b64(key) } }],
    contexts: [{ name: user === "admin" ? "local" : `local-${user}`, context: { cluster: "local", user } }],
    "current-context": user === "admin" ? "local" : `local-${user}`,
  };
  // JSON is valid YAML; kubeconfigs hold private keys, so only the owner may read them.
  writeFileSync(path, JSON.stringify(config, null, 2), { mode: 0o600 });
}
