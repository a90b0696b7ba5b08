// The operator's HTTP endpoints: the probes and /metrics on one port (the default, as before), or —
// with a probe port — on two, so that /metrics can require authentication while the kubelet's probes
// stay anonymous (kubebuilder: probes on :8081, metrics on their own port behind TokenReview and
// SubjectAccessReview).
import type { Registry } from "prom-client";
import { type HealthServer, startHealthServer } from "./http.js";
import type { MetricsAuthorizer } from "./metrics-auth.js";

export interface EndpointOptions {
  metricsPort: number;
  /** Serve /healthz and /readyz here instead of next to /metrics. */
  probePort?: number;
  host?: string;
  isReady: () => boolean;
  registry: Registry;
  authorizeMetrics?: MetricsAuthorizer;
}

export interface Endpoints {
  /** The port /metrics is served on. */
  port: number;
  /** The port the probes are served on (the same as `port` without a probe port). */
  probePort: number;
  close(): Promise<void>;
}

export async function startEndpoints(o: EndpointOptions): Promise<Endpoints> {
  const base = {
    host: o.host,
    isReady: o.isReady,
    registry: o.registry,
    authorizeMetrics: o.authorizeMetrics,
  };
  if (o.probePort === undefined) {
    const one = await startHealthServer({ ...base, port: o.metricsPort });
    return { port: one.port, probePort: one.port, close: () => one.close() };
  }
  const servers: HealthServer[] = [];
  try {
    servers.push(
      await startHealthServer({ ...base, port: o.probePort, serve: { probes: true, metrics: false } }),
    );
    servers.push(
      await startHealthServer({ ...base, port: o.metricsPort, serve: { probes: false, metrics: true } }),
    );
  } catch (err) {
    await Promise.all(servers.map((s) => s.close()));
    throw err;
  }
  return {
    probePort: servers[0]!.port,
    port: servers[1]!.port,
    close: async () => {
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}
