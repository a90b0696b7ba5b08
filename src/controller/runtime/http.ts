import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export interface HealthServerOptions {
  port: number;
  /** 127.0.0.1 in tests; 0.0.0.0 in a pod so the kubelet's probes and Prometheus reach it. */
  host?: string;
  isReady: () => boolean;
  registry: Registry;
  /**
   * /healthz fails when the event loop was blocked longer than this, measured by a timer that should
   * fire every second. A wedged loop cannot answer at all, so the kubelet's probe timeout covers that
   * case; this catches a loop that answers but is starved. Default 10 s.
   */
  maxEventLoopLagMs?: number;
  /** Which endpoints this server answers: both by default; probes and metrics on separate ports otherwise. */
  serve?: { probes: boolean; metrics: boolean };
  /** When set, /metrics answers only scrapers it authorizes (metrics-auth.ts). */
  authorizeMetrics?: (authorization: string | undefined) => Promise<number>;
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Serves the probes the way controller-runtime's manager does: /healthz is liveness (the process is up
 * and its event loop turns), /readyz is readiness (caches synced; see isReady), /metrics for Prometheus.
 * A replica that is not the leader is still ready: it serves metrics and stands by.
 */
export async function startHealthServer(opts: HealthServerOptions): Promise<HealthServer> {
  const tickMs = 1_000;
  const maxLag = opts.maxEventLoopLagMs ?? 10_000;
  let lastTick = Date.now();
  const ticker = setInterval(() => {
    lastTick = Date.now();
  }, tickMs);
  ticker.unref();

  const server: Server = createServer(respond(opts, maxLag, () => Date.now() - lastTick - tickMs));

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host ?? "0.0.0.0", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        clearInterval(ticker);
        server.close((err) => (err ? reject(err) : resolve()));
        // Prometheus keeps connections alive; without this close() would wait for them to time out.
        server.closeAllConnections();
      }),
  };
}

/** The probes and /metrics; `lagMs` reads the event-loop ticker. */
function respond(opts: HealthServerOptions, maxLag: number, lagMs: () => number): RequestListener {
  return (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const text = (status: number, body: string, type = "text/plain; charset=utf-8") => {
      res.writeHead(status, { "content-type": type });
      res.end(body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return text(405, "method not allowed\n");
    if (opts.serve && !opts.serve.probes && path !== "/metrics") return text(404, "not found\n");
    switch (path) {
      case "/healthz": {
        const lag = lagMs();
        return lag > maxLag ? text(500, `event loop lagging ${lag} ms\n`) : text(200, "ok\n");
      }
      case "/readyz": {
        let ready = false;
        try {
          ready = opts.isReady();
        } catch {
          ready = false;
        }
        return ready ? text(200, "ok\n") : text(503, "not ready\n");
      }
      case "/metrics":
        if (opts.serve && !opts.serve.metrics) return text(404, "not found\n");
        if (opts.authorizeMetrics) {
          opts.authorizeMetrics(req.headers.authorization).then(
            (status) =>
              status === 200
                ? serveMetrics(opts, text)
                : text(status, status === 401 ? "unauthorized\n" : "forbidden\n"),
            (err: unknown) => text(500, `metrics authorization failed: ${String(err)}\n`),
          );
          return;
        }
        return serveMetrics(opts, text);
      default:
        return text(404, "not found\n");
    }
  };
}

function serveMetrics(
  opts: HealthServerOptions,
  text: (status: number, body: string, type?: string) => void,
) {
  opts.registry.metrics().then(
    (body) => text(200, body, opts.registry.contentType),
    (err: unknown) => text(500, `metrics collection failed: ${String(err)}\n`),
  );
}
