// planNextStep: the pure heart of the reconciler. From the spec, what DescribeApplication reported and
// what status recorded, it picks exactly one next step. No I/O here, so every branch is unit-tested
// (test/unit/plan.test.ts).
import type {
  ApplicationDetail,
  RunConfiguration,
  RuntimeEnvironment,
  SnapshotDetails,
  UpdateApplicationRequest,
} from "@aws-sdk/client-kinesis-analytics-v2";
import { NotFound, type Observed } from "../aws/managed-flink.js";
import type {
  FailedUpdate,
  FlinkApplicationSpec,
  FlinkApplicationStatus,
  SnapshotRecord,
  UpdateOperation,
} from "../crds/types.generated.js";
import {
  type CodeObject,
  configurationDrift,
  createApplicationRequest,
  type Drift,
  ownerTag,
  runConfiguration,
  runConfigurationUpdate,
  specFromDetail,
} from "./desired.js";

/** Who an existing application belongs to, from status (linked) or its owner tag. */
export type Ownership = { kind: "ours" } | { kind: "unowned" } | { kind: "other"; owner: string };

export interface PlanInput {
  /** namespace/name of the FlinkApplication. */
  key: string;
  generation: number;
  spec: FlinkApplicationSpec;
  status: FlinkApplicationStatus;
  applicationName: string;
  region: string;
  /** The code object to run, or why it cannot be resolved (a terminal problem of the spec). */
  code: CodeObject | { error: string };
  deleting: boolean;
  hasFinalizer: boolean;
  /** The resource opted in to adopting an existing application (annotation managedflink.dev/adopt). */
  adopt: boolean;
  observed: Observed<ApplicationDetail>;
  /** Known whenever observed is an application. */
  ownership?: Ownership;
  /** Tags as read from AWS; read only when the spec changed, so a steady resync makes one call. */
  observedTags?: Record<string, string>;
  /** The snapshot named by pendingSnapshotName(input), when there is one. */
  observedSnapshot?: Observed<SnapshotDetails>;
  /** The pre-update version of the application, read while rolling back to it. */
  previousVersion?: Observed<ApplicationDetail>;
  now: Date;
}

/**
 * Status fields a step changes once it has been carried out; null removes the field. Status is the
 * write-ahead record of an update: the operation is recorded before the first call it needs.
 */
export interface StatusChanges {
  operation?: UpdateOperation | null;
  snapshots?: SnapshotRecord[];
  lastSnapshotRequest?: string;
  lastFailedUpdate?: FailedUpdate | null;
}

export type Step = (
  | { kind: "addFinalizer" }
  | { kind: "removeFinalizer"; reason: string }
  | { kind: "create"; request: ReturnType<typeof createApplicationRequest> }
  | { kind: "adopt"; arn: string }
  | { kind: "start"; run: RunConfiguration }
  | { kind: "stop"; force: boolean; reason: string }
  | { kind: "update"; request: UpdateApplicationRequest; fields: string[] }
  | { kind: "tag"; arn: string; add: Record<string, string>; remove: string[] }
  | { kind: "delete"; createTimestamp: Date }
  /** Nothing to call now; observe again after the poll interval. */
  | { kind: "wait"; reason: string; message: string }
  /** The spec must change first: name conflict, terminal error, unusable code. */
  | { kind: "stalled"; reason: string; message: string }
  /** Desired state reached. */
  | { kind: "steady"; message: string }
  /** Only a status change (recording or completing an operation). */
  | { kind: "record"; reason: string; message: string }
  | { kind: "snapshot"; snapshotName: string; reason: string }
  | { kind: "deleteSnapshot"; snapshotName: string; createdAt: Date }
  | { kind: "rollback"; currentVersionId: number }
  /** A failed update: reported (event, Stalled) and, with onFailure RestorePreviousVersion, undone next. */
  | { kind: "updateFailed"; failure: FailedUpdate; operationId?: string }
) & { changes?: StatusChanges };

const transitional = new Set([
  "STARTING",
  "STOPPING",
  "UPDATING",
  "AUTOSCALING",
  "FORCE_STOPPING",
  "ROLLING_BACK",
  "MAINTENANCE",
  "DELETING",
]);

export function desiredTags(input: Pick<PlanInput, "spec" | "key">): Record<string, string> {
  return { ...input.spec.tags, [ownerTag]: input.key };
}

function tagDelta(want: Record<string, string>, have: Record<string, string>) {
  const add = Object.fromEntries(Object.entries(want).filter(([k, v]) => have[k] !== v));
  // aws: tags belong to AWS, and anything else not declared is removed only if we are sure it is
  // ours to manage: every tag on an owned application is declared in spec.tags.
  const remove = Object.keys(have).filter((k) => !(k in want) && !k.startsWith("aws:"));
  return { add, remove };
}

export function planNextStep(input: PlanInput): Step {
  const { spec, observed, status } = input;
  const desiredState = spec.desiredState ?? "Running";

  if (input.deleting) return planDeletion(input);
  if (!input.hasFinalizer) return { kind: "addFinalizer" };

  if (status.region && status.region !== input.region) {
    return {
      kind: "stalled",
      reason: "RegionChanged",
      message: `the application lives in ${status.region}; spec.region cannot move it to ${input.region}`,
    };
  }
  if ("error" in input.code) return { kind: "stalled", reason: "InvalidCode", message: input.code.error };
  const code = input.code;

  if (observed === NotFound) {
    return {
      kind: "create",
      request: createApplicationRequest(input.applicationName, spec, code, input.key),
    };
  }

  const ownership = input.ownership ?? { kind: "unowned" };
  if (ownership.kind !== "ours") {
    if (ownership.kind === "unowned" && input.adopt) return { kind: "adopt", arn: observed.ApplicationARN! };
    const by = ownership.kind === "other" ? ` (it belongs to FlinkApplication ${ownership.owner})` : "";
    const hint =
      ownership.kind === "unowned" ? '; set annotation managedflink.dev/adopt: "true" to manage it' : "";
    return {
      kind: "stalled",
      reason: "NameConflict",
      message: `an application named ${input.applicationName} already exists in ${input.region}${by} and is left untouched${hint}`,
    };
  }

  const appStatus = observed.ApplicationStatus ?? "UNKNOWN";
  const drift = configurationDrift(spec, code, observed);

  // An update in flight comes first: it is resumed from status, never started twice.
  const op = status.operation;
  if (op) return planOperation(input, observed, op, drift);

  if (transitional.has(appStatus)) {
    return { kind: "wait", reason: pascal(appStatus), message: `application is ${appStatus}` };
  }

  if (input.observedTags) {
    const { add, remove } = tagDelta(desiredTags(input), input.observedTags);
    if (Object.keys(add).length > 0 || remove.length > 0) {
      return { kind: "tag", arn: observed.ApplicationARN!, add, remove };
    }
  }

  if (appStatus === "RUNNING" && desiredState === "Stopped") {
    return { kind: "stop", force: false, reason: "desiredState is Stopped" };
  }

  const failed = status.lastFailedUpdate;
  const update = drift.update;
  const restarting = appStatus === "READY" && desiredState === "Running";
  if (failed?.generation === input.generation && (update || restarting)) {
    // Never loop: this generation's update failed once — neither update again nor start the failed
    // version again (it fell to READY on it); a spec change is needed to try again.
    return {
      kind: "stalled",
      reason: "UpdateFailed",
      message: `the update to generation ${failed.generation} failed (${failed.message}); change the spec to try again`,
    };
  }

  if (update && appStatus === "RUNNING") {
    // Every change to a running application restarts it: one recorded operation, snapshot first.
    const snapshotFirst = (spec.snapshots?.enabled ?? true) && (spec.snapshots?.beforeUpdate ?? true);
    const operation: UpdateOperation = {
      type: "Update",
      generation: input.generation,
      phase: snapshotFirst ? "Snapshotting" : "Updating",
      ...(snapshotFirst
        ? { snapshotName: snapshotName(input.applicationName, input.generation, input.now) }
        : {}),
      fromVersionId: observed.ApplicationVersionId,
      startedAt: input.now.toISOString(),
      fields: drift.fields.filter((f) => !drift.uncorrectable.includes(f)),
    };
    return {
      kind: "record",
      reason: "UpdateStarted",
      message: `updating ${operation.fields!.join(", ")}${snapshotFirst ? ` after snapshot ${operation.snapshotName}` : " without a snapshot (snapshots.beforeUpdate is false)"}`,
      changes: { operation },
    };
  }

  if (update && (appStatus === "READY" || appStatus === "ROLLED_BACK")) {
    // Not running: the update changes configuration in place and restarts nothing.
    return { kind: "update", fields: correctable(drift), request: updateRequest(input, observed, drift) };
  }

  if (appStatus === "READY" && desiredState === "Running") {
    return { kind: "start", run: runConfiguration(spec) };
  }

  if (appStatus === "RUNNING") {
    const snap = planSnapshots(input, observed);
    if (snap) return snap;
  }

  const uncorrectable =
    drift.uncorrectable.length > 0
      ? `; drift not corrected (would need recreating the application): ${drift.uncorrectable.join(", ")}`
      : "";
  if (appStatus === "RUNNING" || (appStatus === "READY" && desiredState === "Stopped")) {
    return { kind: "steady", message: `application is ${appStatus}${uncorrectable}` };
  }
  // ROLLED_BACK with nothing to change, or a status this operator does not know yet.
  return { kind: "wait", reason: pascal(appStatus), message: `application is ${appStatus}${uncorrectable}` };
}

const correctable = (drift: Drift) => drift.fields.filter((f) => !drift.uncorrectable.includes(f));

function updateRequest(
  input: PlanInput,
  observed: ApplicationDetail,
  drift: Drift,
  restoreFrom?: string,
): UpdateApplicationRequest {
  const update = drift.update ?? {};
  const running = observed.ApplicationStatus === "RUNNING";
  const run = runConfigurationUpdate(input.spec);
  return {
    ApplicationName: input.applicationName,
    CurrentApplicationVersionId: observed.ApplicationVersionId,
    ...(update.configuration ? { ApplicationConfigurationUpdate: update.configuration } : {}),
    ...(update.runtimeEnvironment
      ? { RuntimeEnvironmentUpdate: update.runtimeEnvironment as RuntimeEnvironment }
      : {}),
    ...(update.serviceExecutionRole ? { ServiceExecutionRoleUpdate: update.serviceExecutionRole } : {}),
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

export function onDemandSnapshotName(applicationName: string, token: string): string {
  const suffix = `-ondemand-${token}`;
  return applicationName.slice(0, 256 - suffix.length) + suffix;
}

/** The snapshot whose state the next step depends on, so the reconciler reads exactly that one. */
export function pendingSnapshotName(
  spec: FlinkApplicationSpec,
  status: FlinkApplicationStatus,
  applicationName: string,
) {
  const op = status.operation;
  if (op?.type === "Update" && op.phase === "Snapshotting") return op.snapshotName;
  const token = spec.snapshots?.request;
  if (!op && token && token !== status.lastSnapshotRequest)
    return onDemandSnapshotName(applicationName, token);
  return undefined;
}

function updateTimedOut(input: PlanInput, op: UpdateOperation): boolean {
  const since = op.updateStartedAt ?? op.startedAt;
  const limit = (input.spec.rollback?.updateTimeoutSeconds ?? 900) * 1000;
  return input.now.getTime() - Date.parse(since) > limit;
}

function record(snapshots: SnapshotRecord[] | undefined, entry: SnapshotRecord): SnapshotRecord[] {
  return [entry, ...(snapshots ?? []).filter((s) => s.name !== entry.name)].slice(0, 64);
}

/** Resumes the operation recorded in status, from whatever step the last controller reached. */
function planOperation(
  input: PlanInput,
  observed: ApplicationDetail,
  op: UpdateOperation,
  drift: Drift,
): Step {
  const appStatus = observed.ApplicationStatus ?? "UNKNOWN";
  const version = observed.ApplicationVersionId ?? 0;
  const from = op.fromVersionId ?? 0;
  const applied = version > from;

  if (op.type === "Rollback") return planRollback(input, observed, op);

  if (!applied && op.generation !== input.generation) {
    // The spec moved on before this update was called: drop it and plan the new generation afresh.
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

  if (!applied && op.phase === "Snapshotting") {
    if (transitional.has(appStatus)) {
      return {
        kind: "wait",
        reason: pascal(appStatus),
        message: `waiting for ${appStatus} to settle before the snapshot`,
      };
    }
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
      return updateFailed(
        input,
        op,
        `snapshot ${op.snapshotName} is ${snap.SnapshotStatus}; nothing was updated`,
        "None",
      );
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

  if (!applied && op.phase === "Updating") {
    if (transitional.has(appStatus)) {
      return {
        kind: "wait",
        reason: pascal(appStatus),
        message: `waiting for ${appStatus} to settle before the update`,
      };
    }
    return {
      kind: "update",
      fields: op.fields ?? correctable(drift),
      request: updateRequest(input, observed, drift),
      changes: { operation: { ...op, phase: "AwaitingRunning", updateStartedAt: input.now.toISOString() } },
    };
  }

  // The update was called (and, if the version moved, accepted): wait for RUNNING on the new version.
  if (appStatus === "RUNNING" && applied) {
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
        ...(unrecorded
          ? { snapshots: record(input.status.snapshots, snapshotRecord(snap, op, "BeforeUpdate")) }
          : {}),
      },
    };
  }
  if (
    appStatus === "ROLLED_BACK" ||
    (appStatus === "RUNNING" &&
      !applied &&
      op.phase === "AwaitingRunning" &&
      observed.ApplicationVersionRolledBackFrom)
  ) {
    return updateFailed(input, op, "Managed Flink rolled the update back (system rollback)", "Service");
  }
  if (appStatus === "READY" && applied) {
    return updateFailed(input, op, `application fell to READY on version ${version}`, "None");
  }
  if (updateTimedOut(input, op)) {
    return updateFailed(
      input,
      op,
      `not RUNNING on a new version within ${input.spec.rollback?.updateTimeoutSeconds ?? 900} s (status ${appStatus}, version ${version})`,
      "None",
    );
  }
  return {
    kind: "wait",
    reason: "Updating",
    message: `application is ${appStatus} on version ${version}; waiting for RUNNING`,
  };
}

function snapshotRecord(
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

/** On-demand snapshots and retention, only while the application runs with nothing in flight. */
function planSnapshots(input: PlanInput, observed: ApplicationDetail): Step | undefined {
  const { spec, status } = input;
  const token = spec.snapshots?.request;
  if (token && token !== status.lastSnapshotRequest) {
    const name = onDemandSnapshotName(input.applicationName, token);
    const snap = input.observedSnapshot;
    if (!snap || snap === NotFound) return { kind: "snapshot", snapshotName: name, reason: "OnDemand" };
    if (snap.SnapshotStatus === "CREATING")
      return { kind: "wait", reason: "Snapshotting", message: `snapshot ${name} is CREATING` };
    return {
      kind: "record",
      reason: snap.SnapshotStatus === "READY" ? "SnapshotTaken" : "SnapshotFailed",
      message: `on-demand snapshot ${name} is ${snap.SnapshotStatus}`,
      changes: {
        lastSnapshotRequest: token,
        ...(snap.SnapshotStatus === "READY"
          ? {
              snapshots: record(status.snapshots, {
                ...snapshotRecord(
                  snap,
                  { type: "Update", generation: input.generation, phase: "Snapshotting", startedAt: "" },
                  "OnDemand",
                ),
              }),
            }
          : {}),
      },
    };
  }
  const victim = retentionVictim(input, observed);
  if (victim)
    return { kind: "deleteSnapshot", snapshotName: victim.name, createdAt: new Date(victim.createdAt!) };
  return undefined;
}

/**
 * The oldest operator-made snapshot beyond retention. Only snapshots recorded in status are ever
 * candidates (the operator's own), never the one the running version restored from.
 */
export function retentionVictim(input: PlanInput, observed: ApplicationDetail): SnapshotRecord | undefined {
  const keep = input.spec.snapshots?.retention?.maxCount ?? 10;
  const maxAgeDays = input.spec.snapshots?.retention?.maxAgeDays;
  const inUse =
    observed.ApplicationConfigurationDescription?.RunConfigurationDescription
      ?.ApplicationRestoreConfigurationDescription?.SnapshotName;
  const mine = (input.status.snapshots ?? [])
    .filter((s) => s.createdAt)
    .sort((a, b) => Date.parse(b.createdAt!) - Date.parse(a.createdAt!));
  const expired = (s: SnapshotRecord, i: number) =>
    i >= keep ||
    (maxAgeDays !== undefined &&
      i > 0 &&
      input.now.getTime() - Date.parse(s.createdAt!) > maxAgeDays * 86_400_000);
  const candidates = mine.filter((s, i) => expired(s, i) && s.name !== inUse);
  return candidates.at(-1);
}

function planDeletion(input: PlanInput): Step {
  const { observed, spec } = input;
  if (!input.hasFinalizer) return { kind: "steady", message: "deleted" };
  if ((spec.deletionPolicy ?? "Retain") === "Retain") {
    return {
      kind: "removeFinalizer",
      reason: "deletionPolicy Retain: the application is left running and untouched",
    };
  }
  if (observed === NotFound) return { kind: "removeFinalizer", reason: "the application is deleted" };
  if (input.ownership?.kind !== "ours") {
    return {
      kind: "removeFinalizer",
      reason: "the application is not managed by this resource; left untouched",
    };
  }
  const appStatus = observed.ApplicationStatus ?? "UNKNOWN";
  if (appStatus === "RUNNING" || appStatus === "AUTOSCALING" || appStatus === "ROLLED_BACK") {
    // The application is going away with its snapshots, so a snapshot on stop would be wasted time.
    return { kind: "stop", force: true, reason: "deletionPolicy Delete" };
  }
  if (appStatus === "READY") return { kind: "delete", createTimestamp: observed.CreateTimestamp! };
  return {
    kind: "wait",
    reason: "Deleting",
    message: `application is ${appStatus}; deleting when it settles`,
  };
}

function pascal(s: string): string {
  return s
    .toLowerCase()
    .split("_")
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join("");
}
