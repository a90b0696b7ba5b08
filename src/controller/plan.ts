// planNextStep: the pure heart of the reconciler. From the spec, what DescribeApplication reported and
// what status recorded, it picks exactly one next step. No I/O here, so every branch is unit-tested
// (test/unit/plan.test.ts). Updates of a running application are planned in update-plan.ts, snapshots
// at rest in snapshot-plan.ts.

import { createHash } from "node:crypto";
import type { ApplicationDetail } from "@aws-sdk/client-kinesis-analytics-v2";
import { NotFound } from "../aws/managed-flink.js";
import type { UpdateOperation } from "../crds/types.generated.js";
import { planAttachment } from "./attachment-plan.js";
import {
  type CodeObject,
  configurationDrift,
  createApplicationRequest,
  type Drift,
  ownerTag,
  runConfiguration,
} from "./desired.js";
import { jobMessage } from "./job-health.js";
import { type Ownership, type PlanInput, pascal, type Step, transitional } from "./plan-types.js";
import { failedAlready, propertiesApplied, propertiesOf } from "./properties-plan.js";
import { planRestart, restartOfOperation, restartServedByStart } from "./restart-plan.js";
import { finishScheduled, scheduleRecheck } from "./schedule-plan.js";
import { planSnapshots } from "./snapshot-plan.js";
import { correctable, operationSnapshotName, planOperation, updateRequest } from "./update-plan.js";

export type { Ownership, PlanInput, StatusChanges, Step } from "./plan-types.js";
export { onDemandSnapshotName, pendingSnapshotName, retentionVictim } from "./snapshot-plan.js";
export { snapshotName } from "./update-plan.js";

export function desiredTags(input: Pick<PlanInput, "spec" | "key">): Record<string, string> {
  return { ...input.spec.tags, [ownerTag]: input.key };
}

/**
 * A digest of the tags the spec asks for, kept in status once AWS confirmed them, so that tags (which
 * DescribeApplication does not return) are read only when the spec's tags change: not on every spec
 * change, and never on a resync.
 */
export function tagsDigest(tags: Record<string, string>): string {
  const sorted = Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash("sha256").update(JSON.stringify(sorted)).digest("hex");
}

export function tagDelta(want: Record<string, string>, have: Record<string, string>) {
  const add = Object.fromEntries(Object.entries(want).filter(([k, v]) => have[k] !== v));
  // aws: tags belong to AWS, and anything else not declared is removed only if we are sure it is
  // ours to manage: every tag on an owned application is declared in spec.tags.
  const remove = Object.keys(have).filter((k) => !(k in want) && !k.startsWith("aws:"));
  return { add, remove };
}

export function planNextStep(input: PlanInput): Step {
  if (input.deleting) return planDeletion(input);
  const blocked = planPreconditions(input);
  if (blocked) return blocked;
  const { observed } = input;
  // The artifact is fetched only for an application this resource creates or owns.
  const code = "upload" in input.code ? undefined : (input.code as CodeObject);
  if (observed === NotFound) {
    if (!code) return { kind: "uploadArtifact" };
    return {
      kind: "create",
      request: createApplicationRequest(input.applicationName, input.spec, code, input.key),
    };
  }
  const ownership = input.ownership ?? { kind: "unowned" };
  if (ownership.kind !== "ours") return planNotOurs(input, observed, ownership);
  if (!code) return { kind: "uploadArtifact" };
  return planOwned(input, observed, configurationDrift(input.spec, code, observed));
}

/** What must hold before anything is read into a plan: the finalizer, no terminal error, one region. */
function planPreconditions(input: PlanInput): Step | undefined {
  const { status } = input;
  if (!input.hasFinalizer) return { kind: "addFinalizer" };
  // A terminal error stops everything until the spec changes (a new generation): not even the
  // artifact is fetched again.
  const error = status.lastError;
  if (error?.terminal && error.generation === input.generation) {
    return { kind: "stalled", reason: error.type ?? "Terminal", message: error.message ?? "", error };
  }
  if (status.region && status.region !== input.region) {
    return {
      kind: "stalled",
      reason: "RegionChanged",
      message: `the application lives in ${status.region}; spec.region cannot move it to ${input.region}`,
    };
  }
  if ("error" in input.code) return { kind: "stalled", reason: "InvalidCode", message: input.code.error };
  if (input.propertiesError) return { kind: "stalled", ...input.propertiesError };
  return undefined;
}

function planNotOurs(
  input: PlanInput,
  observed: ApplicationDetail,
  ownership: Exclude<Ownership, { kind: "ours" }>,
): Step {
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

/** Our application: resume an operation, or move it one step towards the spec. */
function planOwned(input: PlanInput, observed: ApplicationDetail, drift: Drift): Step {
  const { spec } = input;
  const desiredState = spec.desiredState ?? "Running";
  const appStatus = observed.ApplicationStatus ?? "UNKNOWN";
  // An update in flight comes first: it is resumed from status, never started twice.
  const op = input.status.operation;
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
  // One snapshot at a time: a scheduled snapshot in flight is finished before an update starts.
  const scheduled = appStatus === "RUNNING" ? finishScheduled(input, observed) : undefined;
  if (scheduled) return scheduled;
  const change = planChange(input, observed, drift);
  if (change) return change;
  const attach = planAttachment(input, observed, (fields) => startUpdate(input, observed, drift, fields));
  if (attach) return attach;
  const restart = planRestart(input, observed, (fields) => startUpdate(input, observed, drift, fields));
  if (restart) return restart;
  if (appStatus === "READY" && desiredState === "Running") {
    return { kind: "start", run: runConfiguration(spec), ...restartServedByStart(input) };
  }
  if (appStatus === "RUNNING") {
    const snap = planSnapshots(input, observed);
    if (snap) return snap;
  }
  const uncorrectable = uncorrectableNote(drift.uncorrectable);
  if (appStatus === "RUNNING" && input.job && input.job.verdict !== "Healthy") {
    return { kind: "unhealthy", verdict: input.job.verdict, message: jobMessage(input.job) };
  }
  if (appStatus === "RUNNING" || (appStatus === "READY" && desiredState === "Stopped")) {
    return {
      kind: "steady",
      message: `application is ${appStatus}${uncorrectable}`,
      ...propertiesApplied(input),
      ...(appStatus === "RUNNING" ? scheduleRecheck(input) : {}),
    };
  }
  // ROLLED_BACK with nothing to change, or a status this operator does not know yet.
  return { kind: "wait", reason: pascal(appStatus), message: `application is ${appStatus}${uncorrectable}` };
}

/**
 * What the Ready message says of drift left alone. A VPC or logging option is added or removed by its own
 * call (attachment-plan.ts); it is left only when that call failed for this generation. Anything else
 * UpdateApplication cannot change would take recreating the application.
 */
export function uncorrectableNote(fields: string[]): string {
  const attachable = new Set<string>(["vpc", "logging"]);
  const failed = fields.filter((f) => attachable.has(f));
  const recreate = fields.filter((f) => !attachable.has(f));
  return [
    recreate.length > 0
      ? `; drift not corrected (would need recreating the application): ${recreate.join(", ")}`
      : "",
    failed.length > 0
      ? `; drift not corrected (the change failed; change the spec to try again): ${failed.join(", ")}`
      : "",
  ].join("");
}

/** Drift to correct: a recorded snapshot-first operation while RUNNING, an in-place update at rest. */
function planChange(input: PlanInput, observed: ApplicationDetail, drift: Drift): Step | undefined {
  const appStatus = observed.ApplicationStatus ?? "UNKNOWN";
  const failed = input.status.lastFailedUpdate;
  const restarting = appStatus === "READY" && (input.spec.desiredState ?? "Running") === "Running";
  if (failed && failedAlready(input) && (drift.update || restarting)) {
    // Never loop: this generation's update failed once — neither update again nor start the failed
    // version again (it fell to READY on it); a spec change is needed to try again.
    return {
      kind: "stalled",
      reason: "UpdateFailed",
      message: `the update to generation ${failed.generation} failed (${failed.message}); change the spec to try again`,
    };
  }
  if (!drift.update) return undefined;
  const last = input.status.lastUpdate;
  if (
    last?.generation === input.generation &&
    last.versionId === observed.ApplicationVersionId &&
    // A ConfigMap edit since (spec.environmentPropertiesFrom) is new drift, not the same one.
    (last.propertiesHash ?? "") === (input.propertiesFrom?.hash ?? "")
  ) {
    // Our update to this generation was applied and nothing changed the application since, yet AWS
    // still reports the difference: another update would change nothing (issue 14). Report it.
    return { kind: "stalled", reason: "DriftPersists", message: driftPersists(last.generation, drift) };
  }
  if (appStatus === "RUNNING") return startUpdate(input, observed, drift);
  if (appStatus === "READY" || appStatus === "ROLLED_BACK") {
    // Not running: the update changes configuration in place and restarts nothing.
    return {
      kind: "update",
      fields: correctable(drift),
      request: updateRequest(input, observed, drift),
      ...propertiesOf(input),
    };
  }
  return undefined;
}

function driftPersists(generation: number, drift: Drift): string {
  const shown = (v: unknown) => JSON.stringify(v) ?? "nothing";
  const what = drift.differences
    .filter((d) => !drift.uncorrectable.includes(d.field))
    .map((d) => `${d.field} as ${shown(d.seen)} (the spec asks for ${shown(d.want)})`)
    .join("; ");
  return `after the update to generation ${generation}, AWS still reports ${what}; not updating again until the spec changes`;
}

/** Every change to a running application restarts it: one recorded operation, snapshot first. */
function startUpdate(
  input: PlanInput,
  observed: ApplicationDetail,
  drift: Drift,
  fields = correctable(drift),
): Step {
  const { spec } = input;
  // CreateApplicationSnapshot fails while the application has snapshots disabled in AWS (an adopted
  // one, say): the update that turns them on cannot be preceded by one, so it goes ahead and says so.
  const inAws =
    observed.ApplicationConfigurationDescription?.ApplicationSnapshotConfigurationDescription
      ?.SnapshotsEnabled !== false;
  const wanted = (spec.snapshots?.enabled ?? true) && (spec.snapshots?.beforeUpdate ?? true);
  const snapshotFirst = wanted && inAws;
  const operation: UpdateOperation = {
    type: "Update",
    generation: input.generation,
    phase: snapshotFirst ? "Snapshotting" : "Updating",
    ...(snapshotFirst ? { snapshotName: operationSnapshotName(input, observed) } : {}),
    fromVersionId: observed.ApplicationVersionId,
    startedAt: input.now.toISOString(),
    fields,
    // A configuration update restarts the job too, so it also serves pending restart nonces.
    ...restartOfOperation(input),
    ...(input.propertiesFrom ? { propertiesHash: input.propertiesFrom.hash } : {}),
  };
  const how = snapshotFirst
    ? ` after snapshot ${operation.snapshotName}`
    : wanted
      ? " without a snapshot (snapshots are disabled on the application in AWS)"
      : " without a snapshot (snapshots.beforeUpdate is false)";
  return {
    kind: "record",
    reason: "UpdateStarted",
    message: `updating ${operation.fields!.join(", ")}${how}`,
    changes: { operation },
  };
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
