// Execute: carry out the one planned step. Each action makes at most one AWS write (or one
// Kubernetes write for the finalizer) and returns the step as carried out — a copy with what the call
// returned (operation id, failure details) — never changing the plan it was given.
import type { Logger } from "pino";
import { ConflictError } from "../aws/errors.js";
import { NotFound } from "../aws/managed-flink.js";
import type { FlinkApplication } from "../crds/types.generated.js";
import type { ArtifactDeps } from "./artifact.js";
import { uploadArtifact } from "./artifact.js";
import { ownerTag } from "./desired.js";
import type { EventRecorder } from "./events.js";
import type { KubeWrites } from "./kube.js";
import type { Target } from "./observe.js";
import type { Step } from "./plan.js";
import type { ReconcileResult } from "./runtime/queue.js";
import { describeStep } from "./status.js";

export const finalizer = "managedflink.dev/finalizer";

export interface ExecuteDeps {
  kube: KubeWrites;
  events: EventRecorder;
  log: Logger;
  /** How soon to look again while the application is changing state. */
  pollIntervalMs: number;
  artifacts(region: string, log: Logger, assumeRoleARN?: string): ArtifactDeps;
}

export interface Executed {
  /** The step as carried out; what recordStatus writes. */
  step: Step;
  result: ReconcileResult;
  /**
   * The Events the step announced, still being sent: the reconcile waits for them only at its end, so
   * that an Event never stands between a step and the status write or AWS call after it (client-go's
   * recorder does not block a reconcile at all). Never rejects: the recorder logs its own failures.
   */
  announced?: Promise<void>;
}

type StepOf<K extends Step["kind"]> = Extract<Step, { kind: K }>;
type Action<K extends Step["kind"]> = (x: Context, step: StepOf<K>) => Promise<Executed>;

interface Context extends ExecuteDeps {
  target: Target;
  /** Logs an action taken and starts recording its Normal Event (see Executed.announced). */
  announce(step: Step, reason: string, message?: string): void;
}

export async function execute(deps: ExecuteDeps, target: Target, step: Step): Promise<Executed> {
  const sending: Promise<void>[] = [];
  const x: Context = {
    ...deps,
    target,
    announce(s, reason, message = describeStep(s)) {
      deps.log.info({ step: s.kind }, message);
      sending.push(deps.events.record(target.obj, "Normal", reason, message).catch(() => undefined));
    },
  };
  const done = await (actions[step.kind] as Action<typeof step.kind>)(x, step as never);
  return sending.length ? { ...done, announced: Promise.all(sending).then(() => undefined) } : done;
}

const poll = (x: Context, step: Step): Executed => ({ step, result: { requeueAfterMs: x.pollIntervalMs } });
/** Only status changed: continue at once instead of waiting for our own write to come back. */
const now = (step: Step): Executed => ({ step, result: { continueNow: true } });
const idle = (step: Step): Executed => ({ step, result: {} });

const withoutFinalizer = (obj: FlinkApplication) =>
  (obj.metadata.finalizers ?? []).filter((f) => f !== finalizer);

const actions: { [K in Step["kind"]]: Action<K> } = {
  steady: async (_x, step) =>
    step.recheckAfterMs ? { step, result: { requeueAfterMs: step.recheckAfterMs } } : idle(step),
  // The health monitor enqueues the resource when the verdict changes; nothing to poll for.
  unhealthy: async (_x, step) => idle(step),
  wait: async (x, step) => poll(x, step),
  stalled: async (x, step) => {
    x.log.warn({ reason: step.reason }, step.message);
    const stalled = x.target.obj.status?.conditions?.find((c) => c.type === "Stalled");
    if (stalled?.reason !== step.reason)
      await x.events.record(x.target.obj, "Warning", step.reason, step.message);
    return step.retryAfterMs ? { step, result: { requeueAfterMs: step.retryAfterMs } } : idle(step);
  },
  addFinalizer: async (x, step) => {
    await x.kube.setFinalizers(x.target.obj, [...withoutFinalizer(x.target.obj), finalizer]);
    return now(step);
  },
  removeFinalizer: async (x, step) => {
    await x.kube.setFinalizers(x.target.obj, withoutFinalizer(x.target.obj));
    x.log.info({ step: step.kind }, step.reason);
    return idle(step);
  },
  uploadArtifact: async (x, step) => {
    const out = await uploadArtifact(
      x.target.obj.spec.code,
      x.artifacts(x.target.region, x.log, x.target.assumeRoleARN),
    );
    if (out.uploaded) {
      const a = out.artifact;
      x.announce(step, "ArtifactUploaded", `uploaded ${out.bytes ?? "?"} bytes to s3://${a.bucket}/${a.key}`);
    }
    return now({ ...step, changes: { artifact: out.artifact } });
  },
  create: async (x, step) => {
    await x.target.api.createApplication(step.request);
    x.announce(step, "Created");
    return poll(x, step);
  },
  adopt: async (x, step) => {
    await x.target.api.tagResource(step.arn, { [ownerTag]: x.target.key });
    x.announce(step, "Adopted");
    return poll(x, step);
  },
  start: async (x, step) => {
    await x.target.api.startApplication(x.target.applicationName, step.run);
    x.announce(step, "Starting");
    return poll(x, step);
  },
  stop: async (x, step) => {
    await x.target.api.stopApplication(x.target.applicationName, step.force);
    x.announce(step, "Stopping");
    return poll(x, step);
  },
  update: async (x, step) => {
    const { operationId, detail } = await x.target.api.updateApplication(step.request);
    return updating(x, step, operationId, detail.ApplicationVersionId);
  },
  attach: async (x, step) => {
    const { operationId, versionId } = await attachmentCall(x, step.change, step.currentVersionId);
    return updating(x, step, operationId, versionId);
  },
  record: async (x, step) => {
    x.announce(step, step.reason, step.message);
    return now(step);
  },
  snapshot: async (x, step) => {
    try {
      await x.target.api.createSnapshot(x.target.applicationName, step.snapshotName);
    } catch (err) {
      // Already there (a previous controller created it and died): the next pass reads its state.
      if (!(err instanceof ConflictError && err.type === "ResourceInUseException")) throw err;
    }
    x.announce(step, "Snapshotting");
    return poll(x, step);
  },
  deleteSnapshot: async (x, step) => {
    try {
      await x.target.api.deleteSnapshot(x.target.applicationName, step.snapshotName, step.createdAt);
    } catch (err) {
      if ((err as { type?: string }).type !== "ResourceNotFoundException") throw err;
    }
    const snapshots = (x.target.obj.status?.snapshots ?? []).filter((s) => s.name !== step.snapshotName);
    x.announce(step, "SnapshotDeleted");
    return now({ ...step, changes: { snapshots } });
  },
  rollback: async (x, step) => {
    const { operationId } = await x.target.api.rollbackApplication(
      x.target.applicationName,
      step.currentVersionId,
    );
    const op = x.target.obj.status?.operation;
    const done: Step = op
      ? { ...step, changes: { operation: { ...op, operationId: operationId ?? "rollback" } } }
      : step;
    x.announce(done, "RollingBack");
    return poll(x, done);
  },
  updateFailed: async (x, step) => {
    const done = await explainFailure(x, step);
    x.log.warn({ step: step.kind, failure: done.failure }, "update failed");
    await x.events.record(x.target.obj, "Warning", "UpdateFailed", describeStep(done));
    return done.changes?.operation ? now(done) : idle(done);
  },
  tag: async (x, step) => {
    if (Object.keys(step.add).length > 0) await x.target.api.tagResource(step.arn, step.add);
    if (step.remove.length > 0) await x.target.api.untagResource(step.arn, step.remove);
    x.announce(step, "Tagged");
    return now(step);
  },
  delete: async (x, step) => {
    await x.target.api.deleteApplication(x.target.applicationName, step.createTimestamp);
    x.announce(step, "Deleting");
    return poll(x, step);
  },
};

/** The one Add/Delete call an attachment change takes (attachment-plan.ts). */
function attachmentCall(x: Context, change: StepOf<"attach">["change"], versionId: number) {
  const { api, applicationName: name } = x.target;
  if (change.field === "logging") return api.addCloudWatchLoggingOption(name, versionId, change.logStreamARN);
  return change.kind === "add"
    ? api.addVpcConfiguration(name, versionId, change.vpc)
    : api.deleteVpcConfiguration(name, versionId, change.vpcConfigurationId);
}

/** An update-like call was accepted: its OperationId and the version it made are recorded, then poll. */
async function updating(
  x: Context,
  step: StepOf<"update" | "attach">,
  operationId: string | undefined,
  versionId: number | undefined,
): Promise<Executed> {
  const op = step.changes?.operation;
  const propertiesHash = op?.propertiesHash ?? step.propertiesHash;
  const changes = {
    ...step.changes,
    // The OperationId lets a later failure be explained from DescribeApplicationOperation.
    ...(operationId && op ? { operation: { ...op, operationId } } : {}),
    // The version this update produced: drift still there on it is reported, not updated again.
    lastUpdate: { generation: x.target.generation, versionId, ...(propertiesHash ? { propertiesHash } : {}) },
  };
  const done: Step = { ...step, changes };
  x.announce(done, "Updating");
  return poll(x, done);
}

/** Adds DescribeApplicationOperation's failure details to the failure report, where there are any. */
async function explainFailure(x: Context, step: StepOf<"updateFailed">): Promise<StepOf<"updateFailed">> {
  if (!step.operationId) return step;
  const details = await x.target.api.describeOperation(x.target.applicationName, step.operationId);
  if (details === NotFound) return step;
  const info = details.OperationFailureDetails?.ErrorInfo?.ErrorString ?? details.OperationStatus;
  if (!info) return step;
  const failure = { ...step.failure, message: `${step.failure.message}; ${step.operationId}: ${info}` };
  const changes = step.changes?.lastFailedUpdate
    ? { ...step.changes, lastFailedUpdate: failure }
    : step.changes;
  return { ...step, failure, changes };
}
