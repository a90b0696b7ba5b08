import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** Every metric name starts with this, as Prometheus' naming guide asks for an application prefix. */
export const METRIC_PREFIX = "managed_flink_operator_";

export type ReconcileOutcome = "success" | "error" | "requeue";
export type AwsCallOutcome = "success" | "error" | "throttled" | "not_found";

/** Something with a depth, such as the WorkQueue; read at scrape time so the gauge is never stale. */
export interface DepthSource {
  readonly depth: number;
}

/**
 * The operator's metrics on a registry of its own (not prom-client's global one), so tests and a second
 * controller in one process do not collide on "metric already registered".
 */
export function createMetrics(opts: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });

  const reconcileTotal = new Counter({
    name: `${METRIC_PREFIX}reconcile_total`,
    help: "Reconciles by result: success, error, or requeue (succeeded and asked to run again later).",
    labelNames: ["result"] as const,
    registers: [registry],
  });
  const reconcileDuration = new Histogram({
    name: `${METRIC_PREFIX}reconcile_duration_seconds`,
    help: "Time one reconcile took, from dequeue to result.",
    // A reconcile is one Describe plus at most one AWS write: tens of ms to a few seconds.
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const reconcileErrors = new Counter({
    name: `${METRIC_PREFIX}reconcile_errors_total`,
    help: "Failed reconciles by reason (an error class or AWS error code, never a free-form message).",
    labelNames: ["reason"] as const,
    registers: [registry],
  });
  const awsCalls = new Counter({
    name: `${METRIC_PREFIX}aws_api_calls_total`,
    help: "AWS API calls by operation and outcome.",
    labelNames: ["operation", "outcome"] as const,
    registers: [registry],
  });
  const awsCallDuration = new Histogram({
    name: `${METRIC_PREFIX}aws_api_call_duration_seconds`,
    help: "AWS API call latency by operation, retries included.",
    labelNames: ["operation"] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  let depthSources: DepthSource[] = [];
  const workqueueDepth = new Gauge({
    name: `${METRIC_PREFIX}workqueue_depth`,
    help: "Keys waiting in the work queue for a worker.",
    registers: [registry],
    collect() {
      if (depthSources.length > 0) this.set(depthSources.reduce((n, s) => n + s.depth, 0));
    },
  });
  const leader = new Gauge({
    name: `${METRIC_PREFIX}leader`,
    help: "1 while this replica holds the leader Lease, else 0.",
    registers: [registry],
  });
  leader.set(0);

  return {
    registry,
    reconcileTotal,
    reconcileDuration,
    reconcileErrors,
    awsCalls,
    awsCallDuration,
    workqueueDepth,
    leader,

    /** Records one finished reconcile; `reason` only for errors. */
    observeReconcile(result: ReconcileOutcome, seconds: number, reason?: string): void {
      reconcileTotal.inc({ result });
      reconcileDuration.observe(seconds);
      if (result === "error") reconcileErrors.inc({ reason: reason ?? "unknown" });
    },

    /** Records one AWS call. */
    observeAwsCall(operation: string, outcome: AwsCallOutcome, seconds: number): void {
      awsCalls.inc({ operation, outcome });
      awsCallDuration.observe({ operation }, seconds);
    },

    /** Reports the depth of `source` (e.g. the WorkQueue) at every scrape. */
    trackQueue(source: DepthSource): void {
      depthSources = [...depthSources, source];
    },

    setLeader(isLeader: boolean): void {
      leader.set(isLeader ? 1 : 0);
    },
  };
}

export type OperatorMetrics = ReturnType<typeof createMetrics>;

/** The process-wide metrics the controller records into and /metrics serves. */
export const metrics: OperatorMetrics = createMetrics();
