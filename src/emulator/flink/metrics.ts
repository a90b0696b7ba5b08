import type { AggregatedMetric, PlanNode } from "./rest.js";

/**
 * A running job's metrics under the names Managed Flink publishes at the Application dimension
 * (AWS Managed Service for Apache Flink Developer Guide, "Metrics and dimensions"). Undefined where
 * Flink has no value yet (no checkpoint taken, no watermark received).
 */
export interface ApplicationMetrics {
  /** Milliseconds the job has been running without interruption. */
  uptime: number;
  /** Milliseconds of the current outage while failing or restarting, 0 while running. */
  downtime: number;
  /** Restarts since the job was submitted (Flink's fullRestarts, kept under that name by Managed Flink). */
  fullRestarts: number;
  numberOfFailedCheckpoints: number;
  lastCheckpointDuration: number | undefined;
  lastCheckpointSize: number | undefined;
  numRecordsInPerSecond: number;
  numRecordsOutPerSecond: number;
  /** Epoch milliseconds; the lowest input watermark of the job's non-source tasks. */
  currentInputWatermark: number | undefined;
}

/** Job-scope metric names (GET /jobs/:jobid/metrics). */
export const JOB_METRICS = [
  "uptime",
  "downtime",
  "fullRestarts",
  "numRestarts",
  "numberOfFailedCheckpoints",
  "lastCheckpointDuration",
  "lastCheckpointSize",
  "numberOfCompletedCheckpoints",
] as const;

/** Task-scope metric names, read per vertex and aggregated over its subtasks. */
export const TASK_METRICS = [
  "numRecordsInPerSecond",
  "numRecordsOutPerSecond",
  "currentInputWatermark",
] as const;

export interface VertexSample {
  id: string;
  metrics: AggregatedMetric[];
}

/** Flink's "no watermark yet" is Long.MIN_VALUE; as a double it is about -9.22e18. */
const NO_WATERMARK = -9.2e18;

/**
 * Application-level values from job metrics and per-vertex task metrics.
 *
 * Records in/out: Flink's task metrics count records crossing task boundaries, and a source task's
 * numRecordsIn is 0 (measured on 1.20.3), so "records the application received" is what its source
 * tasks emit, and "records it emitted" is what its sink tasks count as sent out (a sink writer reports
 * its external writes as the task's numRecordsOut). Summing every vertex would count each internal
 * hop again.
 */
export function applicationMetrics(
  job: Record<string, number>,
  plan: readonly PlanNode[],
  vertices: readonly VertexSample[],
): ApplicationMetrics {
  const consumed = new Set(plan.flatMap((n) => (n.inputs ?? []).map((i) => i.id)));
  const sources = new Set(plan.filter((n) => (n.inputs ?? []).length === 0).map((n) => n.id));
  const sinks = new Set(plan.filter((n) => !consumed.has(n.id)).map((n) => n.id));
  const sum = (ids: Set<string>, name: string) =>
    vertices
      .filter((v) => ids.has(v.id))
      .reduce((total, v) => total + (v.metrics.find((m) => m.id === name)?.sum ?? 0), 0);
  const watermarks = vertices
    .filter((v) => !sources.has(v.id))
    .map((v) => v.metrics.find((m) => m.id === "currentInputWatermark")?.min)
    .filter((w): w is number => w !== undefined && w > NO_WATERMARK);
  const present = (name: string) => (job[name] === undefined || job[name] < 0 ? undefined : job[name]);
  return {
    uptime: Math.max(0, job["uptime"] ?? 0),
    downtime: Math.max(0, job["downtime"] ?? 0),
    fullRestarts: job["fullRestarts"] ?? job["numRestarts"] ?? 0,
    numberOfFailedCheckpoints: job["numberOfFailedCheckpoints"] ?? 0,
    lastCheckpointDuration: job["numberOfCompletedCheckpoints"]
      ? present("lastCheckpointDuration")
      : undefined,
    lastCheckpointSize: job["numberOfCompletedCheckpoints"] ? present("lastCheckpointSize") : undefined,
    numRecordsInPerSecond: sum(sources, "numRecordsOutPerSecond"),
    numRecordsOutPerSecond: sum(sinks, "numRecordsOutPerSecond"),
    currentInputWatermark: watermarks.length > 0 ? Math.min(...watermarks) : undefined,
  };
}
