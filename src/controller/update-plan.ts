// The snapshot-first update as an operation recorded in status: planned one step at a time from
// status.operation and what AWS reports, so that a restarted controller resumes it exactly.
import type {
  ApplicationDetail,
  SnapshotDetails,
  UpdateApplicationRequest,
} from "@aws-sdk/client-kinesis-analytics-v2";
import { NotFound } from "../aws/managed-flink.js";
import type { FailedUpdate, SnapshotRecord, UpdateOperation } from "../crds/types.generated.js";
import {
  configurationDrift,
  type Drift,
  runConfiguration,
  runConfigurationUpdate,
  specFromDetail,
} from "./desired.js";
import { type PlanInput, pascal, type Step, transitional } from "./plan-types.js";

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
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  const suffix = `-g${generation}-${stamp}`;
  return applicationName.slice(0, 256 - suffix.length) + suffix;
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
      request: updateRequest(input, observed, drift),
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
    request: updateRequest(input, observed, drift, op.snapshotName),
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
  if (appStatus === "RUNNING" && applied) return updated(input, op, version);
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

function updated(input: PlanInput, op: UpdateOperation, version: number): Step {
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
    message: `running version ${version} (generation ${op.generation})`,
    changes: {
      operation: null,
      lastFailedUpdate: null,
      // Also recorded here: a controller that died right after UpdateApplication never wrote it.
      lastUpdate: { generation: op.generation, versionId: version },
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
            updateStartedAt: undefined,
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
