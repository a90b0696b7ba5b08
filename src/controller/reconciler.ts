// One reconcile of one FlinkApplication, in four named steps:
//   observe (AWS reads only) → plan (pure) → execute (at most one write) → record status.
// The shape follows the Flink Kubernetes Operator's observer/reconciler/status recorder and the ACK
// runtime's read → compare → one write; ADR 0006 explains the design.
import { S3Client } from "@aws-sdk/client-s3";
import type { Logger } from "pino";
import type { ArtifactPolicy } from "../artifacts/index.js";
import { ConflictError, classifyAwsError, TerminalError } from "../aws/errors.js";
import type { ManagedFlinkClients } from "../aws/managed-flink.js";
import type { FlinkApplication } from "../crds/types.generated.js";
import { codeToRun } from "./artifact.js";
import type { EventRecorder } from "./events.js";
import { type ExecuteDeps, type Executed, execute, finalizer } from "./execute.js";
import type { KubeWrites } from "./kube.js";
import { type Observation, observe, type Target } from "./observe.js";
import { planNextStep, type Step } from "./plan.js";
import { type Failure, recordStatus } from "./record-status.js";
import type { ReconcileResult } from "./runtime/queue.js";
import { KubeApiError } from "./runtime/transport.js";

export { finalizer } from "./execute.js";
export const adoptAnnotation = "managedflink.dev/adopt";

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
  now?: () => Date;
  /** Where artifact URLs may point (the SSRF guard); the default allows public https only. */
  artifactPolicy?: ArtifactPolicy;
  /** S3 client for a region (artifact uploads); defaults to the SDK with the standard configuration. */
  s3ForRegion?: (region: string) => S3Client;
}

export class FlinkApplicationReconciler {
  private readonly s3Clients = new Map<string, S3Client>();
  private readonly deps: ExecuteDeps;

  constructor(private readonly o: ReconcilerOptions) {
    this.deps = {
      kube: o.kube,
      events: o.events,
      log: o.log,
      pollIntervalMs: o.pollIntervalMs,
      artifacts: (region, log) => ({
        s3: this.s3(region),
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
    const t = this.target(obj, ctx.priority);
    // Being deleted and already released: nothing of ours is left to do.
    if (t.deleting && !t.hasFinalizer) return {};
    let observation: Observation | undefined;
    let step: Step | undefined;
    let done: Executed;
    try {
      observation = await observe(t);
      step = planNextStep(this.planInput(t, observation));
      done = await execute({ ...this.deps, log }, t, step);
    } catch (err) {
      return this.failed(t, log, { observation, step }, err);
    }
    // A finalizer patch has no status to record; after removal the resource may already be gone.
    if (done.step.kind === "addFinalizer" || done.step.kind === "removeFinalizer") return done.result;
    await recordStatus(this.o.kube, t, { step: done.step, observation, now: this.now() });
    return done.result;
  }

  private target(obj: FlinkApplication, priority?: number): Target {
    const region = obj.spec.region ?? obj.status?.region ?? this.o.defaultRegion;
    return {
      obj,
      key: `${obj.metadata.namespace}/${obj.metadata.name}`,
      generation: obj.metadata.generation ?? 0,
      applicationName: obj.spec.applicationName ?? obj.metadata.name!,
      region,
      api: this.o.aws.forRegion(region, priority),
      deleting: Boolean(obj.metadata.deletionTimestamp),
      hasFinalizer: (obj.metadata.finalizers ?? []).includes(finalizer),
    };
  }

  private planInput(t: Target, o: Observation) {
    const status = t.obj.status ?? {};
    return {
      ...o,
      key: t.key,
      generation: t.generation,
      spec: t.obj.spec,
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
    throw e;
  }

  private now(): Date {
    return this.o.now?.() ?? new Date();
  }

  private s3(region: string): S3Client {
    let c = this.s3Clients.get(region);
    if (!c) {
      // The SDK reads AWS_ENDPOINT_URL_S3 itself; a custom endpoint (a local S3) needs path-style
      // addressing because bucket subdomains of an IP address do not resolve.
      c =
        this.o.s3ForRegion?.(region) ??
        new S3Client({ region, forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) });
      this.s3Clients.set(region, c);
    }
    return c;
  }
}
