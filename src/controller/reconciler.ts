// One reconcile of one FlinkApplication, in four named steps:
//   observe (AWS reads only) → plan (pure) → execute (at most one write) → record status.
// The shape follows the Flink Kubernetes Operator's observer/reconciler/status recorder and the ACK
// runtime's read → compare → one write; ADR 0006 explains the design.
import { S3Client } from "@aws-sdk/client-s3";
import type { Logger } from "pino";
import type { ArtifactPolicy } from "../artifacts/index.js";
import { AssumedRoles } from "../aws/assume-role.js";
import { ConflictError, classifyAwsError, ExternalError, TerminalError } from "../aws/errors.js";
import type { ManagedFlinkClients } from "../aws/managed-flink.js";
import { NotFound } from "../aws/managed-flink.js";
import type { FlinkApplication, HealthSpec } from "../crds/types.generated.js";
import type { HealthThresholds, JobHealth, JobHealthSource } from "../health/types.js";
import { adoptAnnotation, decide, type NamedRules, type TenantDecision } from "../policy/index.js";
import { codeToRun } from "./artifact.js";
import { withLogStreamArn } from "./desired.js";
import type { EventRecorder } from "./events.js";
import { type ExecuteDeps, type Executed, execute, finalizer } from "./execute.js";
import { jobMessage, recordedJob } from "./job-health.js";
import type { KubeWrites } from "./kube.js";
import { type Observation, observe, type Target } from "./observe.js";
import { planNextStep, type Step } from "./plan.js";
import { type ConfigMapLookup, resolveProperties } from "./properties-from.js";
import { type Failure, recordStatus } from "./record-status.js";
import type { ReconcileResult } from "./runtime/queue.js";
import { KubeApiError } from "./runtime/transport.js";
import { isWrite, WriteCap } from "./write-cap.js";

export { adoptAnnotation } from "../policy/index.js";
export { finalizer } from "./execute.js";

/** What the tenancy policy needs of the cluster: the rules for a namespace, once its labels are known. */
export interface TenancyRules {
  /** undefined while the namespace is not in the cache: nothing is decided, and nothing is called. */
  rulesFor(namespace: string): NamedRules[] | undefined;
}

export interface ReconcilerOptions {
  kube: KubeWrites;
  aws: ManagedFlinkClients;
  events: EventRecorder;
  log: Logger;
  /** Region for resources that name none (the operator's AWS_REGION). */
  defaultRegion: string;
  /** How soon to look again while the application is changing state. */
  pollIntervalMs: number;
  /** How soon to retry after ResourceInUse / ConcurrentModification. */
  conflictRetryMs?: number;
  /** How soon to retry after an error whose fix lies outside the spec (AccessDenied, quotas); 5 min. */
  externalRetryMs?: number;
  now?: () => Date;
  /** Where artifact URLs may point (the SSRF guard); the default allows public https only. */
  artifactPolicy?: ArtifactPolicy;
  /** ConfigMaps for spec.environmentPropertiesFrom, from the operator's watch of them. */
  configMaps?: ConfigMapLookup;
  /** S3 client for a region (artifact uploads); defaults to the SDK with the standard configuration. */
  s3ForRegion?: (region: string, assumeRoleARN?: string) => S3Client;
  /** What each namespace may do (FlinkApplicationPolicy, else the operator-wide defaults). */
  tenancy: TenancyRules;
  /** Credentials of the roles policies name (assumeRoleARN), shared with the Managed Flink clients. */
  assumedRoles?: AssumedRoles;
  /** AWS writes allowed per application per hour (MAX_AWS_WRITES_PER_APPLICATION_PER_HOUR); 60. */
  maxWritesPerHour?: number;
  /** Counts each time the write cap stops a write (a metric). */
  onWriteCapReached?: () => void;
  /** Job health from CloudWatch (src/health); without it Ready says only that the application runs. */
  health?: {
    source: JobHealthSource;
    /** spec.health with the operator-wide defaults filled in. */
    thresholds(spec: HealthSpec | undefined): HealthThresholds;
  };
}

/** A step that only recorded a new snapshot-first update: the snapshot comes next. */
function opensSnapshotFirstUpdate(step: Step): boolean {
  return (
    step.kind === "record" &&
    step.reason === "UpdateStarted" &&
    step.changes?.operation?.phase === "Snapshotting"
  );
}

export class FlinkApplicationReconciler {
  private readonly s3Clients = new Map<string, S3Client>();
  private readonly deps: ExecuteDeps;
  private readonly writeCap: WriteCap;

  constructor(private readonly o: ReconcilerOptions) {
    this.writeCap = new WriteCap(o.maxWritesPerHour ?? 60, 3_600_000, () => this.now().getTime());
    this.deps = {
      kube: o.kube,
      events: o.events,
      log: o.log,
      pollIntervalMs: o.pollIntervalMs,
      artifacts: (region, log, assumeRoleARN) => ({
        s3: this.s3(region, assumeRoleARN),
        policy: o.artifactPolicy ?? { allowedHosts: [], allowedCidrs: [] },
        log,
      }),
    };
  }

  /** `priority` is the work queue's for this pass; AWS calls of a low-priority pass yield in the budget. */
  async reconcile(
    obj: FlinkApplication,
    ctx: { log?: Logger; priority?: number } = {},
  ): Promise<ReconcileResult> {
    const log = ctx.log ?? this.o.log.child({ key: `${obj.metadata.namespace}/${obj.metadata.name}` });
    // Being deleted and already released: nothing of ours is left to do.
    if (obj.metadata.deletionTimestamp && !(obj.metadata.finalizers ?? []).includes(finalizer)) return {};
    // The tenancy policy is decided from the spec alone, before anything is read from AWS or S3: a
    // refused resource costs no call, and so cannot probe what exists (docs/adr/0013-tenant-policy.md).
    const decision = this.decide(obj);
    if (decision.kind === "unknown") {
      log.debug(decision.message);
      return { requeueAfterMs: this.o.pollIntervalMs };
    }
    const t = this.target(
      obj,
      decision.kind === "allowed" ? decision.assumeRoleARN : undefined,
      ctx.priority,
    );
    if (decision.kind === "refused") return this.refused(t, log, decision);
    const job = this.jobHealth(t);
    const first = await this.pass(t, log, job);
    if (!first.then) {
      await first.announced;
      return first.result;
    }
    // A new update's write-ahead record is in status now, and AWS has not changed since it was read:
    // its snapshot is taken in the same reconcile, instead of after a trip through the queue and a
    // second DescribeApplication (issue 12: a parallelism change as fast as a stop).
    const second = await this.pass(first.then.t, log, job, first.then.observation);
    await Promise.all([first.announced, second.announced]);
    return second.result;
  }

  /**
   * One observe → plan → execute → record. `known`: what an earlier pass of this reconcile observed,
   * still true because that pass wrote only status.
   */
  private async pass(
    t: Target,
    log: Logger,
    job: JobHealth | undefined,
    known?: Observation,
  ): Promise<{
    result: ReconcileResult;
    then?: { t: Target; observation: Observation };
    /** The step's Events, sent alongside the status write (Executed.announced). */
    announced?: Promise<void>;
  }> {
    let observation = known;
    let step: Step | undefined;
    let done: Executed;
    try {
      observation ??= await observe(t);
      step = this.capped(t, planNextStep({ ...this.planInput(t, observation), job }));
      done = await execute({ ...this.deps, log }, t, step);
    } catch (err) {
      return { result: await this.failed(t, log, { observation, step }, err) };
    }
    // A finalizer patch has no status to record; after removal the resource may already be gone.
    if (done.step.kind === "addFinalizer" || done.step.kind === "removeFinalizer")
      return { result: done.result, announced: done.announced };
    const status = await recordStatus(this.o.kube, t, { step: done.step, observation, job, now: this.now() });
    await this.announceJob(t, observation, job);
    const announced = done.announced;
    if (known || !opensSnapshotFirstUpdate(done.step)) return { result: done.result, announced };
    // The snapshot it names is new (generation and time in its name), so it does not exist yet.
    const then = {
      t: { ...t, obj: { ...t.obj, status } },
      observation: { ...observation, observedSnapshot: NotFound as Observation["observedSnapshot"] },
    };
    return { result: done.result, then, announced };
  }

  /**
   * The job's health for this pass: judged by the monitor (since the new version first ran, while an
   * update stabilizes), else as status recorded it — after a restart, before the monitor's first read.
   */
  private jobHealth(t: Target): JobHealth | undefined {
    const h = this.o.health;
    const spec = t.obj.spec;
    if (!h || spec.health?.checks === "Disabled") return undefined;
    const op = t.obj.status?.operation;
    const since = op?.phase === "Stabilizing" && op.runningSince ? new Date(op.runningSince) : undefined;
    return (
      h.source.judge(t.key, h.thresholds(spec.health), since) ?? recordedJob(t.obj.status?.job, this.now())
    );
  }

  /** An Event on each change of the job's verdict while RUNNING (the correlator folds repeats). */
  private async announceJob(t: Target, o: Observation, job: JobHealth | undefined): Promise<void> {
    if (!job || o.observed === NotFound || o.observed.ApplicationStatus !== "RUNNING") return;
    const before = t.obj.status?.job?.verdict;
    if (before === job.verdict || (before === undefined && job.verdict === "NoData")) return;
    const healthy = job.verdict === "Healthy";
    const again = before !== undefined && before !== "NoData" ? " again" : "";
    await this.o.events.record(
      t.obj,
      healthy ? "Normal" : "Warning",
      `Job${job.verdict}`,
      healthy ? `the job is healthy${again}: ${job.message}` : jobMessage(job),
    );
  }

  private decide(obj: FlinkApplication): TenantDecision {
    const namespace = obj.metadata.namespace!;
    const rules = this.o.tenancy.rulesFor(namespace);
    if (!rules) return { kind: "unknown", message: `namespace ${namespace} is not in the cache yet` };
    const app = {
      namespace,
      name: obj.metadata.name!,
      annotations: obj.metadata.annotations,
      spec: obj.spec,
    };
    return decide(app, rules, this.o.defaultRegion);
  }

  /**
   * A resource the policy refuses: Stalled with reason PolicyViolation, and no AWS or S3 call. Being
   * deleted, it is released and whatever exists in AWS is left untouched: a tenant must not be able to
   * delete through a spec the policy refuses (an adopted application, a forbidden region).
   */
  private async refused(
    t: Target,
    log: Logger,
    decision: Extract<TenantDecision, { kind: "refused" }>,
  ): Promise<ReconcileResult> {
    const v = decision.violation;
    const step: Step = t.deleting
      ? { kind: "removeFinalizer", reason: `${decision.message}; the application in AWS is left untouched` }
      : { kind: "stalled", reason: "PolicyViolation", message: decision.message };
    log.warn({ rule: v.rule, field: v.field, policy: v.source }, "refused by the tenancy policy");
    if (t.deleting) this.writeCap.forget(t.key);
    const done = await execute({ ...this.deps, log }, t, step);
    if (step.kind === "stalled") await recordStatus(this.o.kube, t, { step: done.step, now: this.now() });
    await done.announced;
    return done.result;
  }

  /** The planned step, or a stall when it would write beyond the application's hourly cap. */
  private capped(t: Target, step: Step): Step {
    if (step.kind === "removeFinalizer") this.writeCap.forget(t.key);
    if (!isWrite(step)) return step;
    const wait = this.writeCap.take(t.key);
    if (wait === undefined) return step;
    this.o.onWriteCapReached?.();
    const minutes = Math.ceil(wait / 60_000);
    return {
      kind: "stalled",
      reason: "WriteCapReached",
      message: `${this.writeCap.max} AWS writes in the last hour (MAX_AWS_WRITES_PER_APPLICATION_PER_HOUR); next ${step.kind} in ${minutes} min — check for a loop`,
      retryAfterMs: wait,
    };
  }

  private target(obj: FlinkApplication, assumeRoleARN?: string, priority?: number): Target {
    const region = obj.spec.region ?? obj.status?.region ?? this.o.defaultRegion;
    return {
      obj,
      key: `${obj.metadata.namespace}/${obj.metadata.name}`,
      generation: obj.metadata.generation ?? 0,
      applicationName: obj.spec.applicationName ?? obj.metadata.name!,
      region,
      api: this.o.aws.forRegion(region, { ...(assumeRoleARN ? { assumeRoleARN } : {}), priority }),
      ...(assumeRoleARN ? { assumeRoleARN } : {}),
      deleting: Boolean(obj.metadata.deletionTimestamp),
      hasFinalizer: (obj.metadata.finalizers ?? []).includes(finalizer),
    };
  }

  private planInput(t: Target, o: Observation) {
    const status = t.obj.status ?? {};
    // ConfigMap property groups become inline ones here, so the planner compares them like any other.
    const properties = resolveProperties(t.obj.spec, t.obj.metadata.namespace!, this.o.configMaps);
    return {
      ...o,
      key: t.key,
      generation: t.generation,
      spec: withLogStreamArn("spec" in properties ? properties.spec : t.obj.spec, t.region),
      ...("spec" in properties ? { propertiesFrom: properties.from } : { propertiesError: properties.error }),
      status,
      applicationName: t.applicationName,
      region: t.region,
      code: codeToRun(t.obj.spec.code, status),
      deleting: t.deleting,
      hasFinalizer: t.hasFinalizer,
      adopt: t.obj.metadata.annotations?.[adoptAnnotation] === "true",
      now: this.now(),
    };
  }

  /**
   * A failed read or write. Errors of the API server are the queue's to retry (with backoff); AWS
   * errors are classified: terminal ones stall until the spec changes, conflicts are retried soon,
   * anything else is recorded and retried with backoff.
   */
  private async failed(
    t: Target,
    log: Logger,
    at: { observation?: Observation; step?: Step },
    err: unknown,
  ): Promise<ReconcileResult> {
    if (err instanceof KubeApiError) throw err;
    const e = classifyAwsError(err, at.step?.kind ?? "observe");
    const failure: Failure = {
      type: e.type,
      message: e.message,
      operation: e.operation,
      terminal: e instanceof TerminalError,
      external: e instanceof ExternalError,
    };
    log.warn({ step: at.step?.kind, errorType: e.type, err: e.message }, "reconcile step failed");
    // One event per distinct error, not one per retry.
    const last = t.obj.status?.lastError;
    if (last?.type !== e.type || last?.message !== e.message) {
      await this.o.events.record(t.obj, "Warning", e.type, `${e.operation ?? at.step?.kind}: ${e.message}`);
    }
    await recordStatus(this.o.kube, t, { ...at, failure, now: this.now() });
    if (e instanceof ConflictError)
      return { requeueAfterMs: this.o.conflictRetryMs ?? this.o.pollIntervalMs };
    if (e instanceof TerminalError) return {};
    if (e instanceof ExternalError) return { requeueAfterMs: this.o.externalRetryMs ?? 300_000 };
    throw e;
  }

  private now(): Date {
    return this.o.now?.() ?? new Date();
  }

  private s3(region: string, assumeRoleARN?: string): S3Client {
    const key = `${region}|${assumeRoleARN ?? ""}`;
    let c = this.s3Clients.get(key);
    if (!c) {
      // The SDK reads AWS_ENDPOINT_URL_S3 itself; a custom endpoint (a local S3) needs path-style
      // addressing because bucket subdomains of an IP address do not resolve.
      c =
        this.o.s3ForRegion?.(region, assumeRoleARN) ??
        new S3Client({
          region,
          forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3),
          ...(assumeRoleARN
            ? { credentials: (this.o.assumedRoles ?? new AssumedRoles()).credentials(assumeRoleARN, region) }
            : {}),
        });
      this.s3Clients.set(key, c);
    }
    return c;
  }
}
