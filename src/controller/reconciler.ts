// One reconcile of one FlinkApplication: observe (DescribeApplication) → plan (pure) → at most one
// AWS action → record status. Status is written only when it changed, so a resync of a settled
// application costs one DescribeApplication and no writes at all.
import type { ApplicationDetail } from "@aws-sdk/client-kinesis-analytics-v2";
import { S3Client } from "@aws-sdk/client-s3";
import type { Logger } from "pino";
import { ArtifactError, type ArtifactPolicy, ensureArtifact } from "../artifacts/index.js";
import { ConflictError, classifyAwsError, RecoverableError, TerminalError } from "../aws/errors.js";
import { type ManagedFlinkClients, NotFound } from "../aws/managed-flink.js";
import type { FlinkApplication, FlinkApplicationStatus, ResolvedArtifact } from "../crds/types.generated.js";
import { type CodeObject, ownerTag } from "./desired.js";
import type { EventRecorder } from "./events.js";
import type { KubeWrites } from "./kube.js";
import { type Ownership, type PlanInput, pendingSnapshotName, planNextStep, type Step } from "./plan.js";
import type { ReconcileResult } from "./runtime/queue.js";
import {
  compact,
  describeStep,
  lastErrorOf,
  nextConditions,
  observedFields,
  outcomeOf,
  sameJson,
} from "./status.js";

export const finalizer = "managedflink.dev/finalizer";
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
  /**
   * Fault injection for the crash tests only: SIGKILL this process right after a step of this kind
   * was carried out ("<kind>") or after its status was recorded ("<kind>:recorded").
   */
  crashAfter?: string;
}

export class FlinkApplicationReconciler {
  private readonly s3Clients = new Map<string, S3Client>();

  constructor(private readonly o: ReconcilerOptions) {}

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

  /**
   * The S3 object to run: spec.code.s3 as it is, or spec.code.artifact fetched, verified and uploaded
   * once. An artifact already recorded in status with the same digest and target costs no call.
   */
  private async resolveCode(
    obj: FlinkApplication,
    region: string,
    log: Logger,
  ): Promise<{ code: CodeObject | { error: string }; artifact?: ResolvedArtifact }> {
    const code = obj.spec.code;
    if (code.s3) return { code: code.s3 };
    const a = code.artifact!;
    const recorded = obj.status?.artifact;
    const prefix = (a.prefix ?? "flink-applications").replace(/^\/+|\/+$/g, "");
    if (
      recorded?.sha256 === a.sha256 &&
      recorded.bucket === a.bucket &&
      recorded.key?.startsWith(`${prefix}/`)
    ) {
      return {
        code: { bucket: recorded.bucket!, key: recorded.key!, objectVersion: recorded.objectVersion },
        artifact: recorded,
      };
    }
    try {
      const out = await ensureArtifact(a, {
        s3: this.s3(region),
        policy: this.o.artifactPolicy ?? { allowedHosts: [], allowedCidrs: [] },
        log,
      });
      if (out.uploaded) {
        await this.o.events.record(
          obj,
          "Normal",
          "ArtifactUploaded",
          `uploaded ${out.bytes ?? "?"} bytes to s3://${out.bucket}/${out.key}`,
        );
      }
      const artifact: ResolvedArtifact = {
        sha256: out.sha256,
        bucket: out.bucket,
        key: out.key,
        ...(out.objectVersion ? { objectVersion: out.objectVersion } : {}),
        source: a.url
          ? a.url.replace(/[?#].*$/, "")
          : `${a.maven?.groupId}:${a.maven?.artifactId}:${a.maven?.version}`,
      };
      return { code: { bucket: out.bucket, key: out.key, objectVersion: out.objectVersion }, artifact };
    } catch (err) {
      if (err instanceof ArtifactError) {
        if (err.terminal) throw new TerminalError(`Artifact${err.reason}`, err.message, "ArtifactUpload");
        throw new RecoverableError(`Artifact${err.reason}`, err.message, "ArtifactUpload");
      }
      throw err;
    }
  }

  async reconcile(obj: FlinkApplication, ctx?: { log?: Logger }): Promise<ReconcileResult> {
    const now = this.o.now ?? (() => new Date());
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    const log = ctx?.log ?? this.o.log.child({ key });
    const spec = obj.spec;
    const status = obj.status ?? {};
    const generation = obj.metadata.generation ?? 0;
    const applicationName = spec.applicationName ?? obj.metadata.name!;
    const region = spec.region ?? status.region ?? this.o.defaultRegion;
    const api = this.o.aws.forRegion(region);
    const deleting = Boolean(obj.metadata.deletionTimestamp);
    const hasFinalizer = (obj.metadata.finalizers ?? []).includes(finalizer);

    if (deleting && !hasFinalizer) return {};
    if (!deleting && !hasFinalizer) {
      await this.o.kube.setFinalizers(obj, [...(obj.metadata.finalizers ?? []), finalizer]);
      // The update event of our own patch brings the object back with the finalizer.
      return {};
    }

    let step: Step | undefined;
    let observed: ApplicationDetail | typeof NotFound = NotFound;
    let failure: { type: string; message: string; operation?: string; terminal: boolean } | undefined;
    let result: ReconcileResult = {};
    let ownership: Ownership | undefined;
    let artifact: ResolvedArtifact | undefined = status.artifact;
    const record = () =>
      this.recordStatus(
        obj,
        status,
        step,
        linked(observed, ownership),
        applicationName,
        region,
        generation,
        failure,
        now(),
        artifact,
      );
    try {
      observed = await api.describeApplication(applicationName);
      ownership = observed === NotFound ? undefined : await this.ownership(api, observed, status, key);
      // Tags are not versioned and DescribeApplication does not return them: read them only when the
      // spec changed, so that a steady resync stays at one call.
      const observedTags =
        observed !== NotFound &&
        ownership?.kind === "ours" &&
        status.observedGeneration !== generation &&
        !deleting
          ? await api.listTags(observed.ApplicationARN!)
          : undefined;
      const ours = observed !== NotFound && ownership?.kind === "ours" && !deleting;
      // Only while an operation or a snapshot request depends on them: one more read, never at rest.
      const pending = ours ? pendingSnapshotName(spec, status, applicationName) : undefined;
      const observedSnapshot = pending ? await api.describeSnapshot(applicationName, pending) : undefined;
      const previousVersion =
        ours && status.operation?.type === "Rollback" && status.operation.fromVersionId
          ? await api.describeVersion(applicationName, status.operation.fromVersionId)
          : undefined;
      // A terminal error stops retries until the spec changes (a new generation): not even the
      // artifact is fetched again. Deletion still proceeds.
      const terminal = status.lastError?.terminal && status.lastError.generation === generation && !deleting;
      const resolved =
        deleting || terminal ? { code: { error: "not resolved" } } : await this.resolveCode(obj, region, log);
      if (resolved.artifact) artifact = resolved.artifact;
      const input: PlanInput = {
        key,
        generation,
        spec,
        status,
        applicationName,
        region,
        code: resolved.code,
        deleting,
        hasFinalizer,
        adopt: obj.metadata.annotations?.[adoptAnnotation] === "true",
        observed,
        ownership,
        observedTags,
        observedSnapshot,
        previousVersion,
        now: now(),
      };
      step = planNextStep(input);
      if (terminal && status.lastError) {
        step = {
          kind: "stalled",
          reason: status.lastError.type ?? "Terminal",
          message: status.lastError.message ?? "",
        };
        failure = {
          type: status.lastError.type ?? "Terminal",
          message: status.lastError.message ?? "",
          operation: status.lastError.operation,
          terminal: true,
        };
      } else {
        result = await this.execute(obj, step, log);
        this.crashPoint(step.kind);
      }
    } catch (err) {
      const e =
        err instanceof TerminalError || err instanceof ConflictError || err instanceof RecoverableError
          ? err
          : classifyAwsError(err, step?.kind ?? "observe");
      failure = {
        type: e.type,
        message: e.message,
        operation: e.operation,
        terminal: e instanceof TerminalError,
      };
      log.warn({ step: step?.kind, errorType: e.type, err: e.message }, "reconcile step failed");
      // One event per distinct error, not one per retry.
      if (status.lastError?.type !== e.type || status.lastError?.message !== e.message) {
        await this.o.events.record(obj, "Warning", e.type, `${e.operation ?? step?.kind}: ${e.message}`);
      }
      if (e instanceof ConflictError) {
        result = { requeueAfterMs: this.o.conflictRetryMs ?? this.o.pollIntervalMs };
      } else if (!(e instanceof TerminalError)) {
        await record();
        throw e;
      }
    }
    if (step?.kind === "removeFinalizer") return {};
    await record();
    if (step && !failure) this.crashPoint(`${step.kind}:recorded`);
    return result;
  }

  private crashPoint(point: string): void {
    if (this.o.crashAfter === point) process.kill(process.pid, "SIGKILL");
  }

  private async ownership(
    api: ReturnType<ManagedFlinkClients["forRegion"]>,
    observed: ApplicationDetail,
    status: FlinkApplicationStatus,
    key: string,
  ): Promise<Ownership> {
    // Linked in status: we created or adopted exactly this application (same ARN and creation time).
    if (
      status.applicationARN === observed.ApplicationARN &&
      status.createTimestamp === observed.CreateTimestamp?.toISOString()
    ) {
      return { kind: "ours" };
    }
    const owner = (await api.listTags(observed.ApplicationARN!))[ownerTag];
    if (owner === key) return { kind: "ours" };
    return owner ? { kind: "other", owner } : { kind: "unowned" };
  }

  private async execute(obj: FlinkApplication, step: Step, log: Logger): Promise<ReconcileResult> {
    const spec = obj.spec;
    const region = spec.region ?? obj.status?.region ?? this.o.defaultRegion;
    const api = this.o.aws.forRegion(region);
    const name = spec.applicationName ?? obj.metadata.name!;
    const poll = { requeueAfterMs: this.o.pollIntervalMs };
    const done = async (reason: string, message = describeStep(step)) => {
      log.info({ step: step.kind }, message);
      await this.o.events.record(obj, "Normal", reason, message);
    };
    switch (step.kind) {
      case "steady":
        return {};
      case "wait":
        return poll;
      case "stalled":
        log.warn({ reason: step.reason }, step.message);
        if (obj.status?.conditions?.find((c) => c.type === "Stalled")?.reason !== step.reason) {
          await this.o.events.record(obj, "Warning", step.reason, step.message);
        }
        return {};
      case "addFinalizer":
        await this.o.kube.setFinalizers(obj, [...(obj.metadata.finalizers ?? []), finalizer]);
        return {};
      case "removeFinalizer":
        await this.o.kube.setFinalizers(
          obj,
          (obj.metadata.finalizers ?? []).filter((f) => f !== finalizer),
        );
        log.info({ step: step.kind }, step.reason);
        return {};
      case "create":
        await api.createApplication(step.request);
        await done("Created");
        return poll;
      case "adopt":
        await api.tagResource(step.arn, { [ownerTag]: `${obj.metadata.namespace}/${obj.metadata.name}` });
        await done("Adopted");
        return poll;
      case "start":
        await api.startApplication(name, step.run);
        await done("Starting");
        return poll;
      case "stop":
        await api.stopApplication(name, step.force);
        await done("Stopping");
        return poll;
      case "update": {
        const { operationId } = await api.updateApplication(step.request);
        // The OperationId lets a later failure be explained from DescribeApplicationOperation.
        if (operationId && step.changes?.operation) step.changes.operation.operationId = operationId;
        await done("Updating");
        return poll;
      }
      case "record":
        await done(step.reason, step.message);
        return { requeueAfterMs: 0 };
      case "snapshot":
        try {
          await api.createSnapshot(name, step.snapshotName);
        } catch (err) {
          // Already there (a previous controller created it and died): the next pass reads its state.
          if (!(err instanceof ConflictError && err.type === "ResourceInUseException")) throw err;
        }
        await done("Snapshotting");
        return poll;
      case "deleteSnapshot":
        try {
          await api.deleteSnapshot(name, step.snapshotName, step.createdAt);
        } catch (err) {
          if ((err as { type?: string }).type !== "ResourceNotFoundException") throw err;
        }
        step.changes = {
          snapshots: (obj.status?.snapshots ?? []).filter((s) => s.name !== step.snapshotName),
        };
        await done("SnapshotDeleted");
        return { requeueAfterMs: 0 };
      case "rollback": {
        const { operationId } = await api.rollbackApplication(name, step.currentVersionId);
        const op = obj.status?.operation;
        if (op) step.changes = { operation: { ...op, operationId: operationId ?? "rollback" } };
        await done("RollingBack");
        return poll;
      }
      case "updateFailed": {
        const details = step.operationId ? await api.describeOperation(name, step.operationId) : NotFound;
        const info =
          details !== NotFound
            ? (details.OperationFailureDetails?.ErrorInfo?.ErrorString ?? details.OperationStatus)
            : undefined;
        if (info) step.failure.message = `${step.failure.message}; ${step.operationId}: ${info}`;
        log.warn({ step: step.kind, failure: step.failure }, "update failed");
        await this.o.events.record(obj, "Warning", "UpdateFailed", describeStep(step));
        return step.changes?.operation ? { requeueAfterMs: 0 } : {};
      }
      case "tag":
        if (Object.keys(step.add).length > 0) await api.tagResource(step.arn, step.add);
        if (step.remove.length > 0) await api.untagResource(step.arn, step.remove);
        await done("Tagged");
        return { requeueAfterMs: 0 };
      case "delete":
        await api.deleteApplication(name, step.createTimestamp);
        await done("Deleting");
        return poll;
    }
  }

  private async recordStatus(
    obj: FlinkApplication,
    before: FlinkApplicationStatus,
    step: Step | undefined,
    observed: ApplicationDetail | typeof NotFound,
    applicationName: string,
    region: string,
    generation: number,
    failure: { type: string; message: string; operation?: string; terminal: boolean } | undefined,
    now: Date,
    artifact: ResolvedArtifact | undefined,
  ): Promise<void> {
    if (obj.metadata.deletionTimestamp && !step) return;
    const outcome = outcomeOf(step ?? { kind: "wait", reason: "Observing", message: "observing" }, failure);
    // Before the application exists, keep what we knew (a failed describe must not erase the ARN).
    const seen =
      observed === NotFound && before.applicationARN && failure
        ? { ...pick(before), applicationName, region }
        : observedFields(observed, applicationName, region);
    // The durable record (operation, snapshots, failed update) changes only through a step that was
    // carried out; a failed call leaves it as it was, so the next pass resumes the same operation.
    const durable: Partial<FlinkApplicationStatus> = {
      artifact,
      operation: before.operation,
      snapshots: before.snapshots,
      lastSnapshotRequest: before.lastSnapshotRequest,
      lastFailedUpdate: before.lastFailedUpdate,
    };
    if (step?.changes && !failure) {
      for (const [k, v] of Object.entries(step.changes)) {
        (durable as Record<string, unknown>)[k] = v === null ? undefined : v;
      }
    }
    const next: FlinkApplicationStatus = compact({
      ...seen,
      ...durable,
      observedGeneration: generation,
      conditions: nextConditions(before.conditions, outcome, generation, now),
      // The last error stays until a reconcile succeeds; a terminal one also until the spec changes.
      lastError: failure ? sameErrorOr(before, failure, generation, now) : undefined,
    });
    if (sameJson(compact(before), next)) return;
    // Merge patch: keys we no longer report are sent as null so that they are removed.
    const patch: Record<string, unknown> = { ...next };
    for (const k of Object.keys(before)) if (!(k in next)) patch[k] = null;
    await this.o.kube.patchStatus(
      obj.metadata.namespace!,
      obj.metadata.name!,
      patch as FlinkApplicationStatus,
    );
  }
}

/** Keeps the recorded error (and its time) when the same error repeats, so status does not churn. */
function sameErrorOr(
  before: FlinkApplicationStatus,
  failure: { type: string; message: string; operation?: string; terminal: boolean },
  generation: number,
  now: Date,
) {
  const e = before.lastError;
  if (e && e.type === failure.type && e.message === failure.message && e.generation === generation) return e;
  return lastErrorOf(failure, generation, now);
}

function pick(s: FlinkApplicationStatus): Partial<FlinkApplicationStatus> {
  const { conditions: _c, lastError: _e, observedGeneration: _g, ...rest } = s;
  return rest;
}

/**
 * Status links the resource to an application (ARN + creation time) only once it is ours: one found
 * under the same name must never look owned on the next pass.
 */
function linked(observed: ApplicationDetail | typeof NotFound, ownership: Ownership | undefined) {
  return observed !== NotFound && ownership?.kind === "ours" ? observed : NotFound;
}
