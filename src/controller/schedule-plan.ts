// spec.snapshots.schedule: a snapshot whenever the newest operator snapshot (of any reason: a
// pre-update, on-demand or scheduled one) is older than the interval. Planned only from
// planSnapshots, that is while the application is RUNNING with no update in flight, and one at a time:
// a scheduled snapshot that is CREATING is waited for before anything else is asked. Retention
// (snapshot-plan.ts) treats them like every operator snapshot.
import type { ApplicationDetail } from "@aws-sdk/client-kinesis-analytics-v2";
import { NotFound } from "../aws/managed-flink.js";
import type { FlinkApplicationSpec, ScheduledSnapshot } from "../crds/types.generated.js";
import type { PlanInput, Step } from "./plan-types.js";
import { record, snapshotRecord, utcStamp } from "./update-plan.js";

/** "6h", "90m", "1h30m" (the CRD's pattern) in milliseconds; undefined when there is no schedule. */
export function scheduleInterval(spec: FlinkApplicationSpec): number | undefined {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?$/.exec(spec.snapshots?.schedule ?? "");
  if (!m || (!m[1] && !m[2])) return undefined;
  return (Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60_000;
}

export function scheduledSnapshotName(applicationName: string, now: Date): string {
  const suffix = `-scheduled-${utcStamp(now)}`;
  return applicationName.slice(0, 256 - suffix.length) + suffix;
}

/** The scheduled snapshot being created, whose state the next step depends on. */
export function pendingScheduled(status: PlanInput["status"]): string | undefined {
  const s = status.scheduledSnapshot;
  return s?.state === "Creating" ? s.name : undefined;
}

/** When the next scheduled snapshot is due: an interval after the newest snapshot or attempt. */
function dueAt(input: PlanInput, interval: number): number {
  const times = [
    ...(input.status.snapshots ?? []).map((s) => Date.parse(s.createdAt ?? "")),
    Date.parse(input.status.scheduledSnapshot?.requestedAt ?? ""),
  ].filter((t) => !Number.isNaN(t));
  return times.length === 0 ? input.now.getTime() : Math.max(...times) + interval;
}

/** How long until the next scheduled snapshot, so a steady application is looked at again in time. */
export function scheduleRecheck(input: PlanInput): { recheckAfterMs?: number } {
  const interval = scheduleInterval(input.spec);
  if (interval === undefined || (input.spec.snapshots?.enabled ?? true) === false) return {};
  return { recheckAfterMs: Math.max(1000, dueAt(input, interval) - input.now.getTime()) };
}

/** A scheduled snapshot in flight: wait for it, then record it. */
export function finishScheduled(input: PlanInput, observed: ApplicationDetail): Step | undefined {
  return pendingScheduled(input.status) ? planScheduled(input, observed) : undefined;
}

/** A scheduled snapshot in flight (wait, then record it), or a new one when due. */
export function planScheduled(input: PlanInput, _observed: ApplicationDetail): Step | undefined {
  const pending = input.status.scheduledSnapshot;
  if (pending?.state === "Creating") return planPending(input, pending);
  const interval = scheduleInterval(input.spec);
  if (interval === undefined || (input.spec.snapshots?.enabled ?? true) === false) return undefined;
  if (input.now.getTime() < dueAt(input, interval)) return undefined;
  const name = scheduledSnapshotName(input.applicationName, input.now);
  return {
    kind: "snapshot",
    snapshotName: name,
    reason: "Scheduled",
    changes: { scheduledSnapshot: { name, requestedAt: input.now.toISOString(), state: "Creating" } },
  };
}

function planPending(input: PlanInput, pending: ScheduledSnapshot): Step {
  const snap = input.observedSnapshot;
  if (snap && snap !== NotFound && snap.SnapshotStatus === "CREATING") {
    return {
      kind: "wait",
      reason: "Snapshotting",
      message: `scheduled snapshot ${pending.name} is CREATING`,
    };
  }
  const ready = snap && snap !== NotFound && snap.SnapshotStatus === "READY";
  const state = ready ? "Ready" : "Failed";
  return {
    kind: "record",
    reason: ready ? "SnapshotTaken" : "SnapshotFailed",
    message: `scheduled snapshot ${pending.name} is ${snap && snap !== NotFound ? snap.SnapshotStatus : "missing"}`,
    changes: {
      scheduledSnapshot: { ...pending, state },
      ...(ready
        ? {
            snapshots: record(
              input.status.snapshots,
              snapshotRecord(
                snap,
                { type: "Update", generation: input.generation, phase: "Snapshotting", startedAt: "" },
                "Scheduled",
              ),
            ),
          }
        : {}),
    },
  };
}
