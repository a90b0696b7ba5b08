// Metric names, labels, buckets and meaning follow controller-runtime (pkg/internal/controller/metrics,
// pkg/metrics/workqueue.go, pkg/metrics/leaderelection.go) and client-go's workqueue, so the dashboards
// and alerts written for every kubebuilder operator work on this one unchanged. What only this operator
// knows (AWS calls, error reasons) is ours, under METRIC_PREFIX.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { jobHealthMetrics } from "../../health/prometheus.js";

/** Our own metrics start with this, as Prometheus' naming guide asks for an application prefix. */
export const METRIC_PREFIX = "managed_flink_operator_";

/** controller_runtime_reconcile_total's result label, as controller-runtime's reconcileHandler sets it. */
export type ReconcileResultLabel = "success" | "error" | "requeue" | "requeue_after";
export type AwsCallOutcome = "success" | "error" | "throttled" | "not_found";

/** What a controller's workers report. */
export interface ControllerMetrics {
  /** One finished reconcile; `reason` (an error class or AWS error code) only for errors. */
  observeReconcile(result: ReconcileResultLabel, seconds: number, reason?: string): void;
  workerStarted(): void;
  workerFinished(): void;
}

/**
 * The hooks client-go's workqueue calls its metrics through (queue.go, delaying_queue.go): `add` when a
 * key becomes dirty (not when it already was), `get` when a worker takes it, `done` when the worker is
 * finished, `retry` on every delayed add. `clear` drops keys a shut-down queue discarded.
 */
export interface WorkQueueMetrics {
  add(key: string): void;
  get(key: string): void;
  done(key: string): void;
  retry(): void;
  clear(): void;
}

/** Reconcile time buckets of controller-runtime's controller_runtime_reconcile_time_seconds. */
const reconcileBuckets = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25,
  1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];
/** prometheus.ExponentialBuckets(10e-9, 10, 12), controller-runtime's workqueue latency buckets. */
const workqueueBuckets = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1, 10, 100, 1000];

const seconds = (fromMs: number) => (performance.now() - fromMs) / 1000;

function controllerFamilies(registry: Registry) {
  const registers = [registry];
  const controller = ["controller"] as const;
  return {
    total: new Counter({
      name: "controller_runtime_reconcile_total",
      help: "Total number of reconciliations per controller",
      labelNames: ["controller", "result"] as const,
      registers,
    }),
    errors: new Counter({
      name: "controller_runtime_reconcile_errors_total",
      help: "Total number of reconciliation errors per controller",
      labelNames: controller,
      registers,
    }),
    time: new Histogram({
      name: "controller_runtime_reconcile_time_seconds",
      help: "Length of time per reconciliation per controller",
      labelNames: controller,
      buckets: reconcileBuckets,
      registers,
    }),
    maxConcurrent: new Gauge({
      name: "controller_runtime_max_concurrent_reconciles",
      help: "Maximum number of concurrent reconciles per controller",
      labelNames: controller,
      registers,
    }),
    activeWorkers: new Gauge({
      name: "controller_runtime_active_workers",
      help: "Number of currently used workers per controller",
      labelNames: controller,
      registers,
    }),
    errorReasons: new Counter({
      name: `${METRIC_PREFIX}reconcile_errors_total`,
      help: "Failed reconciles per controller by reason (an error class or AWS error code, never a message).",
      labelNames: ["controller", "reason"] as const,
      registers,
    }),
  };
}

function controllerMetrics(
  f: ReturnType<typeof controllerFamilies>,
  controller: string,
  maxConcurrentReconciles: number,
): ControllerMetrics {
  // As controller-runtime's initMetrics: every series exists from the start, so rate() and absent()
  // alerts see a 0 before the first reconcile instead of no data.
  for (const result of ["success", "error", "requeue", "requeue_after"] as const)
    f.total.inc({ controller, result }, 0);
  f.errors.inc({ controller }, 0);
  f.maxConcurrent.set({ controller }, maxConcurrentReconciles);
  f.activeWorkers.set({ controller }, 0);
  return {
    observeReconcile(result, secs, reason) {
      f.total.inc({ controller, result });
      f.time.observe({ controller }, secs);
      if (result === "error") {
        f.errors.inc({ controller });
        f.errorReasons.inc({ controller, reason: reason ?? "unknown" });
      }
    },
    workerStarted: () => f.activeWorkers.inc({ controller }),
    workerFinished: () => f.activeWorkers.dec({ controller }),
  };
}

/** Per-queue timestamps (performance.now()), as client-go's defaultQueueMetrics keeps them. */
interface QueueState {
  /** Dirty keys not yet handed to a worker, since when: the depth and the queue latency. */
  added: Map<string, number>;
  /** Keys a worker holds, since when: work duration, unfinished work, longest running processor. */
  processing: Map<string, number>;
}

function workqueueFamilies(registry: Registry, queues: Map<string, QueueState>) {
  const registers = [registry];
  // controller-runtime labels each queue with its controller's name under both `name` and `controller`.
  const labelNames = ["name", "controller"] as const;
  /** A gauge computed at scrape time from every queue: never stale (client-go refreshes every 500 ms). */
  const computed = (name: string, help: string, value: (q: QueueState) => number) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers,
      collect(this: Gauge<"name" | "controller">) {
        for (const [queue, q] of queues) this.set({ name: queue, controller: queue }, value(q));
      },
    });
  const ages = (q: QueueState) => [...q.processing.values()].map(seconds);
  const histogram = (name: string, help: string) =>
    new Histogram({ name, help, labelNames, buckets: workqueueBuckets, registers });
  return {
    adds: new Counter({
      name: "workqueue_adds_total",
      help: "Total number of adds handled by workqueue",
      labelNames,
      registers,
    }),
    retries: new Counter({
      name: "workqueue_retries_total",
      help: "Total number of retries handled by workqueue",
      labelNames,
      registers,
    }),
    latency: histogram(
      "workqueue_queue_duration_seconds",
      "How long in seconds an item stays in workqueue before being requested",
    ),
    work: histogram(
      "workqueue_work_duration_seconds",
      "How long in seconds processing an item from workqueue takes.",
    ),
    gauges: [
      computed("workqueue_depth", "Current depth of workqueue", (q) => q.added.size),
      computed(
        "workqueue_unfinished_work_seconds",
        "How many seconds of work has been done that is in progress and hasn't been observed by " +
          "work_duration. Large values indicate stuck threads. One can deduce the number of stuck " +
          "threads by observing the rate at which this increases.",
        (q) => ages(q).reduce((a, b) => a + b, 0),
      ),
      computed(
        "workqueue_longest_running_processor_seconds",
        "How many seconds has the longest running processor for workqueue been running.",
        (q) => Math.max(0, ...ages(q)),
      ),
    ],
  };
}

function workqueueMetrics(
  f: ReturnType<typeof workqueueFamilies>,
  queues: Map<string, QueueState>,
  name: string,
): WorkQueueMetrics {
  // A queue created again under the same name (a restarted controller) takes over its series.
  const q: QueueState = { added: new Map(), processing: new Map() };
  queues.set(name, q);
  const labels = { name, controller: name };
  f.adds.inc(labels, 0);
  f.retries.inc(labels, 0);
  return {
    add(key) {
      f.adds.inc(labels);
      if (!q.added.has(key)) q.added.set(key, performance.now());
    },
    get(key) {
      const added = q.added.get(key);
      if (added !== undefined) f.latency.observe(labels, seconds(added));
      q.added.delete(key);
      q.processing.set(key, performance.now());
    },
    done(key) {
      const started = q.processing.get(key);
      if (started !== undefined) f.work.observe(labels, seconds(started));
      q.processing.delete(key);
    },
    retry: () => f.retries.inc(labels),
    clear: () => q.added.clear(),
  };
}

function awsFamilies(registry: Registry) {
  return {
    calls: new Counter({
      name: `${METRIC_PREFIX}aws_api_calls_total`,
      help: "AWS API calls by operation and outcome.",
      labelNames: ["operation", "outcome"] as const,
      registers: [registry],
    }),
    writeCapReached: new Counter({
      name: `${METRIC_PREFIX}aws_write_cap_reached_total`,
      help: "AWS writes refused because an application reached MAX_AWS_WRITES_PER_APPLICATION_PER_HOUR.",
      registers: [registry],
    }),
    duration: new Histogram({
      name: `${METRIC_PREFIX}aws_api_call_duration_seconds`,
      help: "AWS API call latency by operation, retries included.",
      labelNames: ["operation"] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  };
}

/**
 * The operator's metrics on a registry of its own (not prom-client's global one), so tests and a second
 * controller in one process do not collide on "metric already registered".
 *
 * The default process metrics carry no prefix: process_cpu_seconds_total, process_resident_memory_bytes
 * and process_start_time_seconds are the names every Prometheus client library exports (controller-runtime
 * registers Go's process collector unprefixed), and the names dashboards query.
 */
export function createMetrics(opts: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const controllers = controllerFamilies(registry);
  const queues = new Map<string, QueueState>();
  const workqueues = workqueueFamilies(registry, queues);
  const aws = awsFamilies(registry);
  const health = jobHealthMetrics(registry);
  const leader = new Gauge({
    name: "leader_election_master_status",
    help:
      "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates " +
      "master. 'name' is the string used to identify the lease. Please make sure to group by name.",
    labelNames: ["name"] as const,
    registers: [registry],
  });

  return {
    registry,
    /** A controller's reconcile metrics; `name` is its controller label (controller-runtime: the kind, lower case). */
    controller: (name: string, maxConcurrentReconciles: number) =>
      controllerMetrics(controllers, name, maxConcurrentReconciles),
    /** The hooks for one WorkQueue; controller-runtime names a controller's queue after the controller. */
    workqueue: (name: string) => workqueueMetrics(workqueues, queues, name),
    /** leader_election_master_status for the Lease `name`, 0 until set. */
    leaderElection(name: string) {
      leader.set({ name }, 0);
      return { set: (isLeader: boolean) => leader.set({ name }, isLeader ? 1 : 0) };
    },
    /** Job figures and verdicts per application, and the health monitor's CloudWatch reads. */
    health,
    /** Counts a write the per-application cap refused. */
    writeCapReached: () => aws.writeCapReached.inc(),
    /** Records one AWS call. */
    observeAwsCall(operation: string, outcome: AwsCallOutcome, secs: number): void {
      aws.calls.inc({ operation, outcome });
      aws.duration.observe({ operation }, secs);
    },
  };
}

export type OperatorMetrics = ReturnType<typeof createMetrics>;

/** The process-wide metrics the controller records into and /metrics serves. */
export const metrics: OperatorMetrics = createMetrics();
