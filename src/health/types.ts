// The job-health contract between the health monitor (src/health) and the reconciler, which puts the
// verdict into status.job and Ready (docs/adr/0018-job-health.md).

/** What the operator concludes about the Flink job inside a RUNNING application. */
export type JobVerdict = "Healthy" | "Restarting" | "CheckpointsFailing" | "FallingBehind" | "NoData";

/**
 * The application-level metrics Managed Flink publishes to CloudWatch (namespace AWS/KinesisAnalytics,
 * dimension Application), as the developer guide's "Metrics and dimensions in Managed Service for Apache
 * Flink" names them (https://docs.aws.amazon.com/managed-flink/latest/java/metrics-dimensions.html).
 */
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
  /** ISO time of the datapoint (the start of its CloudWatch period). */
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
  /** A sentence with the evidence, e.g. "3 full restarts in the last 600 s (max 0)". */
  message: string;
  /** The newest datapoint of each metric. */
  figures: JobFigures;
  /** When the monitor last read CloudWatch for this application. */
  checkedAt: string;
  /** Full restarts counted in the judged span. */
  restarts: number;
  /** Failed checkpoints counted in the judged span. */
  failedCheckpoints: number;
  /** A checkpoint completed in the judged span (a lastCheckpointDuration/Size datapoint in it). */
  checkpointCompleted: boolean;
  /** The oldest datapoint considered. */
  dataSince?: string;
  /** The newest ERROR lines of the application's CloudWatch Logs stream, secrets redacted. */
  errorLines?: string[];
}

export interface JobHealthSource {
  /**
   * The job's health judged from the samples held for `key` ("namespace/name"), counting only datapoints
   * at/after `since` when given. undefined = health checks off for it, or never read yet.
   */
  judge(key: string, thresholds: HealthThresholds, since?: Date): JobHealth | undefined;
}

/**
 * One CloudWatch period of one metric: `at` is the period's start (ms since the epoch), `value` the
 * statistic read for it (Maximum for counters and gauges, Average for rates), `min` the Minimum where it
 * was read too (the cumulative counters, so that increases inside one period are visible).
 */
export interface Bucket {
  at: number;
  value: number;
  min?: number;
}

/** What was read for one application: each metric's periods in ascending time. */
export type JobSamples = Partial<Record<JobMetricName, Bucket[]>>;

/** One application the monitor reads: what the operator's informer cache says about it. */
export interface HealthTarget {
  /** "namespace/name" of the FlinkApplication. */
  key: string;
  /** The AWS application name: the value of the CloudWatch dimension Application. */
  applicationName: string;
  region: string;
  /** The tenant role the operator assumes for this namespace (FlinkApplicationPolicy), if any. */
  assumeRoleARN?: string;
  /** The application's CloudWatch Logs stream, for its ERROR lines when the job turns unhealthy. */
  logStreamArn?: string;
  /** Its ARN: only log records that carry it are quoted (spec.logging may name anyone's stream). */
  applicationARN?: string;
  thresholds: HealthThresholds;
  /** An update of it is in flight or being verified: its error lines are read while it is unhealthy. */
  stabilizing?: boolean;
  /** The verdict status.job records, if any: a first read that agrees with it is not news. */
  recorded?: JobVerdict;
}
