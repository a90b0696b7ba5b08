import type { AggregatedMetric } from "./rest.js";

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
  /** The Kinesis consumer's highest lag behind the shard tips, over all shards; undefined without one. */
  millisBehindLatest: number | undefined;
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

export interface VertexSample {
  id: string;
  metrics: AggregatedMetric[];
}

/** A source operator's output rate: Flink names source operators "Source: ...", metrics "Source__...". */
const SOURCE_RATE = /^Source__.+\.numRecordsOutPerSecond$/;
const WRITER_MARK = ".numRecordsSend";
/** FlinkKinesisConsumer's per-shard gauge (…KinesisConsumer.stream.<s>.shardId.<id>.millisBehindLatest). */
const BEHIND = /\.millisBehindLatest$/;

/** Flink's "no watermark yet" is Long.MIN_VALUE; as a double it is about -9.22e18. */
const NO_WATERMARK = -9.2e18;

/**
 * Which of a vertex's subtask metrics (GET /jobs/:jobid/vertices/:vertexid/subtasks/metrics) the
 * application's values are made of:
 *  - records in: what source operators emit. Task-level numRecordsIn of a source task is 0 (measured
 *    on 1.20.3), and task-level counts of other tasks count every internal hop again;
 *  - records out: what sink writers write. Only Sink V2 writers register numRecordsSend, which marks
 *    them; their operator-scope numRecordsOutPerSecond is the records written out (measured with
 *    KinesisStreamsSink: Writer.numRecordsOutPerSecond > 0 while the task-level value stays 0);
 *  - the input watermark of every non-source task (source tasks have none).
 */
export function vertexMetricsToRead(available: readonly string[]): string[] {
  const writers = available
    .filter((n) => n.endsWith(WRITER_MARK))
    .map((n) => `${n.slice(0, -WRITER_MARK.length)}.numRecordsOutPerSecond`);
  return [
    ...available.filter((n) => SOURCE_RATE.test(n)),
    ...writers.filter((n) => available.includes(n)),
    ...(available.includes("currentInputWatermark") ? ["currentInputWatermark"] : []),
    ...available.filter((n) => BEHIND.test(n)),
  ];
}

/** Application-level values from job metrics and the vertex metrics vertexMetricsToRead chose. */
export function applicationMetrics(
  job: Record<string, number>,
  vertices: readonly VertexSample[],
): ApplicationMetrics {
  const all = vertices.flatMap((v) => v.metrics);
  const total = (pick: (id: string) => boolean) =>
    all.filter((m) => pick(m.id)).reduce((sum, m) => sum + (m.sum ?? 0), 0);
  const watermarks = all
    .filter((m) => m.id === "currentInputWatermark")
    .map((m) => m.min)
    .filter((w): w is number => w !== undefined && w > NO_WATERMARK);
  const present = (name: string) => (job[name] === undefined || job[name] < 0 ? undefined : job[name]);
  const checkpointed = (job["numberOfCompletedCheckpoints"] ?? 0) > 0;
  const behind = all
    .filter((m) => BEHIND.test(m.id))
    .map((m) => m.max)
    .filter((v): v is number => v !== undefined && v >= 0);
  return {
    uptime: Math.max(0, job["uptime"] ?? 0),
    downtime: Math.max(0, job["downtime"] ?? 0),
    fullRestarts: job["fullRestarts"] ?? job["numRestarts"] ?? 0,
    numberOfFailedCheckpoints: job["numberOfFailedCheckpoints"] ?? 0,
    lastCheckpointDuration: checkpointed ? present("lastCheckpointDuration") : undefined,
    lastCheckpointSize: checkpointed ? present("lastCheckpointSize") : undefined,
    numRecordsInPerSecond: total((id) => SOURCE_RATE.test(id)),
    numRecordsOutPerSecond: total((id) => !SOURCE_RATE.test(id) && id.endsWith(".numRecordsOutPerSecond")),
    currentInputWatermark: watermarks.length > 0 ? Math.min(...watermarks) : undefined,
    millisBehindLatest: behind.length > 0 ? Math.max(...behind) : undefined,
  };
}
