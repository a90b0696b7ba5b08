// `npm start`: the controller against the current kubeconfig and the default AWS configuration.
// Settings come from the environment, as the Helm chart sets them.
import { hostname } from "node:os";
import { artifactPolicyFromEnv } from "../artifacts/index.js";
import { thresholdsFromEnv } from "../health/judge.js";
import { defaultsFromEnv } from "../policy/index.js";
import { runOperator } from "./operator.js";
import { loadKubeCredentials } from "./runtime/kube-credentials.js";
import { createLogger } from "./runtime/log.js";
import { latencyTrace } from "./runtime/trace.js";

function intEnv(name: string, fallback: number, min = 0): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`);
  }
  return n;
}

function numberEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number >= ${min}, got "${raw}"`);
  return n;
}

/**
 * Managed Flink publishes its metrics once a minute; reading them every minute, 60 s periods at a time,
 * sees each datapoint once it has arrived (docs/adr/0018-job-health.md). An interval of 0 turns checks off.
 */
function healthFromEnv() {
  return {
    intervalSeconds: intEnv("HEALTH_INTERVAL_SECONDS", 60, 0),
    periodSeconds: intEnv("HEALTH_METRICS_PERIOD_SECONDS", 60, 1),
    defaults: thresholdsFromEnv(process.env),
  };
}

async function main(): Promise<void> {
  const log = createLogger(process.env.LOG_LEVEL ?? "info");
  // The benchmark's per-stage latency trace (bench/scale.ts); never set in a deployment.
  if (process.env.OPERATOR_TRACE_FILE) latencyTrace.open(process.env.OPERATOR_TRACE_FILE);
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) throw new Error("AWS_REGION must be set (the region for FlinkApplications that name none)");
  // Validated first: a bad allowlist must stop the controller, not surface at the first upload.
  const artifactPolicy = artifactPolicyFromEnv();
  const tenancyDefaults = defaultsFromEnv(region);
  const kubeConfig = await loadKubeCredentials();
  const leaderElect = (process.env.LEADER_ELECT ?? "true") !== "false";
  const namespace = process.env.POD_NAMESPACE ?? process.env.LEADER_ELECTION_NAMESPACE ?? "default";
  const operator = await runOperator({
    kubeConfig,
    log,
    watchNamespaces: (process.env.WATCH_NAMESPACES ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    defaultRegion: region,
    resyncPeriodMs: intEnv("RESYNC_PERIOD_SECONDS", 300, 1) * 1000,
    pollIntervalMs: intEnv("POLL_INTERVAL_SECONDS", 10, 1) * 1000,
    concurrency: intEnv("MAX_CONCURRENT_RECONCILES", 4, 1),
    metricsPort: intEnv("METRICS_PORT", 8080),
    metricsHost: process.env.METRICS_HOST ?? "0.0.0.0",
    probePort: process.env.HEALTH_PROBE_PORT ? intEnv("HEALTH_PROBE_PORT", 8081) : undefined,
    metricsAuth: process.env.METRICS_AUTH === "true",
    identity: process.env.POD_NAME ?? `${hostname()}-${process.pid}`,
    leaderElection: leaderElect
      ? {
          namespace,
          name: process.env.LEADER_ELECTION_ID ?? "managed-flink-operator",
          leaseDurationMs: intEnv("LEASE_DURATION_SECONDS", 15, 2) * 1000,
          renewDeadlineMs: intEnv("RENEW_DEADLINE_SECONDS", 10, 1) * 1000,
          retryPeriodMs: intEnv("RETRY_PERIOD_SECONDS", 2, 1) * 1000,
        }
      : undefined,
    // Managed Flink documents no per-operation rate; 5 requests a second with bursts of 10 leaves most
    // of an account's share to other tools and still resyncs 1,000 applications every 300 s (3.3 a
    // second). Raise both for more applications or shorter resyncs (src/aws/budget.ts, docs/install.md).
    awsBudget: {
      ratePerSecond: numberEnv("AWS_REQUESTS_PER_SECOND", 5, 0.01),
      burst: intEnv("AWS_REQUEST_BURST", 10, 1),
    },
    artifactPolicy,
    tenancyDefaults,
    maxWritesPerHour: intEnv("MAX_AWS_WRITES_PER_APPLICATION_PER_HOUR", 60, 1),
    health: healthFromEnv(),
    // As client-go binaries do: a replica that lost the Lease exits and comes back as a standby.
    onLostLeadership: () => process.exit(1),
  });
  log.info({ port: operator.port, region }, "managed-flink-operator started");
  const shutdown = async (signal: string) => {
    log.info({ signal }, "shutting down");
    await operator.stop();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((err: unknown) => {
  console.error(JSON.stringify({ level: "fatal", msg: (err as Error).message }));
  process.exit(1);
});
