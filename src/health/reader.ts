// Reads the job metrics of many applications with few calls: GetMetricData takes up to 500
// MetricDataQuery structures per call ("A single GetMetricData call can include as many as 500
// MetricDataQuery structures", https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html),
// so 13 queries per application read 38 applications a call, and 1,000 applications take 27 calls per
// health interval. Calls are grouped by region and assumed role (one set of credentials signs a call),
// run one after another, and each HTTP attempt takes a low-priority token from the operator's AWS
// request budget so that metric reads never get ahead of a reconcile (src/aws/budget.ts).
import type {
  GetMetricDataCommandInput,
  GetMetricDataCommandOutput,
  MetricDataQuery,
  Statistic,
} from "@aws-sdk/client-cloudwatch";
import { COUNTERS } from "./judge.js";
import { type Bucket, type HealthTarget, JOB_METRICS, type JobMetricName, type JobSamples } from "./types.js";

/** What the reader needs of CloudWatch: the port the SDK client (or a fake in tests) implements. */
export interface MetricDataPort {
  getMetricData(input: GetMetricDataCommandInput): Promise<GetMetricDataCommandOutput>;
}

export const MAX_QUERIES_PER_CALL = 500;
/** Managed Flink publishes its metrics in this namespace with the dimension Application. */
export const NAMESPACE = "AWS/KinesisAnalytics";
/** Pages of one call followed at most; 500 queries of a 600 s window at 60 s are 5,000 datapoints, one page. */
const MAX_PAGES = 20;

/**
 * The statistic read per metric. Counters get Maximum and Minimum, so that what a counter rose inside one
 * period is visible (countIncreases in judge.ts); per-second rates their Average; everything else its
 * Maximum (AWS's recommended alarm on millisBehindLatest uses Maximum; downtime > 0 and the checkpoint
 * figures are worst-case readings). 11 metrics, 13 queries.
 */
function statsOf(metric: JobMetricName): Statistic[] {
  if (COUNTERS.includes(metric)) return ["Maximum", "Minimum"];
  if (metric === "numRecordsInPerSecond" || metric === "numRecordsOutPerSecond") return ["Average"];
  return ["Maximum"];
}

export const QUERIES_PER_APPLICATION = JOB_METRICS.reduce((n, m) => n + statsOf(m).length, 0);

/** Ids must match ^[a-z][a-zA-Z0-9_]*$ and be unique in a call: a<app>_<metric>_<stat>. */
const idOf = (app: number, metric: number, stat: Statistic) =>
  `a${app}_${metric}_${stat === "Minimum" ? "n" : "x"}`;
const ID = /^a(\d+)_(\d+)_([nx])$/;

export function queriesFor(applicationName: string, app: number, periodSeconds: number): MetricDataQuery[] {
  return JOB_METRICS.flatMap((metric, m) =>
    statsOf(metric).map((stat) => ({
      Id: idOf(app, m, stat),
      MetricStat: {
        Metric: {
          Namespace: NAMESPACE,
          MetricName: metric,
          Dimensions: [{ Name: "Application", Value: applicationName }],
        },
        Period: periodSeconds,
        Stat: stat,
      },
      ReturnData: true,
    })),
  );
}

/** Targets in calls: grouped by region and assumed role, at most 500 queries a call, no application split. */
export function batches(targets: HealthTarget[], perCall = MAX_QUERIES_PER_CALL): HealthTarget[][] {
  const appsPerCall = Math.max(1, Math.floor(perCall / QUERIES_PER_APPLICATION));
  const groups = new Map<string, HealthTarget[]>();
  for (const t of targets) {
    const g = `${t.region}\u0000${t.assumeRoleARN ?? ""}`;
    groups.set(g, [...(groups.get(g) ?? []), t]);
  }
  const calls: HealthTarget[][] = [];
  for (const group of groups.values()) {
    for (let i = 0; i < group.length; i += appsPerCall) calls.push(group.slice(i, i + appsPerCall));
  }
  return calls;
}

/** What one read found for one application. */
export type ReadOutcome =
  | { samples: JobSamples }
  | { error: "denied" | "failed"; message: string; errorType?: string };

export interface JobMetricsReaderOptions {
  /** The CloudWatch port for a region and assumed role (none: the operator's own credentials). */
  cloudWatch: (region: string, assumeRoleARN?: string) => MetricDataPort;
  /** GetMetricData Period (HEALTH_METRICS_PERIOD_SECONDS); Managed Flink publishes once a minute. */
  periodSeconds: number;
  /** One finished call: how many queries it carried, its outcome, its duration. */
  onCall?: (queries: number, outcome: "success" | "error", seconds: number, errorType?: string) => void;
  /**
   * How one read's calls are spaced: spread evenly over `spreadMs`, and never closer than `minGapMs`.
   * Back to back, a read of 1,000 applications took 27 tokens of the request budget within a second,
   * on top of a resync's DescribeApplication calls, and reconciles waited for tokens (BENCHMARKS.md,
   * "Job health"). None: back to back.
   */
  pacing?: { spreadMs: number; minGapMs: number };
  /** Waits between calls; resolves early when the signal aborts (tests pass a recorder). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** A timer that an abort cuts short (stopping the operator must not wait out a paced read). */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** The gap between the starts of a read's successive calls. */
export function gapBetweenCalls(calls: number, pacing?: { spreadMs: number; minGapMs: number }): number {
  if (!pacing || calls < 2) return 0;
  return Math.max(pacing.minGapMs, pacing.spreadMs / calls);
}

function isAccessDenied(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return (
    /AccessDenied|UnauthorizedOperation|NotAuthorized/.test(e?.name ?? "") ||
    e?.$metadata?.httpStatusCode === 403
  );
}

export class JobMetricsReader {
  constructor(private readonly o: JobMetricsReaderOptions) {
    if (!Number.isInteger(o.periodSeconds) || o.periodSeconds < 1) {
      throw new Error(`HEALTH_METRICS_PERIOD_SECONDS must be an integer >= 1, got ${o.periodSeconds}`);
    }
  }

  /**
   * Every target's samples over its window before `now`, or why they could not be read. The calls are
   * paced (options.pacing); an abort stops between calls, and the targets not read yet are left out.
   */
  async read(targets: HealthTarget[], now: Date, signal?: AbortSignal): Promise<Map<string, ReadOutcome>> {
    const out = new Map<string, ReadOutcome>();
    const calls = batches(targets);
    const gap = gapBetweenCalls(calls.length, this.o.pacing);
    let next = performance.now();
    for (const call of calls) {
      const wait = next - performance.now();
      if (wait > 0) await (this.o.sleep ?? sleep)(wait, signal);
      if (signal?.aborted) break;
      next = performance.now() + gap;
      for (const [key, outcome] of await this.readCall(call, now)) out.set(key, outcome);
    }
    return out;
  }

  private async readCall(targets: HealthTarget[], now: Date): Promise<Map<string, ReadOutcome>> {
    const { region, assumeRoleARN } = targets[0]!;
    const period = this.o.periodSeconds * 1000;
    const windowMs = Math.max(...targets.map((t) => t.thresholds.windowSeconds)) * 1000;
    // Aligned to the period, as the API reference advises for performance, and so that periods are
    // the same minutes in every read.
    const start = Math.floor((now.getTime() - windowMs) / period) * period;
    const queries = targets.flatMap((t, i) => queriesFor(t.applicationName, i, this.o.periodSeconds));
    const samples = targets.map((): JobSamples => ({}));
    const port = this.o.cloudWatch(region, assumeRoleARN);
    try {
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await this.call(port, queries.length, {
          MetricDataQueries: queries,
          StartTime: new Date(start),
          EndTime: now,
          ScanBy: "TimestampAscending",
          NextToken: token,
        });
        for (const r of page.MetricDataResults ?? []) addResult(samples, r.Id, r.Timestamps, r.Values);
        token = page.NextToken;
      } while (token && ++pages < MAX_PAGES);
    } catch (err) {
      const failure = failureOf(err, region, assumeRoleARN);
      return new Map(targets.map((t) => [t.key, failure]));
    }
    return new Map(targets.map((t, i) => [t.key, { samples: sorted(samples[i]!) }]));
  }

  private async call(port: MetricDataPort, queries: number, input: GetMetricDataCommandInput) {
    const started = performance.now();
    const elapsed = () => (performance.now() - started) / 1000;
    try {
      const out = await port.getMetricData(input);
      this.o.onCall?.(queries, "success", elapsed());
      return out;
    } catch (err) {
      this.o.onCall?.(queries, "error", elapsed(), (err as Error)?.name);
      throw err;
    }
  }
}

/** Puts one query result into its application's samples: Maximum/Average as value, Minimum as min. */
function addResult(
  samples: JobSamples[],
  id: string | undefined,
  timestamps: Date[] | undefined,
  values: number[] | undefined,
): void {
  const m = ID.exec(id ?? "");
  if (!m || !timestamps || !values) return;
  const app = samples[Number(m[1])];
  const metric = JOB_METRICS[Number(m[2])];
  if (!app || !metric) return;
  const series = app[metric] ?? [];
  app[metric] = series;
  timestamps.forEach((ts, i) => {
    const at = ts.getTime();
    const v = values[i];
    if (v === undefined || !Number.isFinite(v)) return;
    let b = series.find((x) => x.at === at);
    if (!b) {
      b = { at, value: v };
      series.push(b);
    }
    if (m[3] === "n") b.min = v;
    else b.value = v;
  });
}

/** Ascending time, and a Minimum without its Maximum (or the reverse) made whole. */
function sorted(s: JobSamples): JobSamples {
  const out: JobSamples = {};
  for (const [name, series] of Object.entries(s) as [JobMetricName, Bucket[]][]) {
    if (series.length > 0) out[name] = series.sort((a, b) => a.at - b.at);
  }
  return out;
}

function failureOf(err: unknown, region: string, assumeRoleARN: string | undefined): ReadOutcome {
  const who = assumeRoleARN ? `the role ${assumeRoleARN}` : "the operator's role";
  const errorType = (err as Error)?.name;
  if (isAccessDenied(err)) {
    return {
      error: "denied",
      errorType,
      message: `${who} may not call cloudwatch:GetMetricData in ${region} (${errorType}); grant it on Resource "*" (docs/iam-policy.json)`,
    };
  }
  return {
    error: "failed",
    errorType,
    message: `GetMetricData in ${region} failed: ${errorType ?? "error"}`,
  };
}
