// The snapshot-first update as an operation recorded in status: planned one step at a time from
// status.operation and what AWS reports, so that a restarted controller resumes it exactly.
import type {
  ApplicationDetail,
  SnapshotDetails,
  UpdateApplicationRequest,
} from "@aws-sdk/client-kinesis-analytics-v2";
import { NotFound } from "../aws/managed-flink.js";
import type { FailedUpdate, SnapshotRecord, UpdateOperation } from "../crds/types.generated.js";
import { operationCall } from "./attachment-plan.js";
import {
  configurationDrift,
  type Drift,
  runConfiguration,
  runConfigurationUpdate,
  specFromDetail,
} from "./desired.js";
import { jobMessage } from "./job-health.js";
import { type PlanInput, pascal, type Step, transitional } from "./plan-types.js";
import { servedBy } from "./restart-plan.js";

export const correctable = (drift: Drift) => drift.fields.filter((f) => !drift.uncorrectable.includes(f));

export function updateRequest(
  input: PlanInput,
  observed: ApplicationDetail,
  drift: Drift,
  restoreFrom?: string,
): UpdateApplicationRequest {
  const running = observed.ApplicationStatus === "RUNNING";
  const run = runConfigurationUpdate(input.spec);
  return {
    ApplicationName: input.applicationName,
    CurrentApplicationVersionId: observed.ApplicationVersionId,
    ...drift.update,
    // A running application restarts on update: restore exactly the pre-update snapshot when there is
    // one, else as spec.restore says — never silently from scratch.
    ...(running
      ? {
          RunConfigurationUpdate: restoreFrom
            ? {
                ...run,
                ApplicationRestoreConfiguration: {
                  ApplicationRestoreType: "RESTORE_FROM_CUSTOM_SNAPSHOT",
                  SnapshotName: restoreFrom,
                },
              }
            : run,
        }
      : {}),
  };
}

/** `<application>-g<generation>-<UTC time>`: unique per update, and within AWS's 1-256 [a-zA-Z0-9_.-]. */
export function snapshotName(applicationName: string, generation: number, now: Date): string {
  const suffix = `-g${generation}-${utcStamp(now)}`;
  return applicationName.slice(0, 256 - suffix.length) + suffix;
}

/**
 * The snapshot of a new operation. A generation can have several operations (a ConfigMap edit, a VPC
 * or logging change after an update): from the second on, the version it starts from keeps the name unique, so
 * no operation ever restores the snapshot of an earlier one taken in the same second.
 */
export function operationSnapshotName(input: PlanInput, observed: ApplicationDetail): string {
  const name = snapshotName(input.applicationName, input.generation, input.now);
  const again = (input.status.snapshots ?? []).some(
    (s) => s.generation === input.generation && s.reason === "BeforeUpdate",
  );
  return again ? `${name.slice(0, 240)}-v${observed.ApplicationVersionId ?? 0}` : name;
}

/** 20261129T120000Z: sorts by time and fits AWS's snapshot names. */
export function utcStamp(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}

function updateTimedOut(input: PlanInput, op: UpdateOperation): boolean {
  const since = op.updateStartedAt ?? op.startedAt;
  const limit = (input.spec.rollback?.updateTimeoutSeconds ?? 900) * 1000;
  return input.now.getTime() - Date.parse(since) > limit;
}

export function record(snapshots: SnapshotRecord[] | undefined, entry: SnapshotRecord): SnapshotRecord[] {
  return [entry, ...(snapshots ?? []).filter((s) => s.name !== entry.name)].slice(0, 64);
}

/** Resumes the operation recorded in status, from whatever step the last controller reached. */
export function planOperation(
  input: PlanInput,
  observed: ApplicationDetail,
  op: UpdateOperation,
  drift: Drift,
): Step {
  // An attachment call (adding the VPC or logging, removing the VPC) is the operation's one call when
  // nothing else is left to update.
  const step = planOperationStep(input, observed, op, drift);
  return op.type === "Update" ? operationCall(input, observed, drift, step) : step;
}

function planOperationStep(
  input: PlanInput,
  observed: ApplicationDetail,
  op: UpdateOperation,
  drift: Drift,
): Step {
  if (op.type === "Rollback") return planRollback(input, observed, op);
  const applied = (observed.ApplicationVersionId ?? 0) > (op.fromVersionId ?? 0);
  if (!applied && op.generation !== input.generation) return superseded(input, op);
  if (!applied && op.phase === "Snapshotting") return planSnapshotting(input, observed, op, drift);
  if (!applied && op.phase === "Updating") {
    const settling = waitToSettle(observed, "the update");
    if (settling) return settling;
    return {
      kind: "update",
      fields: op.fields ?? correctable(drift),
      request: updateRequest(input, observed, drift, op.restoreFrom),
      changes: { operation: { ...op, phase: "AwaitingRunning", updateStartedAt: input.now.toISOString() } },
    };
  }
  return planAwaitingRunning(input, observed, op, applied);
}

/** A wait while the service is changing the application, before `what` can be called. */
function waitToSettle(observed: ApplicationDetail, what: string): Step | undefined {
  const appStatus = observed.ApplicationStatus ?? "UNKNOWN";
  if (!transitional.has(appStatus)) return undefined;
  return {
    kind: "wait",
    reason: pascal(appStatus),
    message: `waiting for ${appStatus} to settle before ${what}`,
  };
}

/** The spec moved on before this update was called: drop it and plan the new generation afresh. */
function superseded(input: PlanInput, op: UpdateOperation): Step {
  // A snapshot already taken stays recorded, so retention can clean it up.
  const snap = input.observedSnapshot;
  return {
    kind: "record",
    reason: "UpdateSuperseded",
    message: `generation ${op.generation} superseded by ${input.generation} before it was applied`,
    changes: {
      operation: null,
      ...(op.snapshotName && snap && snap !== NotFound && snap.SnapshotStatus === "READY"
        ? { snapshots: record(input.status.snapshots, snapshotRecord(snap, op, "BeforeUpdate")) }
        : {}),
    },
  };
}

/** Snapshot first: take the recorded snapshot, wait until READY, then update from exactly it. */
function planSnapshotting(
  input: PlanInput,
  observed: ApplicationDetail,
  op: UpdateOperation,
  drift: Drift,
): Step {
  const settling = waitToSettle(observed, "the snapshot");
  if (settling) return settling;
  const appStatus = observed.ApplicationStatus ?? "UNKNOWN";
  if (appStatus !== "RUNNING") {
    // Stopped behind our back: nothing to snapshot; the update applies in place on the next pass.
    return {
      kind: "record",
      reason: "UpdateRestarted",
      message: `application is ${appStatus}; updating in place`,
      changes: { operation: null },
    };
  }
  const snap = input.observedSnapshot;
  if (!snap || snap === NotFound) {
    return { kind: "snapshot", snapshotName: op.snapshotName!, reason: "BeforeUpdate" };
  }
  if (snap.SnapshotStatus === "CREATING") {
    return { kind: "wait", reason: "Snapshotting", message: `snapshot ${op.snapshotName} is CREATING` };
  }
  if (snap.SnapshotStatus !== "READY") {
    const why = `snapshot ${op.snapshotName} is ${snap.SnapshotStatus}; nothing was updated`;
    return updateFailed(input, op, why, "None");
  }
  return {
    kind: "update",
    fields: op.fields ?? correctable(drift),
    // A redeploy (restore.redeployNonce) restores the requested snapshot; ours only keeps today's state.
    request: updateRequest(input, observed, drift, op.restoreFrom ?? op.snapshotName),
    changes: {
      operation: { ...op, phase: "AwaitingRunning", updateStartedAt: input.now.toISOString() },
      snapshots: record(input.status.snapshots, snapshotRecord(snap, op, "BeforeUpdate")),
    },
  };
}

/** The update was called (and, if the version moved, accepted): wait for RUNNING on the new version. */
function planAwaitingRunning(
  input: PlanInput,
  observed: ApplicationDetail,
  op: UpdateOperation,
  applied: boolean,
): Step {
  const appStatus = observed.ApplicationStatus ?? "UNKNOWN";
  const version = observed.ApplicationVersionId ?? 0;
  if (appStatus === "RUNNING" && applied) {
    if (op.phase === "Stabilizing") return planStabilizing(input, op, version);
    return stabilizationSeconds(input) > 0
      ? startStabilizing(input, op, version)
      : updated(input, op, version);
  }
  const rolledBackByService =
    appStatus === "ROLLED_BACK" ||
    (appStatus === "RUNNING" &&
      !applied &&
      op.phase === "AwaitingRunning" &&
      observed.ApplicationVersionRolledBackFrom);
  if (rolledBackByService) {
    return updateFailed(input, op, "Managed Flink rolled the update back (system rollback)", "Service");
  }
  if (appStatus === "READY" && applied) {
    return updateFailed(input, op, `application fell to READY on version ${version}`, "None");
  }
  if (updateTimedOut(input, op)) {
    const limit = input.spec.rollback?.updateTimeoutSeconds ?? 900;
    const why = `not RUNNING on a new version within ${limit} s (status ${appStatus}, version ${version})`;
    return updateFailed(input, op, why, "None");
  }
  return {
    kind: "wait",
    reason: "Updating",
    message: `application is ${appStatus} on version ${version}; waiting for RUNNING`,
  };
}

/** An update is verified on the job only when the operator reads job health for the application. */
function stabilizationSeconds(input: PlanInput): number {
  return input.job ? (input.spec.rollback?.stabilizationSeconds ?? 60) : 0;
}

function startStabilizing(input: PlanInput, op: UpdateOperation, version: number): Step {
  const seconds = stabilizationSeconds(input);
  return {
    kind: "record",
    reason: "Stabilizing",
    message: `running version ${version}; the job must stay healthy for ${seconds} s`,
    changes: { operation: { ...op, phase: "Stabilizing", runningSince: input.now.toISOString() } },
  };
}

/**
 * RUNNING on the new version: the update is done once the new job has run for stabilizationSeconds
 * without restarting beyond spec.health.maxRestarts and, with checkpointing on, completed a checkpoint
 * (the Flink Kubernetes Operator's "stable" upgrade). A crash loop is a failed update, rolled back with
 * RestorePreviousVersion. Without metrics nothing is claimed either way: after the deadline the update
 * is recorded as applied but unverified — rolling back a job for want of metrics would do harm.
 */
function planStabilizing(input: PlanInput, op: UpdateOperation, version: number): Step {
  const job = input.job!;
  if (job.verdict === "Restarting") {
    return updateFailed(input, op, `the new version's job is crash-looping: ${jobMessage(job)}`, "None");
  }
  const seconds = stabilizationSeconds(input);
  const elapsed = (input.now.getTime() - Date.parse(op.runningSince ?? input.now.toISOString())) / 1000;
  const needsCheckpoint = input.spec.checkpointing?.enabled ?? true;
  const proven =
    (job.verdict === "Healthy" || job.verdict === "FallingBehind") &&
    (!needsCheckpoint || job.checkpointCompleted);
  if (elapsed >= seconds && proven) return updated(input, op, version);
  const deadline = seconds + (input.spec.rollback?.updateTimeoutSeconds ?? 900);
  if (elapsed >= deadline) {
    if (job.verdict === "NoData") {
      return updated(input, op, version, `not verified: no job metrics within ${deadline} s`);
    }
    const missing = needsCheckpoint && !job.checkpointCompleted ? "no checkpoint completed; " : "";
    return updateFailed(
      input,
      op,
      `the new version's job was not healthy within ${deadline} s: ${missing}${jobMessage(job)}`,
      "None",
    );
  }
  const waitingFor =
    needsCheckpoint && !job.checkpointCompleted ? "; waiting for a completed checkpoint" : "";
  return {
    kind: "wait",
    reason: "Stabilizing",
    message: `version ${version} running for ${Math.floor(elapsed)} s of ${seconds} s; job ${job.verdict}: ${job.message}${waitingFor}`,
  };
}

function updated(input: PlanInput, op: UpdateOperation, version: number, note?: string): Step {
  // If the controller died between UpdateApplication and its status write, the snapshot was never
  // recorded; record it now (the phase is still Snapshotting, so it was read this pass).
  const snap = input.observedSnapshot;
  const unrecorded =
    op.snapshotName &&
    !input.status.snapshots?.some((s) => s.name === op.snapshotName) &&
    snap &&
    snap !== NotFound &&
    snap.SnapshotStatus === "READY";
  return {
    kind: "record",
    reason: "Updated",
    message: `running version ${version} (generation ${op.generation})${note ? `; ${note}` : ""}`,
    changes: {
      operation: null,
      lastFailedUpdate: null,
      ...servedBy(op),
      // Also recorded here: a controller that died right after UpdateApplication never wrote it.
      lastUpdate: {
        generation: op.generation,
        versionId: version,
        ...(op.propertiesHash ? { propertiesHash: op.propertiesHash } : {}),
      },
      ...(unrecorded
        ? { snapshots: record(input.status.snapshots, snapshotRecord(snap, op, "BeforeUpdate")) }
        : {}),
    },
  };
}

export function snapshotRecord(
  snap: SnapshotDetails,
  op: UpdateOperation,
  reason: SnapshotRecord["reason"],
): SnapshotRecord {
  return {
    name: snap.SnapshotName!,
    createdAt: snap.SnapshotCreationTimestamp?.toISOString(),
    applicationVersionId: snap.ApplicationVersionId,
    generation: op.generation,
    reason,
  };
}

function updateFailed(
  input: PlanInput,
  op: UpdateOperation,
  message: string,
  rolledBack: FailedUpdate["rolledBack"],
): Step {
  const failure: FailedUpdate = {
    generation: op.generation,
    snapshotName: op.snapshotName,
    fromVersionId: op.fromVersionId,
    message,
    rolledBack,
    time: input.now.toISOString(),
    ...(op.propertiesHash ? { propertiesHash: op.propertiesHash } : {}),
  };
  const restore = input.spec.rollback?.onFailure === "RestorePreviousVersion" && rolledBack === "None";
  return {
    kind: "updateFailed",
    failure,
    operationId: op.operationId,
    changes: {
      lastFailedUpdate: failure,
      operation: restore
        ? {
            ...op,
            type: "Rollback",
            phase: "RollingBack",
            startedAt: input.now.toISOString(),
            // A new operation: the update's OperationId would read as "RollbackApplication called".
            operationId: undefined,
            updateStartedAt: undefined,
            runningSince: undefined,
          }
        : null,
    },
  };
}

/**
 * RestorePreviousVersion: put back the pre-update configuration and restore the pre-update snapshot.
 * A stuck but running application is handed to RollbackApplication; one that fell to READY is
 * updated in place to the previous version's configuration, then started from the snapshot.
 */
function planRollback(input: PlanInput, observed: ApplicationDetail, op: UpdateOperation): Step {
  const appStatus = observed.ApplicationStatus ?? "UNKNOWN";
  const done = (how: string): Step => ({
    kind: "record",
    reason: "RolledBack",
    message: how,
    changes: {
      operation: null,
      ...(input.status.lastFailedUpdate
        ? { lastFailedUpdate: { ...input.status.lastFailedUpdate, rolledBack: "Operator" } }
        : {}),
    },
  });
  if (transitional.has(appStatus)) {
    return { kind: "wait", reason: "RollingBack", message: `rolling back: application is ${appStatus}` };
  }
  const previous = input.previousVersion;
  if (!previous || previous === NotFound) {
    if (appStatus === "RUNNING" && !op.operationId)
      return { kind: "rollback", currentVersionId: observed.ApplicationVersionId! };
    return done(`could not read version ${op.fromVersionId}; rollback not possible`);
  }
  const target = specFromDetail(previous, input.spec);
  const drift = configurationDrift(target.spec, target.code, observed);
  if (appStatus === "RUNNING") {
    if (!drift.update)
      return done(`running the pre-update configuration (version ${op.fromVersionId}) again`);
    if (!op.operationId) return { kind: "rollback", currentVersionId: observed.ApplicationVersionId! };
    return { kind: "wait", reason: "RollingBack", message: "waiting for RollbackApplication" };
  }
  if (drift.update) {
    return {
      kind: "update",
      fields: correctable(drift),
      request: updateRequest({ ...input, spec: target.spec }, observed, drift),
    };
  }
  const run = runConfiguration(target.spec);
  return {
    kind: "start",
    run: op.snapshotName
      ? {
          ...run,
          ApplicationRestoreConfiguration: {
            ApplicationRestoreType: "RESTORE_FROM_CUSTOM_SNAPSHOT",
            SnapshotName: op.snapshotName,
          },
        }
      : run,
  };
}
