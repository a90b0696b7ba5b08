// The one way the controller talks to the API server: the informer's lists and watches, the leader
// Lease, Events and status writes all go through a KubeTransport, over one keep-alive connection pool.
import http from "node:http";
import https from "node:https";
import { createInterface } from "node:readline";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { KubeCredentials } from "./kube-credentials.js";

/** One line of a watch stream (https://kubernetes.io/docs/reference/using-api/api-concepts/#watch-events). */
export interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR" | string;
  object: KubernetesObject & { code?: number; reason?: string; message?: string };
}

/**
 * Every failure the API server reports: a non-2xx answer or an ERROR watch event. `reason` is the
 * metav1.Status reason (NotFound, Conflict, AlreadyExists, Expired, ...) when the body was a Status,
 * which is what client-go's apierrors.IsNotFound & co. look at.
 */
export class KubeApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
    this.name = "KubeApiError";
  }
}

/** 410 Gone: the resourceVersion (or continue token) is older than the server can serve from. */
export function isGone(err: unknown): boolean {
  return (
    err instanceof KubeApiError &&
    (err.statusCode === 410 || err.reason === "Expired" || err.reason === "Gone")
  );
}

export function isNotFound(err: unknown): boolean {
  return err instanceof KubeApiError && err.statusCode === 404;
}

export function isConflict(err: unknown): boolean {
  return err instanceof KubeApiError && err.statusCode === 409;
}

export interface RequestOptions {
  query?: Record<string, string>;
  /** Serialized as JSON. */
  body?: unknown;
  /** Defaults to application/json; merge patches need application/merge-patch+json. */
  contentType?: string;
  signal?: AbortSignal;
  /** Deadline for the whole call, body included; 0 leaves it to `signal`. Default: the transport's. */
  timeoutMs?: number;
}

export interface KubeTransportOptions {
  /** Default deadline of one call (not of a watch). Default 30 s. */
  timeoutMs?: number;
  /**
   * How long an idle connection stays in the pool. kube-apiserver closes connections idle for 90 s
   * (k8s.io/apiserver secure_serving.go, http.Server IdleTimeout); dropping ours well before that keeps
   * us from writing a request into a connection the server is closing. Default 30 s.
   */
  idleSocketTimeoutMs?: number;
}

/**
 * A JSON client for the Kubernetes API with one keep-alive agent for every call, watches included.
 *
 * client-node's KubeConfig.applyToHTTPSOptions builds a new https.Agent on every call, so a client
 * that uses the agent it returns opens a new TCP and TLS connection per request. Here the credentials
 * are still applied per request (exec plugins, OIDC and projected service-account tokens rotate), but
 * the TLS material goes on the request options of our own agent, which pools sockets by exactly that
 * material (Node's Agent#getName): a rotated client certificate gets a new connection, everything else
 * reuses one. Requests are HTTP/1.1; client-go multiplexes over HTTP/2 instead, which Node's http
 * module does not speak.
 */
export class KubeTransport {
  private readonly server: string;
  private readonly agent: http.Agent;
  private readonly secure: boolean;
  private readonly proxied: boolean;
  private readonly timeoutMs: number;
  /** Requests sent and TCP connections opened for them; reuse is the difference. */
  readonly stats = { requests: 0, connections: 0 };

  constructor(
    private readonly kc: KubeCredentials,
    opts: KubeTransportOptions = {},
  ) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error("the kubeconfig has no current cluster");
    this.server = cluster.server.replace(/\/$/, "");
    this.secure = this.server.startsWith("https:");
    // A proxy-url needs client-node's proxy agent; those requests keep its per-call agent.
    this.proxied = Boolean(cluster.proxyUrl);
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    const agentOptions = { keepAlive: true, timeout: opts.idleSocketTimeoutMs ?? 30_000 };
    this.agent = this.secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  }

  /** One call; resolves with the parsed body, rejects with KubeApiError on a non-2xx status. */
  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const deadline = this.deadline(opts);
    try {
      const res = await this.send(method, path, opts, deadline.signal);
      const text = await readAll(res).catch((err: unknown) => {
        throw deadline.signal?.aborted ? deadline.signal.reason : err;
      });
      const status = res.statusCode ?? 0;
      if (status < 200 || status >= 300) throw failure(method, path, status, text);
      return (text ? JSON.parse(text) : undefined) as T;
    } finally {
      deadline.clear();
    }
  }

  /** A GET whose only deadline is `signal` (the informer's list has its own). */
  get(path: string, query: Record<string, string>, signal: AbortSignal): Promise<unknown> {
    return this.request("GET", path, { query, signal, timeoutMs: 0 });
  }

  /**
   * Streams a watch: calls onEvent per line, resolves when the server ends the stream, rejects on a
   * non-2xx status, a broken connection, or when onEvent throws (the stream is then closed). No deadline:
   * the server ends it after timeoutSeconds, and the informer's watchdog aborts a silent one.
   */
  async watch(
    path: string,
    query: Record<string, string>,
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const res = await this.send("GET", path, { query: { ...query, watch: "true" } }, signal);
    const status = res.statusCode ?? 0;
    if (status !== 200) throw failure("WATCH", path, status, await readAll(res));
    await readLines(res, onEvent);
  }

  /** Closes pooled connections; in-flight calls and watches are left to their own signals. */
  close(): void {
    this.agent.destroy();
  }

  private deadline(opts: RequestOptions): { signal: AbortSignal | undefined; clear: () => void } {
    const ms = opts.timeoutMs ?? this.timeoutMs;
    if (!(ms > 0)) return { signal: opts.signal, clear: () => undefined };
    const timer = new AbortController();
    const handle = setTimeout(() => timer.abort(new Error(`timed out after ${ms} ms`)), ms);
    handle.unref?.();
    const signal = opts.signal ? AbortSignal.any([opts.signal, timer.signal]) : timer.signal;
    return { signal, clear: () => clearTimeout(handle) };
  }

  /**
   * Sends once more when a pooled connection turns out to have been closed by the server just as we
   * reused it: Node reports that as ECONNRESET with `req.reusedSocket`, and its http documentation
   * (request.reusedSocket) recommends exactly this retry. Such a request almost never reached the
   * server, and ours are safe to repeat anyway: merge patches are idempotent, a PUT or finalizer patch
   * carries a resourceVersion (a repeat gets 409), a repeated create gets 409 AlreadyExists, and a
   * repeated Event is one more line in `kubectl events`.
   */
  private async send(
    method: string,
    path: string,
    opts: RequestOptions,
    signal: AbortSignal | undefined,
  ): Promise<http.IncomingMessage> {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const options = await this.requestOptions(method, payload, opts.contentType, signal);
    try {
      return await this.sendOnce(url, options, payload);
    } catch (err) {
      if (!(err as { staleSocket?: boolean }).staleSocket) throw err;
      return this.sendOnce(url, options, payload);
    }
  }

  private async requestOptions(
    method: string,
    payload: string | undefined,
    contentType: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<https.RequestOptions> {
    const creds: https.RequestOptions = {};
    // Re-applied per request: exec and OIDC credentials and projected tokens rotate.
    await this.kc.applyToHTTPSOptions(creds);
    const headers: http.OutgoingHttpHeaders = {
      ...(creds.headers as http.OutgoingHttpHeaders | undefined),
      accept: "application/json",
    };
    if (payload !== undefined) {
      headers["content-type"] = contentType ?? "application/json";
      headers["content-length"] = Buffer.byteLength(payload);
    }
    return {
      method,
      headers,
      signal,
      auth: creds.auth,
      agent: this.proxied ? creds.agent : this.agent,
      ...(this.secure ? tlsOf(creds) : {}),
    };
  }

  private sendOnce(url: URL, options: https.RequestOptions, payload: string | undefined) {
    return new Promise<http.IncomingMessage>((resolve, reject) => {
      const send = this.secure ? https.request : http.request;
      const req = send(url, options, (res) => {
        // An abort (stop, watchdog, deadline) destroys the response with "aborted"; readers see it
        // through their own listener or iterator, and this keeps it from being uncaught after they left.
        res.on("error", () => undefined);
        resolve(res);
      });
      this.stats.requests++;
      req.on("socket", () => {
        if (!req.reusedSocket) this.stats.connections++;
      });
      req.on("error", (err: NodeJS.ErrnoException) => {
        // Node reports every abort as a bare AbortError; the reason says which (deadline, stop, watchdog).
        if (options.signal?.aborted) return reject(options.signal.reason);
        reject(Object.assign(err, { staleSocket: req.reusedSocket && err.code === "ECONNRESET" }));
      });
      req.end(payload);
    });
  }
}

/** The TLS fields applyToHTTPSOptions sets; the agent keys its pool by them. */
function tlsOf(o: https.RequestOptions): https.RequestOptions {
  const { ca, cert, key, pfx, passphrase, rejectUnauthorized, servername } = o;
  return { ca, cert, key, pfx, passphrase, rejectUnauthorized, servername };
}

async function readAll(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function failure(method: string, path: string, status: number, body: string): KubeApiError {
  let reason: string | undefined;
  let message = body.slice(0, 500);
  try {
    const s = JSON.parse(body) as { reason?: string; message?: string };
    reason = s.reason;
    message = s.message ?? message;
  } catch {
    // not a Status object; keep the raw text
  }
  return new KubeApiError(status, `${method} ${path}: HTTP ${status}: ${message}`, reason);
}

function readLines(res: http.IncomingMessage, onEvent: (event: WatchEvent) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const finish = (err?: unknown) => {
      if (settled) return;
      settled = true;
      if (err) {
        res.destroy();
        reject(err);
      } else resolve();
    };
    const lines = createInterface({ input: res, crlfDelay: Number.POSITIVE_INFINITY });
    lines.on("line", (line) => {
      if (settled || line.trim() === "") return;
      try {
        onEvent(JSON.parse(line) as WatchEvent);
      } catch (err) {
        finish(err);
        lines.close();
      }
    });
    res.on("error", finish);
    // readline re-emits its input's errors (an aborted response) on the interface itself.
    lines.on("error", finish);
    res.on("aborted", () => finish(new Error("watch connection aborted")));
    lines.on("close", () => finish());
  });
}
