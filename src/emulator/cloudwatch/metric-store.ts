// The emulator's CloudWatch metric store: each metric (namespace, name and exact set of dimensions — "each
// unique combination of dimensions is a separate metric", CloudWatch concepts,
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Dimension) keeps
// its datapoints in time order, so a GetMetricData query costs a binary search plus the datapoints in its
// range, never a scan of the store. moto scans every stored datapoint for every query, which made a
// 1,000-application health read take minutes (docs/adr/0021-emulated-cloudwatch-metrics.md).

/** One datapoint as CloudWatch keeps it: a statistic set (a single value is a set of one). */
export interface Datapoint {
  /** Epoch milliseconds. */
  at: number;
  sampleCount: number;
  sum: number;
  min: number;
  max: number;
  unit?: string;
}

export interface MetricId {
  namespace: string;
  metricName: string;
  dimensions: { name: string; value: string }[];
}

export const BASIC_STATISTICS = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"] as const;
export type BasicStatistic = (typeof BASIC_STATISTICS)[number];

export interface RangeQuery {
  /** Inclusive, epoch ms, already rounded as GetMetricData rounds StartTime. */
  start: number;
  /** Exclusive, epoch ms. */
  end: number;
  periodMs: number;
  stat: BasicStatistic;
  /** Only datapoints published with this unit ("If you specify a unit, the operation returns only data
   * that was collected with that unit specified"). */
  unit?: string;
}

/** Columns rather than objects: 1,000 applications × 11 metrics × hours of datapoints stay compact. */
class Series {
  constructor(readonly metric: MetricId) {}

  at: number[] = [];
  sampleCount: number[] = [];
  sum: number[] = [];
  min: number[] = [];
  max: number[] = [];
  unit: (string | undefined)[] = [];
  /** Datapoints before this index are expired; they are dropped in bulk (see expire). */
  head = 0;

  insert(p: Datapoint): void {
    // Publishers send in time order: appending is the common case, an older datapoint is spliced in.
    const last = this.at.length - 1;
    const i = last < 0 || p.at >= this.at[last]! ? this.at.length : this.lowerBound(p.at + 1);
    this.at.splice(i, 0, p.at);
    this.sampleCount.splice(i, 0, p.sampleCount);
    this.sum.splice(i, 0, p.sum);
    this.min.splice(i, 0, p.min);
    this.max.splice(i, 0, p.max);
    this.unit.splice(i, 0, p.unit);
  }

  /** The first index at or after `head` whose time is >= t. */
  lowerBound(t: number): number {
    let lo = this.head;
    let hi = this.at.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  expire(before: number): void {
    this.head = this.lowerBound(before);
    // Copying is linear: do it once half the columns are expired, so each datapoint is copied O(1) times.
    if (this.head > 1024 && this.head * 2 > this.at.length) {
      for (const c of [this.at, this.sampleCount, this.sum, this.min, this.max, this.unit] as unknown[][]) {
        c.splice(0, this.head);
      }
      this.head = 0;
    }
  }

  get size(): number {
    return this.at.length - this.head;
  }
}

export interface MetricStoreOptions {
  /** Datapoints older than this (relative to the clock) are dropped; CloudWatch keeps 15 days. */
  retentionMs?: number;
  now?: () => number;
}

/** Three hours: the longest window CloudWatch serves at high resolution, hours of any job's history. */
export const DEFAULT_RETENTION_MS = 3 * 3_600_000;

export class MetricStore {
  private readonly series = new Map<string, Series>();
  private readonly retentionMs: number;
  private readonly now: () => number;

  constructor(opts: MetricStoreOptions = {}) {
    this.retentionMs = opts.retentionMs ?? DEFAULT_RETENTION_MS;
    this.now = opts.now ?? Date.now;
  }

  put(metric: MetricId, point: Datapoint): void {
    const key = keyOf(metric);
    let s = this.series.get(key);
    if (!s) {
      s = new Series({ ...metric, dimensions: metric.dimensions.map((d) => ({ ...d })) });
      this.series.set(key, s);
    }
    s.insert(point);
    s.expire(this.now() - this.retentionMs);
  }

  /**
   * The metric's datapoints in [start, end) aggregated per period, ascending: one bucket per period that
   * holds at least one datapoint, stamped with the period's start (CloudWatch returns no value for an
   * empty period).
   */
  query(metric: MetricId, q: RangeQuery): { timestamps: number[]; values: number[] } {
    const timestamps: number[] = [];
    const values: number[] = [];
    const s = this.series.get(keyOf(metric));
    if (!s) return { timestamps, values };
    let bucket = Number.NaN;
    let agg = { n: 0, sum: 0, min: Infinity, max: -Infinity };
    const flush = () => {
      if (agg.n === 0) return;
      timestamps.push(q.start + bucket * q.periodMs);
      values.push(statistic(q.stat, agg));
    };
    const floor = Math.max(q.start, this.now() - this.retentionMs);
    for (let i = s.lowerBound(floor); i < s.at.length && s.at[i]! < q.end; i++) {
      if (q.unit !== undefined && s.unit[i] !== q.unit) continue;
      const b = Math.floor((s.at[i]! - q.start) / q.periodMs);
      if (b !== bucket) {
        flush();
        bucket = b;
        agg = { n: 0, sum: 0, min: Infinity, max: -Infinity };
      }
      agg.n += s.sampleCount[i]!;
      agg.sum += s.sum[i]!;
      agg.min = Math.min(agg.min, s.min[i]!);
      agg.max = Math.max(agg.max, s.max[i]!);
    }
    flush();
    return { timestamps, values };
  }

  /** The metrics that hold datapoints newer than `since` (all retained ones unless given), in key order. */
  metricsSince(since = Number.NEGATIVE_INFINITY): MetricId[] {
    const floor = Math.max(since, this.now() - this.retentionMs);
    return [...this.series.entries()]
      .filter(([, s]) => s.at.length > 0 && s.at[s.at.length - 1]! >= floor)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, s]) => s.metric);
  }

  /** Datapoints held (expired ones not counted). */
  get size(): number {
    let n = 0;
    for (const s of this.series.values()) n += s.size;
    return n;
  }
}

function statistic(stat: BasicStatistic, a: { n: number; sum: number; min: number; max: number }): number {
  switch (stat) {
    case "SampleCount":
      return a.n;
    case "Sum":
      return a.sum;
    case "Average":
      return a.sum / a.n;
    case "Minimum":
      return a.min;
    case "Maximum":
      return a.max;
  }
}

/** Dimensions are a set: their order in a request does not make another metric. */
function keyOf(m: MetricId): string {
  const dims = m.dimensions
    .map((d) => `${d.name}\u0001${d.value}`)
    .sort()
    .join("\u0002");
  return `${m.namespace}\u0000${m.metricName}\u0000${dims}`;
}
