// The job-health vocabulary shared by the monitor (which reads CloudWatch) and the reconciler (which
// turns a verdict into status, conditions and the stabilization of updates). ADR 0018.

export type JobVerdict = "Healthy" | "Restarting" | "CheckpointsFailing" | "FallingBehind" | "NoData";

/** Application-level metrics Managed Flink publishes (namespace AWS/KinesisAnalytics, dimension Application). */
export const JOB_METRICS = [
  "uptime",
  "downtime",
  "fullRestarts",
  "numberOfFailedCheckpoints",
  "lastCheckpointDuration",
  "lastCheckpointSize",
  "numRecordsInPerSecond",
  "numRecordsOutPerSecond",
  "currentInputWatermark",
  "millisBehindLatest",
  "KPUs",
] as const;
export type JobMetricName = (typeof JOB_METRICS)[number];

export interface JobFigure {
  value: number;
  /** ISO time of the datapoint. */
  timestamp: string;
}
export type JobFigures = Partial<Record<JobMetricName, JobFigure>>;

export interface HealthThresholds {
  windowSeconds: number;
  maxRestarts: number;
  maxFailedCheckpoints: number;
  maxMillisBehindLatest: number;
}

export interface JobHealth {
  verdict: JobVerdict;
  /** The evidence, e.g. "3 full restarts in the last 600 s (max 0)". */
  message: string;
  /** The newest datapoint of each metric. */
  figures: JobFigures;
  /** When the monitor last read CloudWatch for it. */
  checkedAt: string;
  /** Full restarts counted in the judged span. */
  restarts: number;
  /** Failed checkpoints counted in the judged span. */
  failedCheckpoints: number;
  /** A checkpoint completed in the judged span (a lastCheckpointDuration/Size datapoint in it). */
  checkpointCompleted: boolean;
  /** The oldest datapoint considered. */
  dataSince?: string;
  /** The newest ERROR lines of the application's CloudWatch log stream, secrets redacted. */
  errorLines?: string[];
}

export interface JobHealthSource {
  /**
   * The job's health judged from the samples held for `key` ("namespace/name"), counting only
   * datapoints at or after `since` when given. undefined: health checks are off for it, or it was
   * never read yet.
   */
  judge(key: string, thresholds: HealthThresholds, since?: Date): JobHealth | undefined;
}
