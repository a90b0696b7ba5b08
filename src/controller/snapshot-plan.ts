// Snapshots while nothing is in flight: on-demand requests and retention of the operator's own.
import type { ApplicationDetail } from "@aws-sdk/client-kinesis-analytics-v2";
import { NotFound } from "../aws/managed-flink.js";
import type {
  FlinkApplicationSpec,
  FlinkApplicationStatus,
  SnapshotRecord,
} from "../crds/types.generated.js";
import type { PlanInput, Step } from "./plan-types.js";
import { pendingScheduled, planScheduled } from "./schedule-plan.js";
import { record, snapshotRecord } from "./update-plan.js";

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
  const scheduled = pendingScheduled(status);
  if (scheduled) return scheduled;
  const token = spec.snapshots?.request;
  if (!op && token && token !== status.lastSnapshotRequest)
    return onDemandSnapshotName(applicationName, token);
  return undefined;
}

/** On-demand snapshots and retention, only while the application runs with nothing in flight. */
export function planSnapshots(input: PlanInput, observed: ApplicationDetail): Step | undefined {
  const { spec, status } = input;
  // One snapshot at a time: a scheduled one in flight is finished before an on-demand one starts.
  if (pendingScheduled(status)) return planScheduled(input, observed);
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
  const scheduled = planScheduled(input, observed);
  if (scheduled) return scheduled;
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
