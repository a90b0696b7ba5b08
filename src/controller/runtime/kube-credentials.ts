// Where the API server is and how to authenticate to it, without loading @kubernetes/client-node when
// the configuration is one of the two kinds every operator meets: a pod's service account, or a
// kubeconfig whose user is a client certificate or a bearer token. client-node's KubeConfig imports
// the package's whole generated API (~26 MiB of heap and ~65 MiB of RSS in a process that otherwise
// needs ~70 MiB, measured for issue 12); anything else — exec plugins, auth providers, proxies,
// several kubeconfig files — still goes to client-node, loaded only then.
import { existsSync, readFileSync } from "node:fs";
import type https from "node:https";
import { homedir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { parse } from "yaml";

/** What KubeTransport needs; client-node's KubeConfig has the same two methods. */
export interface KubeCredentials {
  getCurrentCluster(): { server: string; proxyUrl?: string } | null;
  applyToHTTPSOptions(opts: https.RequestOptions): Promise<void>;
}

/** Where a pod's service account is mounted (https://kubernetes.io/docs/tasks/run-application/access-api-from-pod/). */
export const serviceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

/** A projected token rotates; client-go re-reads the file at most once a minute (cachingTokenSource). */
const tokenRereadMs = 60_000;

interface Material {
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  token?: string;
  tokenFile?: string;
  insecure?: boolean;
  servername?: string;
}

class StaticCredentials implements KubeCredentials {
  private token: { value?: string; readAt: number } = { readAt: Number.NEGATIVE_INFINITY };
  constructor(
    private readonly m: Material,
    private readonly now: () => number = Date.now,
  ) {}

  getCurrentCluster() {
    return { server: this.m.server };
  }

  async applyToHTTPSOptions(opts: https.RequestOptions): Promise<void> {
    const { ca, cert, key, insecure, servername } = this.m;
    if (ca) opts.ca = ca;
    if (cert) opts.cert = cert;
    if (key) opts.key = key;
    if (insecure) opts.rejectUnauthorized = false;
    if (servername) opts.servername = servername;
    const token = this.bearer();
    if (token) opts.headers = { ...opts.headers, Authorization: `Bearer ${token}` };
  }

  private bearer(): string | undefined {
    if (!this.m.tokenFile) return this.m.token;
    if (this.now() - this.token.readAt >= tokenRereadMs) {
      this.token = { value: readFileSync(this.m.tokenFile, "utf8").trim(), readAt: this.now() };
    }
    return this.token.value;
  }
}

type Named<T> = { name: string } & T;
interface KubeconfigFile {
  "current-context"?: string;
  contexts?: Named<{ context: { cluster: string; user: string } }>[];
  clusters?: Named<{ cluster: Record<string, unknown> }>[];
  users?: Named<{ user?: Record<string, unknown> }>[];
}

/** The user and cluster fields this loader handles itself; any other field sends the file to client-node. */
const ownUserFields = new Set([
  "client-certificate",
  "client-certificate-data",
  "client-key",
  "client-key-data",
  "token",
  "tokenFile",
]);
const ownClusterFields = new Set([
  "server",
  "certificate-authority",
  "certificate-authority-data",
  "insecure-skip-tls-verify",
  "tls-server-name",
]);

/** The material for a kubeconfig this loader understands, or undefined to leave it to client-node. */
export function fromKubeconfig(text: string, path: string): Material | undefined {
  const cfg = parse(text) as KubeconfigFile;
  const ctx = cfg.contexts?.find((c) => c.name === cfg["current-context"])?.context;
  const cluster = cfg.clusters?.find((c) => c.name === ctx?.cluster)?.cluster;
  const user = cfg.users?.find((u) => u.name === ctx?.user)?.user ?? {};
  if (!ctx || !cluster || typeof cluster.server !== "string") return undefined;
  if (Object.keys(user).some((k) => !ownUserFields.has(k))) return undefined;
  if (Object.keys(cluster).some((k) => !ownClusterFields.has(k))) return undefined;
  // Relative file names in a kubeconfig are relative to the file (client-go's ResolvePaths).
  const file = (p: unknown) =>
    readFileSync(isAbsolute(String(p)) ? String(p) : join(dirname(path), String(p)));
  const material = (data: unknown, name: unknown) =>
    data ? Buffer.from(String(data), "base64") : name ? file(name) : undefined;
  return {
    server: cluster.server,
    ca: material(cluster["certificate-authority-data"], cluster["certificate-authority"]),
    cert: material(user["client-certificate-data"], user["client-certificate"]),
    key: material(user["client-key-data"], user["client-key"]),
    token: user.token as string | undefined,
    tokenFile: user.tokenFile
      ? isAbsolute(String(user.tokenFile))
        ? String(user.tokenFile)
        : join(dirname(path), String(user.tokenFile))
      : undefined,
    insecure: cluster["insecure-skip-tls-verify"] === true,
    servername: cluster["tls-server-name"] as string | undefined,
  };
}

/** A pod's own service account, as client-go's rest.InClusterConfig reads it. */
export function inCluster(env: NodeJS.ProcessEnv, dir = serviceAccountDir): Material | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port || !existsSync(join(dir, "token"))) return undefined;
  const server = `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
  return { server, ca: readFileSync(join(dir, "ca.crt")), tokenFile: join(dir, "token") };
}

/**
 * client-node's KubeConfig.loadFromDefault order: $KUBECONFIG, then ~/.kube/config, then the pod's
 * service account. Handled here when the configuration is one file (or the service account) with a
 * certificate or a token; otherwise client-node's KubeConfig, imported only now.
 */
export async function loadKubeCredentials(env: NodeJS.ProcessEnv = process.env): Promise<KubeCredentials> {
  const files = env.KUBECONFIG ? env.KUBECONFIG.split(":").filter(Boolean) : [];
  const home = join(homedir(), ".kube", "config");
  const single = files.length === 1 ? files[0]! : files.length === 0 && existsSync(home) ? home : undefined;
  const own =
    files.length > 1
      ? undefined
      : single
        ? fromKubeconfig(readFileSync(single, "utf8"), single)
        : inCluster(env);
  if (own) return new StaticCredentials(own);
  const { KubeConfig } = await import("@kubernetes/client-node");
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc;
}

export { StaticCredentials };
