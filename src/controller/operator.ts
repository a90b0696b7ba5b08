// Wires the runtime together: informers fill a cache and feed the queue; the queue runs the
// reconciler, but only while this replica holds the leader Lease; /metrics, /healthz and /readyz
// are served throughout, so a standby replica is ready and observable. Every call to the API server
// (lists, watches, the Lease, Events, status writes) goes over one KubeTransport.
import type { Logger } from "pino";
import type { ArtifactPolicy } from "../artifacts/index.js";
import { AssumedRoles } from "../aws/assume-role.js";
import { RequestBudget } from "../aws/budget.js";
import { ManagedFlinkClients, SdkManagedFlink } from "../aws/managed-flink.js";
import { group, plural, version } from "../crds/flinkapplication.js";
import type { FlinkApplication } from "../crds/types.generated.js";
import { cloudWatchPorts, logsPorts } from "../health/aws.js";
import { thresholdsFrom } from "../health/judge.js";
import { ErrorLogReader } from "../health/logs.js";
import { HealthMonitor } from "../health/monitor.js";
import { JobMetricsReader } from "../health/reader.js";
import { healthTargets } from "../health/targets.js";
import type { HealthThresholds } from "../health/types.js";
import { type EffectiveRules, safeDefaults } from "../policy/index.js";
import { type ConfigMapWatch, watchConfigMaps } from "./configmap-watch.js";
import { EventRecorder } from "./events.js";
import { KubeClient, type KubeWrites } from "./kube.js";
import type { ConfigMapLookup } from "./properties-from.js";
import { FlinkApplicationReconciler } from "./reconciler.js";
import { startEndpoints } from "./runtime/endpoints.js";
import { Informer } from "./runtime/informer.js";
import type { KubeCredentials } from "./runtime/kube-credentials.js";
import { LeaderElector } from "./runtime/leader.js";
import { reconcileLogger, withLogger } from "./runtime/log.js";
import {
  type AwsCallOutcome,
  type ControllerMetrics,
  type OperatorMetrics,
  metrics as processMetrics,
} from "./runtime/metrics.js";
import { kubeMetricsAuthorizer } from "./runtime/metrics-auth.js";
import {
  LowPriority,
  NormalPriority,
  type Pass,
  type ReconcileResult,
  resyncOffsetMs,
  WorkQueue,
} from "./runtime/queue.js";
import { latencyTrace } from "./runtime/trace.js";
import { KubeTransport } from "./runtime/transport.js";
import { TenancyCache } from "./tenancy.js";

/**
 * The controller's name in metrics and logs. controller-runtime names a controller after the kind it
 * reconciles, in lower case, and its work queue after the controller.
 */
export const controllerName = "flinkapplication";

export interface OperatorConfig {
  /** client-node's KubeConfig, or the lighter loader of runtime/kube-credentials.ts. */
  kubeConfig: KubeCredentials;
  log: Logger;
  /** Namespaces to watch; empty watches the whole cluster. */
  watchNamespaces: string[];
  defaultRegion: string;
  resyncPeriodMs: number;
  pollIntervalMs: number;
  concurrency: number;
  metricsPort: number;
  metricsHost?: string;
  /** Serve the probes on this port and only /metrics on metricsPort (HEALTH_PROBE_PORT). */
  probePort?: number;
  /** /metrics requires a bearer token allowed `get` on /metrics (TokenReview + SubjectAccessReview). */
  metricsAuth?: boolean;
  /** Identity in the Lease (the pod name). */
  identity: string;
  leaderElection?: {
    namespace: string;
    name: string;
    leaseDurationMs?: number;
    renewDeadlineMs?: number;
    retryPeriodMs?: number;
  };
  metrics?: OperatorMetrics;
  /** AWS writes allowed per application per hour; a loop stops there (MAX_AWS_WRITES_PER_APPLICATION_PER_HOUR). */
  maxWritesPerHour?: number;
  /**
   * The AWS request budget shared by all reconciles (AWS_REQUESTS_PER_SECOND / AWS_REQUEST_BURST);
   * absent, calls are not budgeted (tests that count calls rather than time them).
   */
  awsBudget?: { ratePerSecond: number; burst: number };
  /** The SSRF guard for artifact URLs (ARTIFACT_ALLOWED_HOSTS / ARTIFACT_ALLOWED_CIDRS). */
  artifactPolicy?: ArtifactPolicy;
  /** What a namespace no FlinkApplicationPolicy selects may do (DEFAULT_POLICY); safeDefaults when unset. */
  tenancyDefaults?: EffectiveRules;
  /**
   * Job health checks (HEALTH_INTERVAL_SECONDS, HEALTH_METRICS_PERIOD_SECONDS, HEALTH_* thresholds);
   * absent or an interval of 0: off.
   */
  health?: HealthConfig;
  /** Called after every reconcile of a key, for tests and diagnostics. */
  onReconciled?: (key: string) => void;
  /** Called when leadership is lost; the binary exits so that it restarts cleanly as a standby. */
  onLostLeadership?: () => void;
}

export interface HealthConfig {
  intervalSeconds: number;
  periodSeconds: number;
  /** Operator-wide thresholds; spec.health overrides them per application. */
  defaults: HealthThresholds;
}

export interface RunningOperator {
  /** Where /metrics is served. */
  port: number;
  /** Where /healthz and /readyz are served (the same port unless probePort was set). */
  probePort: number;
  isLeader(): boolean;
  stop(): Promise<void>;
}

const keyOf = (o: FlinkApplication) => `${o.metadata.namespace}/${o.metadata.name}`;

export async function runOperator(cfg: OperatorConfig): Promise<RunningOperator> {
  const metrics = cfg.metrics ?? processMetrics;
  const transport = new KubeTransport(cfg.kubeConfig);
  const informers: Informer<FlinkApplication>[] = [];
  // Bound below, once the FlinkApplication informers exist; read only by reconciles, which start later.
  let configMaps: ConfigMapWatch | undefined;
  const cache = readYourWrites(new KubeClient(transport), informers);
  const tenancy = new TenancyCache({
    transport,
    watchNamespaces: cfg.watchNamespaces,
    defaults: cfg.tenancyDefaults ?? safeDefaults(cfg.defaultRegion),
    resyncPeriodMs: cfg.resyncPeriodMs,
    log: cfg.log,
    onChange: () => work.requeueAll(),
  });
  const budget = cfg.awsBudget ? new RequestBudget(cfg.awsBudget) : undefined;
  const aws: AwsShared = { metrics, roles: new AssumedRoles(), budget };
  const health = healthMonitor(cfg, aws, tenancy, informers, (key) => work.enqueueKey(key));
  const lookup: ConfigMapLookup = (ns, name) => configMaps?.lookup(ns, name);
  const queue = workQueue(
    cfg,
    cache.find,
    newReconciler(cfg, cache.writes, aws, tenancy, lookup, health),
    metrics,
  );
  const work = leaderOnlyWork(queue, informers, cfg.resyncPeriodMs, health);
  informers.push(
    ...watchedPaths(cfg.watchNamespaces).map((listPath) => informer(cfg, transport, listPath, work)),
  );
  configMaps = configMapWatch(cfg, transport, informers, work.enqueue);

  let synced = false;
  const served = await endpoints(cfg, transport, metrics, () => synced);
  // Policies and namespaces first: no application is reconciled before its policy is known.
  await tenancy.start();
  // ConfigMaps sync before the first reconcile, or a referenced one would look missing.
  await Promise.all([...informers, ...(configMaps?.informers ?? [])].map((i) => i.start()));
  synced = true;

  const elector = cfg.leaderElection ? electLeader(cfg, transport, metrics, work) : undefined;
  if (!elector) work.start();

  return {
    port: served.port,
    probePort: served.probePort,
    isLeader: work.leading,
    async stop() {
      for (const inf of [...informers, ...(configMaps?.informers ?? [])]) inf.stop();
      tenancy.stop();
      // Closing the budget releases a health read waiting for tokens, so stopping never hangs on it.
      const healthStopped = health?.stop();
      budget?.close();
      await healthStopped;
      await queue.shutdown();
      await elector?.stop();
      await served.close();
      transport.close();
    },
  };
}

function workQueue(
  cfg: OperatorConfig,
  find: (key: string) => FlinkApplication | undefined,
  reconciler: FlinkApplicationReconciler,
  metrics: OperatorMetrics,
): WorkQueue {
  return new WorkQueue({
    concurrency: cfg.concurrency,
    handler: reconcileHandler(cfg, find, reconciler, metrics.controller(controllerName, cfg.concurrency)),
    metrics: metrics.workqueue(controllerName),
  });
}

/** The ConfigMaps spec.environmentPropertiesFrom reads: their changes queue the resources that use them. */
function configMapWatch(
  cfg: OperatorConfig,
  transport: KubeTransport,
  informers: Informer<FlinkApplication>[],
  enqueue: (o: FlinkApplication) => void,
): ConfigMapWatch {
  return watchConfigMaps({
    transport,
    namespaces: cfg.watchNamespaces,
    resyncPeriodMs: cfg.resyncPeriodMs,
    log: cfg.log,
    applications: () => informers.flatMap((i) => i.list()),
    enqueue,
  });
}

/** Probes and /metrics (on one port, or two with a probe port; /metrics optionally authenticated). */
function endpoints(
  cfg: OperatorConfig,
  transport: KubeTransport,
  metrics: OperatorMetrics,
  isReady: () => boolean,
) {
  return startEndpoints({
    metricsPort: cfg.metricsPort,
    probePort: cfg.probePort,
    host: cfg.metricsHost,
    isReady,
    registry: metrics.registry,
    authorizeMetrics: cfg.metricsAuth ? kubeMetricsAuthorizer(transport) : undefined,
  });
}

/** What every AWS client of the operator shares: the metrics, the tenants' roles, the request budget. */
interface AwsShared {
  metrics: OperatorMetrics;
  roles: AssumedRoles;
  budget: RequestBudget | undefined;
}

function newReconciler(
  cfg: OperatorConfig,
  writes: KubeWrites,
  aws: AwsShared,
  tenancy: TenancyCache,
  configMaps: ConfigMapLookup,
  health: HealthMonitor | undefined,
) {
  return new FlinkApplicationReconciler({
    tenancy,
    assumedRoles: aws.roles,
    configMaps,
    kube: writes,
    aws: awsClients(aws.metrics, aws.roles, aws.budget),
    ...(health && cfg.health
      ? { health: { source: health, thresholds: (spec) => thresholdsFrom(spec, cfg.health!.defaults) } }
      : {}),
    events: new EventRecorder(writes, cfg.log, cfg.identity),
    log: cfg.log,
    defaultRegion: cfg.defaultRegion,
    pollIntervalMs: cfg.pollIntervalMs,
    artifactPolicy: cfg.artifactPolicy,
    maxWritesPerHour: cfg.maxWritesPerHour,
    onWriteCapReached: aws.metrics.writeCapReached,
  });
}

/**
 * The job health monitor (docs/adr/0018-job-health.md): reads the RUNNING applications of the cache on
 * its own timer, only while this replica leads; a changed verdict queues its key. Absent when off.
 */
function healthMonitor(
  cfg: OperatorConfig,
  aws: AwsShared,
  tenancy: TenancyCache,
  informers: Informer<FlinkApplication>[],
  onChange: (key: string) => void,
): HealthMonitor | undefined {
  const h = cfg.health;
  if (!h || h.intervalSeconds === 0) return undefined;
  const prom = aws.metrics.health;
  const log = cfg.log.child({ component: "health" });
  const clients = {
    roles: aws.roles,
    budget: aws.budget,
    observe: (op: string, result: "success" | "error", secs: number, errorType?: string) =>
      aws.metrics.observeAwsCall(op, result === "success" ? "success" : awsOutcome(errorType), secs),
  };
  return new HealthMonitor({
    intervalMs: h.intervalSeconds * 1000,
    targets: () =>
      healthTargets(
        informers.flatMap((i) => i.list()),
        {
          rulesFor: (ns) => tenancy.rulesFor(ns),
          defaultRegion: cfg.defaultRegion,
          defaults: h.defaults,
          // The reconcile reports an invalid spec.health; the monitor only leaves the application out.
          onInvalid: (key, reason) => log.debug({ key, reason }, "job health not read"),
        },
      ),
    reader: new JobMetricsReader({
      cloudWatch: cloudWatchPorts(clients),
      periodSeconds: h.periodSeconds,
      // A read's calls spread over half the interval, and at most a tenth of the request budget's rate:
      // metric reads must leave the budget to reconciles (ADR 18, "Pacing").
      pacing: {
        spreadMs: (h.intervalSeconds * 1000) / 2,
        minGapMs: aws.budget ? 1000 / (aws.budget.configuredRate * HEALTH_BUDGET_SHARE) : 0,
      },
      onCall: (queries, outcome) => prom.metricDataCall(queries, outcome),
    }),
    logs: new ErrorLogReader({ logs: logsPorts(clients), onRead: (outcome) => prom.logRead(outcome) }),
    onChange,
    log,
    metrics: prom,
  });
}

/** The share of the AWS request budget's rate that job metric reads may use at most. */
const HEALTH_BUDGET_SHARE = 0.1;

type Work = ReturnType<typeof leaderOnlyWork>;

/**
 * Informer events reach the queue only while this replica leads. A user's change goes in at normal
 * priority; taking the lead queues every cached key at low priority (controller-runtime's initial
 * list), and a resync queues each key at low priority at its own offset within the period.
 */
function leaderOnlyWork(
  queue: WorkQueue,
  informers: Informer<FlinkApplication>[],
  resyncPeriodMs: number,
  health?: HealthMonitor,
) {
  let leading = false;
  return {
    leading: () => leading,
    enqueue(o: FlinkApplication) {
      if (leading) queue.add(keyOf(o), NormalPriority);
    },
    /** A job verdict changed: a status to record, as urgent as a user's change. */
    enqueueKey(key: string) {
      if (leading) queue.add(key, NormalPriority);
    },
    resync(o: FlinkApplication, at: { index: number; total: number }) {
      const delay = resyncOffsetMs(at.index, at.total, resyncPeriodMs);
      if (leading) queue.addAfter(keyOf(o), delay, LowPriority);
    },
    start() {
      leading = true;
      queue.start();
      this.requeueAll();
      health?.start();
    },
    /** Every cached application at low priority: on taking the lead, or after a policy changed. */
    requeueAll() {
      if (!leading) return;
      for (const inf of informers) for (const o of inf.list()) queue.add(keyOf(o), LowPriority);
    },
    stop() {
      leading = false;
      void health?.stop();
      void queue.shutdown();
    },
  };
}

/**
 * What runs for one key: the reconcile of the cached object, with controller-runtime's reconcile
 * metrics and a logger that puts controller, namespace, name and a fresh reconcileID on every line.
 * A failure is logged here and rethrown for the queue's per-key backoff.
 */
function reconcileHandler(
  cfg: OperatorConfig,
  find: (key: string) => FlinkApplication | undefined,
  reconciler: FlinkApplicationReconciler,
  metrics: ControllerMetrics,
): (key: string, pass: Pass) => Promise<ReconcileResult> {
  return (key, pass) =>
    latencyTrace.within(key, async () => {
      const obj = find(key);
      latencyTrace.mark("started", key, { priority: pass.priority, gen: obj?.metadata.generation });
      if (!obj) return {}; // deleted; the finalizer guarantees AWS-side cleanup happened first
      const log = reconcileLogger(cfg.log, controllerName, obj.metadata.namespace!, obj.metadata.name!);
      const started = performance.now();
      const elapsed = () => (performance.now() - started) / 1000;
      metrics.workerStarted();
      try {
        const result = await withLogger(log, () =>
          reconciler.reconcile(obj, { log, priority: pass.priority }),
        );
        cfg.onReconciled?.(key);
        metrics.observeReconcile(resultLabel(result), elapsed());
        return result;
      } catch (err) {
        metrics.observeReconcile("error", elapsed(), (err as Error).name);
        log.warn({ err: (err as Error).message }, "reconcile failed; retrying with backoff");
        throw err;
      } finally {
        metrics.workerFinished();
        latencyTrace.mark("done", key);
      }
    });
}

/**
 * The objects our own writes returned, until the informer has caught up with them. Without this a
 * reconcile that runs right after a status write reads the older cached object and can repeat a call
 * the status already records (for example a CreateApplication that failed terminally).
 */
function readYourWrites(kube: KubeWrites, informers: Informer<FlinkApplication>[]) {
  const written = new Map<string, FlinkApplication>();
  const remember = (o: FlinkApplication) => {
    const kept = withoutManagedFields(o);
    written.set(keyOf(o), kept);
    return kept;
  };
  const writes: KubeWrites = {
    patchStatus: (ns, name, status) =>
      traceWrite("status", () => kube.patchStatus(ns, name, status)).then(remember),
    setFinalizers: (o, f) => kube.setFinalizers(o, f).then(remember),
    createEvent: (e) => traceWrite("event", () => kube.createEvent(e)),
    patchEvent: (ns, name, patch) => traceWrite("event", () => kube.patchEvent(ns, name, patch)),
  };
  const find = (key: string): FlinkApplication | undefined => {
    const [ns, name] = key.split("/") as [string, string];
    let cached: FlinkApplication | undefined;
    for (const inf of informers) cached ??= inf.get(ns, name);
    const mine = written.get(key);
    if (!cached) {
      written.delete(key);
      return undefined;
    }
    if (mine && newer(mine, cached)) return mine;
    written.delete(key);
    return cached;
  };
  return { writes, find };
}

function awsClients(
  metrics: OperatorMetrics,
  roles: AssumedRoles,
  budget: RequestBudget | undefined,
): ManagedFlinkClients {
  const outcome = (result: string, errorType?: string): AwsCallOutcome =>
    result === "success" ? "success" : awsOutcome(errorType);
  return new ManagedFlinkClients(
    (region, { assumeRoleARN, priority = 0 }) =>
      new SdkManagedFlink(
        region,
        (operation, result, seconds, errorType) =>
          metrics.observeAwsCall(operation, outcome(result, errorType), seconds),
        assumeRoleARN ? roles.credentials(assumeRoleARN, region) : undefined,
        budget && { budget: traced(budget), priority },
      ),
  );
}

/** The outcome label of a failed AWS call. */
function awsOutcome(errorType: string | undefined): AwsCallOutcome {
  if (errorType === "ResourceNotFoundException") return "not_found";
  return errorType === "ThrottlingException" || errorType === "Throttling" ? "throttled" : "error";
}

/** A write to the API server, sent and answered, in the latency trace when that is on. */
async function traceWrite<T>(what: "status" | "event", write: () => Promise<T>): Promise<T> {
  latencyTrace.mark(`${what}.sent`);
  try {
    return await write();
  } finally {
    latencyTrace.mark(`${what}.answered`);
  }
}

/** The budget, with the wait for each token in the latency trace when that is on (bench/scale.ts). */
function traced(budget: RequestBudget): Pick<RequestBudget, "take" | "throttled"> {
  if (!latencyTrace.enabled) return budget;
  return {
    take: async (priority) => {
      latencyTrace.mark("token.wait", undefined, { priority });
      await budget.take(priority);
      latencyTrace.mark("token");
    },
    throttled: () => budget.throttled(),
  };
}

/** One collection for the whole cluster, or one per watched namespace (RBAC may be limited to them). */
function watchedPaths(namespaces: string[]): string[] {
  const basePath = `/apis/${group}/${version}`;
  return namespaces.length === 0
    ? [`${basePath}/${plural}`]
    : namespaces.map((ns) => `${basePath}/namespaces/${encodeURIComponent(ns)}/${plural}`);
}

function informer(
  cfg: OperatorConfig,
  transport: KubeTransport,
  listPath: string,
  work: Pick<Work, "enqueue" | "resync">,
): Informer<FlinkApplication> {
  return new Informer<FlinkApplication>({
    transport,
    listPath,
    resyncPeriodMs: cfg.resyncPeriodMs,
    onAdd: (o) => {
      latencyTrace.mark("watch", keyOf(o), { gen: o.metadata.generation });
      work.enqueue(o);
    },
    onUpdate: (o, old) => {
      latencyTrace.mark("watch", keyOf(o), { gen: o.metadata.generation });
      if (askedForAction(o, old)) work.enqueue(o);
    },
    onDelete: () => {},
    onResync: work.resync,
    transform: withoutManagedFields,
    log: cfg.log,
  });
}

/**
 * Whether an update is one a reconcile must answer: a new generation (spec change, and deletion for
 * custom resources), a deletion timestamp, finalizers, or annotations (adopt asks for action) —
 * controller-runtime's GenerationChangedPredicate or AnnotationChangedPredicate, plus deletion and
 * finalizers. A status-only update is our own write coming back through the watch: every step that
 * only recorded progress continues at once (`continueNow`) or polls, so the echo would only repeat the
 * DescribeApplication the pass just made.
 */
export function askedForAction(o: FlinkApplication, old: FlinkApplication): boolean {
  const m = o.metadata;
  const p = old.metadata;
  return (
    m.generation !== p.generation ||
    String(m.deletionTimestamp) !== String(p.deletionTimestamp) ||
    JSON.stringify(m.finalizers ?? []) !== JSON.stringify(p.finalizers ?? []) ||
    JSON.stringify(m.annotations ?? {}) !== JSON.stringify(p.annotations ?? {})
  );
}

/**
 * controller-runtime's cache.TransformStripManagedFields: server-side apply's field ownership is often
 * the largest part of an object and nothing in the controller reads it; a thousand cached objects
 * need not carry it.
 */
export function withoutManagedFields(o: FlinkApplication): FlinkApplication {
  if (!o.metadata?.managedFields) return o;
  const { managedFields: _dropped, ...metadata } = o.metadata;
  return { ...o, metadata };
}

function resultLabel(r: ReconcileResult): "requeue" | "requeue_after" | "success" {
  if (r.continueNow) return "requeue";
  return (r.requeueAfterMs ?? 0) > 0 ? "requeue_after" : "success";
}

function electLeader(cfg: OperatorConfig, transport: KubeTransport, metrics: OperatorMetrics, work: Work) {
  const election = cfg.leaderElection!;
  const status = metrics.leaderElection(election.name);
  const elector = new LeaderElector({
    transport,
    ...election,
    identity: cfg.identity,
    log: cfg.log,
    onStartedLeading: () => {
      cfg.log.info({ identity: cfg.identity }, "became leader");
      status.set(true);
      work.start();
    },
    onStoppedLeading: () => {
      cfg.log.warn({ identity: cfg.identity }, "lost leadership");
      status.set(false);
      work.stop();
      cfg.onLostLeadership?.();
    },
  });
  elector.start();
  return elector;
}

/**
 * resourceVersions are opaque by contract, but every etcd-backed API server issues increasing
 * integers; only then do we compare, and otherwise trust the informer.
 */
function newer(a: FlinkApplication, b: FlinkApplication): boolean {
  const ra = a.metadata.resourceVersion;
  const rb = b.metadata.resourceVersion;
  if (!ra || !rb || !/^\d+$/.test(ra) || !/^\d+$/.test(rb)) return false;
  return BigInt(ra) > BigInt(rb);
}
