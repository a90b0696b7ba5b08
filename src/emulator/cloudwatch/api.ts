// PutMetricData and GetMetricData as the CloudWatch API reference documents them
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html,
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html). Inputs have
// already passed the model's type and constraint checks (validation.ts); what is checked here is what the
// reference states in prose. What the emulator does not compute — metric math, Metrics Insights,
// percentiles and the other extended statistics — is refused by name, never answered wrongly.
import { createHash } from "node:crypto";
import { ServiceError } from "../errors.js";
import type { Json } from "../store.js";
import {
  BASIC_STATISTICS,
  type BasicStatistic,
  type Datapoint,
  type MetricId,
  type MetricStore,
} from "./metric-store.js";

const invalidValue = (message: string) => new ServiceError("InvalidParameterValueException", message);
const invalidCombination = (message: string) =>
  new ServiceError("InvalidParameterCombinationException", message);
const notEmulated = (what: string) =>
  invalidValue(
    `${what} is not emulated: the emulator computes the statistics SampleCount, Average, Sum, Minimum and Maximum of MetricStat queries (docs/emulator.md, "CloudWatch")`,
  );

const MINUTE = 60_000;
const DAY = 86_400_000;
/** "Values must be in the range of -2^360 to 2^360." */
const MAX_MAGNITUDE = 2 ** 360;
/** "You can specify time stamps that are as much as two weeks before the current date, and as much as 2
 * hours after the current day and time." */
const OLDEST = 14 * DAY;
const NEWEST = 2 * 3_600_000;
const MAX_DATA = 1000;
const MAX_VALUES = 150;
const MAX_QUERIES = 500;
const DEFAULT_MAX_DATAPOINTS = 100_800;
/** Ids: "The valid characters are letters, numbers, and underscore. The first character must be a
 * lowercase letter." */
const ID = /^[a-z][a-zA-Z0-9_]*$/;
/** Extended statistics (percentiles, trimmed means, …): valid, and not computed here. */
const EXTENDED = /^(p|tm|wm|tc|ts|pr|iqm)(\d|\(|$)/i;

type Dimension = { Name: string; Value: string };

export function putMetricData(store: MetricStore, input: Json, now: number): Json {
  const namespace = input.Namespace as string;
  const data = [
    ...((input.MetricData as Json[] | undefined) ?? []),
    ...((input.EntityMetricData as Json[] | undefined) ?? []).flatMap((e) => (e.MetricData as Json[]) ?? []),
  ];
  if (data.length > MAX_DATA) {
    throw invalidValue(`The collection MetricData must not have a size greater than ${MAX_DATA}.`);
  }
  // Validate everything before storing anything: a rejected call stores nothing.
  const accepted = data.map((d, i) => datumOf(namespace, d, `MetricData.member.${i + 1}`, now));
  for (const [metric, points] of accepted) for (const p of points) store.put(metric, p);
  return {};
}

function datumOf(namespace: string, d: Json, at: string, now: number): [MetricId, Datapoint[]] {
  const dimensions = dimensionsOf(d.Dimensions as Dimension[] | undefined, `${at}.Dimensions`);
  const given = ["Value", "StatisticValues", "Values"].filter((k) => d[k] !== undefined);
  if (given.length > 1) {
    throw invalidCombination(`The parameters ${at}.${given.join(` and ${at}.`)} are mutually exclusive.`);
  }
  const ts = d.Timestamp === undefined ? now : (d.Timestamp as number) * 1000;
  if (ts < now - OLDEST || ts > now + NEWEST) {
    throw invalidValue(
      `The parameter ${at}.Timestamp must specify a time no more than two weeks in the past and no more than two hours in the future.`,
    );
  }
  const resolution = (d.StorageResolution as number | undefined) ?? 60;
  if (resolution !== 1 && resolution !== 60) {
    throw invalidValue(
      `The value ${resolution} for parameter ${at}.StorageResolution is invalid: use 1 or 60.`,
    );
  }
  // Standard-resolution metrics are stored with one-minute granularity; high-resolution ones to the second.
  const time = resolution === 60 ? Math.floor(ts / MINUTE) * MINUTE : Math.floor(ts / 1000) * 1000;
  const unit = d.Unit as string | undefined;
  const point = (sampleCount: number, sum: number, min: number, max: number): Datapoint => ({
    at: time,
    sampleCount,
    sum,
    min,
    max,
    ...(unit !== undefined ? { unit } : {}),
  });
  const metric = { namespace, metricName: d.MetricName as string, dimensions };
  if (d.Value !== undefined) {
    const v = finite(d.Value, `${at}.Value`);
    return [metric, [point(1, v, v, v)]];
  }
  if (d.StatisticValues !== undefined) {
    const s = d.StatisticValues as Json;
    const [n, sum, min, max] = (["SampleCount", "Sum", "Minimum", "Maximum"] as const).map((k) =>
      finite(s[k], `${at}.StatisticValues.${k}`),
    ) as [number, number, number, number];
    if (n <= 0) throw invalidValue(`The parameter ${at}.StatisticValues.SampleCount must be greater than 0.`);
    if (min > max) {
      throw invalidValue(`The parameter ${at}.StatisticValues.Minimum must not be greater than Maximum.`);
    }
    return [metric, [point(n, sum, min, max)]];
  }
  if (d.Values !== undefined) {
    const values = (d.Values as unknown[]).map((v, i) => finite(v, `${at}.Values.member.${i + 1}`));
    const counts = (d.Counts as unknown[] | undefined)?.map((c, i) =>
      finite(c, `${at}.Counts.member.${i + 1}`),
    );
    if (values.length > MAX_VALUES) {
      throw invalidValue(`The collection ${at}.Values must not have a size greater than ${MAX_VALUES}.`);
    }
    if (counts && counts.length !== values.length) {
      throw invalidValue(
        `The parameters ${at}.Values and ${at}.Counts must have the same number of members.`,
      );
    }
    const negative = counts?.findIndex((c) => c < 0) ?? -1;
    if (negative >= 0) {
      throw invalidValue(
        `The value ${counts![negative]} for parameter ${at}.Counts.member.${negative + 1} is invalid: a count is >= 0.`,
      );
    }
    // A value that occurred 0 times is no datapoint: it must not move a period's Minimum or Maximum.
    const points = values.map((v, i) => point(counts?.[i] ?? 1, v * (counts?.[i] ?? 1), v, v));
    return [metric, points.filter((p) => p.sampleCount > 0)];
  }
  throw new ServiceError(
    "MissingRequiredParameterException",
    `One of the parameters ${at}.Value, ${at}.StatisticValues or ${at}.Values must be specified.`,
  );
}

function finite(v: unknown, at: string): number {
  if (typeof v !== "number" || !Number.isFinite(v) || Math.abs(v) > MAX_MAGNITUDE) {
    throw invalidValue(
      `The value ${String(v)} for parameter ${at} is invalid: a finite number within ±2^360.`,
    );
  }
  return v;
}

function dimensionsOf(dims: Dimension[] | undefined, at: string): MetricId["dimensions"] {
  const seen = new Set<string>();
  return (dims ?? []).map((d, i) => {
    if (seen.has(d.Name)) {
      throw invalidValue(
        `The value ${d.Name} for parameter ${at}.member.${i + 1}.Name is a duplicate dimension name.`,
      );
    }
    seen.add(d.Name);
    return { name: d.Name, value: d.Value };
  });
}

interface PlannedQuery {
  id: string;
  label: string;
  returnData: boolean;
  metric: MetricId;
  periodMs: number;
  stat: BasicStatistic;
  unit?: string;
}

export function getMetricData(store: MetricStore, input: Json, now: number): Json {
  const queries = input.MetricDataQueries as Json[];
  if (queries.length === 0 || queries.length > MAX_QUERIES) {
    throw invalidValue(`The collection MetricDataQueries must have between 1 and ${MAX_QUERIES} members.`);
  }
  const startTime = (input.StartTime as number) * 1000;
  const end = (input.EndTime as number) * 1000;
  if (!(startTime < end))
    throw invalidValue("The parameter StartTime must be less than the parameter EndTime.");
  const max = (input.MaxDatapoints as number | undefined) ?? DEFAULT_MAX_DATAPOINTS;
  if (max < 1) throw invalidValue("The parameter MaxDatapoints must be greater than 0.");
  const ids = new Set<string>();
  const planned = queries.map((q, i) => planQuery(q, `MetricDataQueries.member.${i + 1}`, ids));
  const ascending = input.ScanBy === "TimestampAscending";

  const results = planned
    .filter((q) => q.returnData)
    .map((q) => {
      const { timestamps, values } = store.query(q.metric, {
        start: roundStart(startTime, q.periodMs, now),
        end,
        periodMs: q.periodMs,
        stat: q.stat,
        ...(q.unit !== undefined ? { unit: q.unit } : {}),
      });
      if (!ascending) {
        timestamps.reverse();
        values.reverse();
      }
      return { q, timestamps, values };
    });

  // Pages cut the datapoints of all results, in query order, into MaxDatapoints each; the token says
  // where the next page starts and which request it belongs to.
  const digest = requestDigest(input);
  let offset = 0;
  if (input.NextToken !== undefined) offset = tokenOffset(input.NextToken as string, digest);
  const pageEnd = offset + max;
  let position = 0;
  const out = results.map(({ q, timestamps, values }) => {
    const from = Math.min(Math.max(offset - position, 0), values.length);
    const to = Math.min(Math.max(pageEnd - position, 0), values.length);
    position += values.length;
    return {
      Id: q.id,
      Label: q.label,
      Timestamps: timestamps.slice(from, to).map((t) => t / 1000),
      Values: values.slice(from, to),
      StatusCode: to < values.length ? "PartialData" : "Complete",
    };
  });
  return {
    MetricDataResults: out,
    Messages: [],
    ...(position > pageEnd ? { NextToken: tokenFor(pageEnd, digest) } : {}),
  };
}

function planQuery(q: Json, at: string, ids: Set<string>): PlannedQuery {
  const id = q.Id as string;
  if (!ID.test(id)) {
    throw invalidValue(
      `The value ${id} for parameter ${at}.Id is invalid: letters, numbers and underscore, starting with a lowercase letter.`,
    );
  }
  if (ids.has(id)) throw invalidValue(`The value ${id} for parameter ${at}.Id is not unique in the request.`);
  ids.add(id);
  if (q.MetricStat !== undefined && q.Expression !== undefined) {
    throw invalidCombination(`Specify either ${at}.MetricStat or ${at}.Expression, not both.`);
  }
  if (q.Expression !== undefined) throw notEmulated(`${at}.Expression (metric math and Metrics Insights)`);
  if (q.MetricStat === undefined) {
    throw new ServiceError(
      "MissingRequiredParameterException",
      `One of ${at}.MetricStat or ${at}.Expression must be specified.`,
    );
  }
  const stat = q.MetricStat as Json;
  const metric = stat.Metric as Json;
  if (!metric.Namespace || !metric.MetricName) {
    throw new ServiceError(
      "MissingRequiredParameterException",
      `${at}.MetricStat.Metric must name a Namespace and a MetricName.`,
    );
  }
  const period = stat.Period as number;
  // "For high-resolution metrics … the period can be 1, 5, 10, 20, 30, 60, or any multiple of 60."
  if (![1, 5, 10, 20, 30].includes(period) && period % 60 !== 0) {
    throw invalidValue(
      `The value ${period} for parameter ${at}.MetricStat.Period is invalid: use 1, 5, 10, 20, 30 or a multiple of 60.`,
    );
  }
  const name = stat.Stat as string;
  if (!(BASIC_STATISTICS as readonly string[]).includes(name)) {
    if (EXTENDED.test(name)) throw notEmulated(`The statistic ${name} in ${at}.MetricStat.Stat`);
    throw invalidValue(
      `The value ${name} for parameter ${at}.MetricStat.Stat is invalid: use ${BASIC_STATISTICS.join(", ")} or an extended statistic such as p99.`,
    );
  }
  return {
    id,
    label: (q.Label as string | undefined) ?? (metric.MetricName as string),
    returnData: q.ReturnData !== false,
    metric: {
      namespace: metric.Namespace as string,
      metricName: metric.MetricName as string,
      dimensions: dimensionsOf(
        metric.Dimensions as Dimension[] | undefined,
        `${at}.MetricStat.Metric.Dimensions`,
      ),
    },
    periodMs: period * 1000,
    stat: name as BasicStatistic,
    ...(stat.Unit !== undefined ? { unit: stat.Unit as string } : {}),
  };
}

/** ListMetrics returns at most this many metrics a page ("Up to 500 results are returned for any one call"). */
const LIST_PAGE = 500;

/**
 * ListMetrics: the metrics with data, filtered by namespace, name and dimension filters (a filter without
 * a value matches any value of that dimension); `RecentlyActive: PT3H` keeps those with data in the last
 * three hours (all the emulator keeps anyway). Pages of 500 with an offset token bound to the request.
 */
export function listMetrics(store: MetricStore, input: Json, now: number): Json {
  const filters = (input.Dimensions as { Name: string; Value?: string }[] | undefined) ?? [];
  const since = input.RecentlyActive === "PT3H" ? now - 3 * 3_600_000 : undefined;
  const matching = store
    .metricsSince(since)
    .filter(
      (m) =>
        (input.Namespace === undefined || m.namespace === input.Namespace) &&
        (input.MetricName === undefined || m.metricName === input.MetricName) &&
        filters.every((f) =>
          m.dimensions.some((d) => d.name === f.Name && (f.Value === undefined || d.value === f.Value)),
        ),
    );
  const digest = requestDigest(input);
  const offset = input.NextToken === undefined ? 0 : tokenOffset(input.NextToken as string, digest);
  const page = matching.slice(offset, offset + LIST_PAGE);
  return {
    Metrics: page.map((m) => ({
      Namespace: m.namespace,
      MetricName: m.metricName,
      Dimensions: m.dimensions.map((d) => ({ Name: d.name, Value: d.value })),
    })),
    ...(offset + LIST_PAGE < matching.length ? { NextToken: tokenFor(offset + LIST_PAGE, digest) } : {}),
  };
}

/**
 * StartTime as CloudWatch rounds it: periods of 5, 10, 20 or 30 seconds to an even division of the
 * minute; otherwise to the minute (less than 15 days ago), 5 minutes (up to 63 days) or the hour.
 */
export function roundStart(start: number, periodMs: number, now: number): number {
  const down = (unit: number) => Math.floor(start / unit) * unit;
  if (periodMs < MINUTE) return down(periodMs);
  const age = now - start;
  if (age < 15 * DAY) return down(MINUTE);
  if (age <= 63 * DAY) return down(5 * MINUTE);
  return down(60 * MINUTE);
}

/** Identifies a request without its NextToken, so a token is only honoured by the request it came from. */
function requestDigest(input: Json): string {
  const { NextToken: _, ...rest } = input;
  return createHash("sha256").update(JSON.stringify(rest)).digest("hex").slice(0, 16);
}

function tokenFor(offset: number, digest: string): string {
  return Buffer.from(`${offset}:${digest}`).toString("base64url");
}

function tokenOffset(token: string, digest: string): number {
  const [n, d] = Buffer.from(token, "base64url").toString("utf8").split(":");
  const offset = Number(n);
  if (d !== digest || !Number.isInteger(offset) || offset < 0) {
    throw new ServiceError(
      "InvalidNextToken",
      "The service couldn't process the NextToken: it belongs to another request.",
    );
  }
  return offset;
}

/**
 * The emulator's own Managed Flink publishing into its own CloudWatch: the same PutMetricData path as the
 * API, without HTTP. (Managed Flink is AWS publishing into its own AWS/ namespace.)
 */
export class StoreMetricSink {
  constructor(
    private readonly store: MetricStore,
    readonly now: () => number,
  ) {}

  async put(namespace: string, data: { Timestamp?: Date }[]): Promise<void> {
    const wire = data.map(({ Timestamp, ...d }) => ({
      ...d,
      ...(Timestamp ? { Timestamp: Timestamp.getTime() / 1000 } : {}),
    }));
    putMetricData(this.store, { Namespace: namespace, MetricData: wire }, this.now());
  }

  close(): void {}
}
