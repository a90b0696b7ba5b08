// Record status: the next status from what was observed, the step as carried out and any failure,
// written as one merge patch — and only when it changed, so a resync of a settled application
// writes nothing.
import type { ApplicationDetail } from "@aws-sdk/client-kinesis-analytics-v2";
import { NotFound, type Observed } from "../aws/managed-flink.js";
import type { FlinkApplicationStatus, LastError } from "../crds/types.generated.js";
import type { JobHealth } from "../health/types.js";
import { nextJobStatus } from "./job-health.js";
import type { KubeWrites } from "./kube.js";
import type { Observation, Target } from "./observe.js";
import type { Step } from "./plan.js";
import { desiredTags, tagDelta, tagsDigest } from "./plan.js";
import { compact, lastErrorOf, nextConditions, observedFields, outcomeOf, sameJson } from "./status.js";

/** A failed call, classified: terminal failures wait for a spec change, external ones for someone to act. */
export interface Failure {
  type: string;
  message: string;
  operation?: string;
  terminal: boolean;
  external?: boolean;
}

export interface Recorded {
  /** The step as carried out, or as planned when its call failed; undefined if planning never ran. */
  step?: Step;
  observation?: Observation;
  failure?: Failure;
  /** The job's health this pass judged; undefined when checks are off. */
  job?: JobHealth;
  now: Date;
}

/** Writes the next status when it changed; returns the status the resource has now. */
export async function recordStatus(
  kube: KubeWrites,
  t: Target,
  r: Recorded,
): Promise<FlinkApplicationStatus> {
  const before = t.obj.status ?? {};
  if (t.deleting && !r.step) return before;
  const next = nextStatus(t, before, r);
  if (sameJson(compact(before), next)) return before;
  const patch = mergePatch(compact(before), next) as FlinkApplicationStatus;
  await kube.patchStatus(t.obj.metadata.namespace!, t.obj.metadata.name!, patch);
  return next;
}

function nextStatus(t: Target, before: FlinkApplicationStatus, r: Recorded): FlinkApplicationStatus {
  const { step, failure, now } = r;
  const outcome = outcomeOf(step ?? { kind: "wait", reason: "Observing", message: "observing" }, failure);
  const observed = linked(r.observation);
  // Keep what we knew when nothing was observed: a failed describe, or a pass the tenancy policy
  // refused before any read, must not erase the ARN that links resource and application.
  const seen =
    observed === NotFound && before.applicationARN && (failure || !r.observation)
      ? { ...withoutProgress(before), applicationName: t.applicationName, region: t.region }
      : observedFields(observed, t.applicationName, t.region);
  // The durable record (artifact, operation, snapshots, failed update) changes only through a step
  // that was carried out; a failed call leaves it as it was, so the next pass resumes the same operation.
  const durable: Partial<FlinkApplicationStatus> = {
    artifact: before.artifact,
    operation: before.operation,
    snapshots: before.snapshots,
    lastSnapshotRequest: before.lastSnapshotRequest,
    restartNonce: before.restartNonce,
    restoreRedeployNonce: before.restoreRedeployNonce,
    propertiesFrom: before.propertiesFrom,
    scheduledSnapshot: before.scheduledSnapshot,
    lastFailedUpdate: before.lastFailedUpdate,
    lastUpdate: before.lastUpdate,
  };
  if (step?.changes && !failure) {
    for (const [k, v] of Object.entries(step.changes)) {
      (durable as Record<string, unknown>)[k] = v === null ? undefined : v;
    }
  }
  return compact({
    ...seen,
    ...durable,
    observedGeneration: t.generation,
    tagsDigest: confirmedTags(t, before, r),
    job: jobStatus(before, r),
    conditions: nextConditions(before.conditions, outcome, t.generation, now),
    // The last error stays until a reconcile succeeds; a terminal one also until the spec changes.
    lastError: lastError(before, r, t.generation),
  });
}

function lastError(before: FlinkApplicationStatus, r: Recorded, generation: number): LastError | undefined {
  if (!r.failure) return r.step?.kind === "stalled" ? r.step.error : undefined;
  // The same error again keeps its record (and time), so status does not churn.
  const e = before.lastError;
  const f = r.failure;
  if (e && e.type === f.type && e.message === f.message && e.generation === generation) return e;
  return lastErrorOf(f, generation, r.now);
}

/**
 * The digest of the tags AWS has as the spec wants them: after a tag step that went through, or when
 * the tags read in this pass already matched. Otherwise what status knew (a mismatch reads them again).
 */
function confirmedTags(t: Target, before: FlinkApplicationStatus, r: Recorded): string | undefined {
  const want = desiredTags({ spec: t.obj.spec, key: t.key });
  if (r.failure) return before.tagsDigest;
  if (r.step?.kind === "tag") return tagsDigest(want);
  const seen = r.observation?.observedTags;
  if (seen) {
    const { add, remove } = tagDelta(want, seen);
    if (Object.keys(add).length === 0 && remove.length === 0) return tagsDigest(want);
  }
  return before.tagsDigest;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The JSON merge patch (RFC 7386) that turns `before` into `next`: a key `next` no longer has is sent as
 * null, at any depth — a merge patch merges nested objects, so a member dropped from status.operation
 * (its OperationId, say) would otherwise stay. Arrays are replaced whole.
 */
export function mergePatch(before: unknown, next: unknown): unknown {
  if (!isObject(before) || !isObject(next)) return next;
  const patch: Record<string, unknown> = {};
  for (const k of Object.keys(before)) if (!(k in next)) patch[k] = null;
  for (const [k, v] of Object.entries(next)) patch[k] = mergePatch(before[k], v);
  return patch;
}

/** status.job: kept when nothing was observed, else judged for a RUNNING application of ours. */
function jobStatus(before: FlinkApplicationStatus, r: Recorded): FlinkApplicationStatus["job"] {
  const observed = linked(r.observation);
  if (observed === NotFound) return r.failure || !r.observation ? before.job : undefined;
  return nextJobStatus(before.job, r.job, observed.ApplicationStatus === "RUNNING", r.now);
}

function withoutProgress(s: FlinkApplicationStatus): Partial<FlinkApplicationStatus> {
  const { conditions: _c, lastError: _e, observedGeneration: _g, ...rest } = s;
  return rest;
}

/**
 * Status links the resource to an application (ARN + creation time) only once it is ours: one found
 * under the same name must never look owned on the next pass.
 */
function linked(o: Observation | undefined): Observed<ApplicationDetail> {
  return o && o.observed !== NotFound && o.ownership?.kind === "ours" ? o.observed : NotFound;
}
