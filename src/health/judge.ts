// The verdict on a Flink job from its CloudWatch metrics: a pure function of the samples, the
// thresholds and the time, as the Flink Kubernetes Operator judges a job from its restart count and
// checkpoint progress within a window (its "job health check"), with AWS's recommended alarms for
// Managed Flink as the evidence (https://docs.aws.amazon.com/managed-flink/latest/java/monitoring-metrics-alarms.html):
// downtime > 0, RATE(numberOfFailedCheckpoints) > 0, and millisBehindLatest (Maximum) above what the
// application shows under normal conditions.
import type {
  Bucket,
  HealthThresholds,
  JobFigures,
  JobHealth,
  JobMetricName,
  JobSamples,
  JobVerdict,
} from "./types.js";
import { JOB_METRICS } from "./types.js";

/**
 * The operator-wide defaults (HEALTH_WINDOW_SECONDS, HEALTH_MAX_RESTARTS, HEALTH_MAX_FAILED_CHECKPOINTS,
 * HEALTH_MAX_MILLIS_BEHIND_LATEST).
 *
 * - 600 s: ten of Managed Flink's one-minute metric periods, long enough that one late datapoint does
 *   not turn a job NoData, short enough that a job that recovered is called Healthy within ten minutes.
 * - 0 restarts and 0 failed checkpoints: AWS recommends alarming on downtime > 0 and on any rate of
 *   failed checkpoints "for all applications" (the page above).
 * - 300,000 ms behind latest: AWS leaves the millisBehindLatest threshold to the latency the
 *   application shows under normal conditions. The seed's job counts events in one-minute tumbling
 *   windows, so a healthy run of it is about one window behind its Kinesis source; five windows behind
 *   means it is not keeping up, well before a day's retention runs out, and without flagging the
 *   minute or two of catch-up after a restore from a snapshot.
 */
export const builtInThresholds: HealthThresholds = {
  windowSeconds: 600,
  maxRestarts: 0,
  maxFailedCheckpoints: 0,
  maxMillisBehindLatest: 300_000,
};

/** spec.health as the CRD defines it (all optional). */
export interface HealthSpec {
  windowSeconds?: number;
  maxRestarts?: number;
  maxFailedCheckpoints?: number;
  maxMillisBehindLatest?: number;
  checks?: "Enabled" | "Disabled";
}

/** The thresholds for one application: its spec.health over the operator-wide defaults. */
export function thresholdsFrom(spec: HealthSpec | undefined, defaults: HealthThresholds): HealthThresholds {
  const pick = (field: keyof HealthThresholds, min: number): number => {
    const v = spec?.[field];
    if (v === undefined || v === null) return defaults[field];
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
      throw new Error(`spec.health.${field} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  return {
    windowSeconds: pick("windowSeconds", 1),
    maxRestarts: pick("maxRestarts", 0),
    maxFailedCheckpoints: pick("maxFailedCheckpoints", 0),
    maxMillisBehindLatest: pick("maxMillisBehindLatest", 0),
  };
}

/** Whether spec.health asks for health checks (they are on unless `checks: Disabled`). */
export function healthChecksEnabled(spec: HealthSpec | undefined): boolean {
  return spec?.checks !== "Disabled";
}

/** The operator-wide defaults from the environment, each falling back to the built-in value. */
export function thresholdsFromEnv(env: Record<string, string | undefined>): HealthThresholds {
  const intEnv = (name: string, fallback: number, min: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min)
      throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`);
    return n;
  };
  const d = builtInThresholds;
  return {
    windowSeconds: intEnv("HEALTH_WINDOW_SECONDS", d.windowSeconds, 1),
    maxRestarts: intEnv("HEALTH_MAX_RESTARTS", d.maxRestarts, 0),
    maxFailedCheckpoints: intEnv("HEALTH_MAX_FAILED_CHECKPOINTS", d.maxFailedCheckpoints, 0),
    maxMillisBehindLatest: intEnv("HEALTH_MAX_MILLIS_BEHIND_LATEST", d.maxMillisBehindLatest, 0),
  };
}

/**
 * Increases of a cumulative counter over periods in ascending time. fullRestarts and
 * numberOfFailedCheckpoints count "since the application started" (metrics-dimensions page), so they
 * fall back to 0 when a new job starts (an update, a restart): a drop is a reset, and the new job's
 * count is what it has reached since. Within a period, Maximum − Minimum is what the counter rose;
 * when a period holds both the old job's last value and the new job's first, which came first is
 * unknown, so only its Minimum is counted and the rest shows up against the next period.
 */
export function countIncreases(buckets: Bucket[]): number {
  let total = 0;
  let last: number | undefined;
  for (const b of buckets) {
    const min = b.min ?? b.value;
    if (last === undefined) {
      total += b.value - min;
      last = b.value;
    } else if (min < last) {
      total += min;
      last = min;
    } else {
      total += b.value - last;
      last = b.value;
    }
  }
  return total;
}

function newest(buckets: Bucket[] | undefined): Bucket | undefined {
  return buckets && buckets.length > 0 ? buckets[buckets.length - 1] : undefined;
}

function figuresOf(samples: JobSamples): JobFigures {
  const figures: JobFigures = {};
  for (const name of JOB_METRICS) {
    const b = newest(samples[name]);
    if (b) figures[name] = { value: b.value, timestamp: new Date(b.at).toISOString() };
  }
  return figures;
}

/** The samples from `from` on, each series in ascending time. */
function spanOf(samples: JobSamples, from: number): JobSamples {
  const span: JobSamples = {};
  for (const name of JOB_METRICS) {
    const kept = (samples[name] ?? []).filter((b) => b.at >= from).sort((a, b) => a.at - b.at);
    if (kept.length > 0) span[name] = kept;
  }
  return span;
}

function oldest(span: JobSamples): number | undefined {
  const firsts = Object.values(span).map((s) => s[0]!.at);
  return firsts.length > 0 ? Math.min(...firsts) : undefined;
}

interface Evidence {
  restarts: number;
  failedCheckpoints: number;
  downtime?: Bucket;
  behind?: Bucket;
  hasData: boolean;
}

function verdictOf(e: Evidence, t: HealthThresholds): JobVerdict {
  if (!e.hasData) return "NoData";
  if (e.restarts > t.maxRestarts || (e.downtime?.value ?? 0) > 0) return "Restarting";
  if (e.failedCheckpoints > t.maxFailedCheckpoints) return "CheckpointsFailing";
  if (e.behind && e.behind.value > t.maxMillisBehindLatest) return "FallingBehind";
  return "Healthy";
}

const iso = (ms: number) => new Date(ms).toISOString();
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

function messageOf(v: JobVerdict, e: Evidence, t: HealthThresholds, during: string): string {
  const restarts = `${plural(e.restarts, "full restart", "full restarts")} ${during} (max ${t.maxRestarts})`;
  switch (v) {
    case "NoData":
      return `no uptime or fullRestarts datapoint in CloudWatch ${during}; the job's health is unknown`;
    case "Restarting":
      return e.downtime && e.downtime.value > 0
        ? `the job is down: downtime ${e.downtime.value} ms at ${iso(e.downtime.at)}; ${restarts}`
        : restarts;
    case "CheckpointsFailing":
      return `${plural(e.failedCheckpoints, "failed checkpoint", "failed checkpoints")} ${during} (max ${t.maxFailedCheckpoints})`;
    case "FallingBehind":
      return `millisBehindLatest ${e.behind!.value} ms at ${iso(e.behind!.at)} (max ${t.maxMillisBehindLatest})`;
    case "Healthy":
      return `${plural(e.restarts, "full restart", "full restarts")} and ${plural(e.failedCheckpoints, "failed checkpoint", "failed checkpoints")} ${during}`;
  }
}

/**
 * The verdict on one job. Only datapoints in the window before `now` count, and none before `since`
 * (the start of the job being verified after an update). Without an uptime or fullRestarts datapoint
 * in that span the verdict is NoData: never Healthy without evidence. Precedence: Restarting >
 * CheckpointsFailing > FallingBehind > Healthy.
 */
export function judgeJob(samples: JobSamples, t: HealthThresholds, now: Date, since?: Date): JobHealth {
  const windowStart = now.getTime() - t.windowSeconds * 1000;
  const from = since && since.getTime() > windowStart ? since.getTime() : windowStart;
  const span = spanOf(samples, from);
  const during = from === windowStart ? `in the last ${t.windowSeconds} s` : `since ${iso(from)}`;
  const evidence: Evidence = {
    restarts: countIncreases(span.fullRestarts ?? []),
    failedCheckpoints: countIncreases(span.numberOfFailedCheckpoints ?? []),
    downtime: newest(span.downtime),
    behind: newest(span.millisBehindLatest),
    hasData: (span.uptime?.length ?? 0) > 0 || (span.fullRestarts?.length ?? 0) > 0,
  };
  const verdict = verdictOf(evidence, t);
  const dataSince = oldest(span);
  return {
    verdict,
    message: messageOf(verdict, evidence, t, during),
    figures: figuresOf(spanOf(samples, windowStart)),
    checkedAt: now.toISOString(),
    restarts: evidence.restarts,
    failedCheckpoints: evidence.failedCheckpoints,
    checkpointCompleted: Boolean(span.lastCheckpointDuration || span.lastCheckpointSize),
    ...(dataSince !== undefined ? { dataSince: iso(dataSince) } : {}),
  };
}

/** The metrics whose verdict-relevant increases need Minimum as well as Maximum. */
export const COUNTERS: readonly JobMetricName[] = ["fullRestarts", "numberOfFailedCheckpoints"];

/** Whether a verdict means the job is not doing its work. */
export function isUnhealthy(v: JobVerdict | undefined): boolean {
  return v === "Restarting" || v === "CheckpointsFailing" || v === "FallingBehind";
}
