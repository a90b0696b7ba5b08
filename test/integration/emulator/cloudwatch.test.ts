import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  ListMetricsCommand,
  type MetricDatum,
  PutMetricDataCommand,
} from "@aws-sdk/client-cloudwatch";
import { KinesisAnalyticsV2Client } from "@aws-sdk/client-kinesis-analytics-v2";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { FakeClock } from "../../../src/emulator/fake-clock.js";
import { type RunningEmulator, startEmulator } from "../../../src/emulator/server.js";
import { metricValues } from "../../helpers/cloudwatch.js";
import { runningApplication } from "./helpers.js";

// The emulator's own CloudWatch (ADR 21) through the unmodified AWS SDK over HTTP: what the API reference
// documents for PutMetricData and GetMetricData, and the emulated Managed Flink's metrics read back as the
// operator reads them. The emulator runs on a fake clock, so every period boundary below is exact.
const credentials = { accessKeyId: "test", secretAccessKey: "test" };
const { s3Endpoint, region } = inject("localStack");
const BUCKET = "cloudwatch-test-code";
const clock = new FakeClock();
const T0 = Math.floor(clock.now() / 3_600_000) * 3_600_000 - 3_600_000; // an hour before "now", on the hour
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const epoch = (d: Date) => d.getTime();

let emulator: RunningEmulator;
let cw: CloudWatchClient;

const dims = (app: string) => [{ Name: "Application", Value: app }];
const put = (namespace: string, data: MetricDatum[]) =>
  cw.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: data }));
const get = (input: Partial<GetMetricDataCommandInput>) =>
  cw.send(
    new GetMetricDataCommand({ StartTime: at(0), EndTime: at(3_600), ...input } as GetMetricDataCommandInput),
  );
const stat = (metric: string, app: string, s: string, period = 60, extra: object = {}) => ({
  Metric: { Namespace: "Test/Jobs", MetricName: metric, Dimensions: dims(app) },
  Period: period,
  Stat: s,
  ...extra,
});

/** The error the SDK throws, with the query-protocol Code it reads from x-amzn-query-error. */
async function failure(
  p: Promise<unknown>,
): Promise<{ name: string; code?: string; message: string; status?: number }> {
  const err = (await p.then(
    () => undefined,
    (e: unknown) => e,
  )) as { name: string; Code?: string; message: string; $metadata?: { httpStatusCode?: number } } | undefined;
  if (!err) throw new Error("the call succeeded");
  return { name: err.name, code: err.Code, message: err.message, status: err.$metadata?.httpStatusCode };
}

beforeAll(async () => {
  emulator = await startEmulator({
    s3Endpoint,
    region,
    clock,
    timings: { startingMs: 100 },
    metricsIntervalMs: 3_600_000,
  });
  cw = new CloudWatchClient({ endpoint: emulator.endpoint, region, credentials });
  await put("Test/Jobs", [
    // Standard resolution: kept to the minute, so 00:10 and 00:40 share the minute 00:00.
    { MetricName: "fullRestarts", Dimensions: dims("a"), Timestamp: at(10), Value: 1, Unit: "Count" },
    { MetricName: "fullRestarts", Dimensions: dims("a"), Timestamp: at(40), Value: 3, Unit: "Count" },
    { MetricName: "fullRestarts", Dimensions: dims("a"), Timestamp: at(80), Value: 4, Unit: "Count" },
    { MetricName: "fullRestarts", Dimensions: dims("a"), Timestamp: at(200), Value: 9, Unit: "Count" },
    // Another application: a different metric, though the name is the same.
    { MetricName: "fullRestarts", Dimensions: dims("b"), Timestamp: at(10), Value: 100, Unit: "Count" },
    // High resolution: kept to the second.
    { MetricName: "uptime", Dimensions: dims("a"), Timestamp: at(3), Value: 5, StorageResolution: 1 },
    { MetricName: "uptime", Dimensions: dims("a"), Timestamp: at(13), Value: 7, StorageResolution: 1 },
    { MetricName: "uptime", Dimensions: dims("a"), Timestamp: at(27), Value: 8, StorageResolution: 1 },
  ]);
});

afterAll(async () => {
  cw?.destroy();
  await emulator?.close();
});

describe("the emulator's CloudWatch: GetMetricData", () => {
  it("aggregates each statistic per period, periods stamped with their start, empty periods left out", async () => {
    const queries = ["Maximum", "Minimum", "Sum", "Average", "SampleCount"].map((s, i) => ({
      Id: `q${i}`,
      MetricStat: stat("fullRestarts", "a", s),
    }));
    const r = await get({ MetricDataQueries: queries, ScanBy: "TimestampAscending" });
    const byId = Object.fromEntries((r.MetricDataResults ?? []).map((m) => [m.Id, m]));
    expect(byId.q0!.Timestamps!.map(epoch)).toEqual([at(0), at(60), at(180)].map(epoch));
    expect(byId.q0!.Values).toEqual([3, 4, 9]);
    expect(byId.q1!.Values).toEqual([1, 4, 9]);
    expect(byId.q2!.Values).toEqual([4, 4, 9]);
    expect(byId.q3!.Values).toEqual([2, 4, 9]);
    expect(byId.q4!.Values).toEqual([2, 1, 1]);
    expect(byId.q0).toMatchObject({ Label: "fullRestarts", StatusCode: "Complete" });
    expect(r.Messages).toEqual([]);
  });

  it("returns the newest first unless TimestampAscending, and only [StartTime, EndTime)", async () => {
    const r = await get({
      MetricDataQueries: [{ Id: "m", MetricStat: stat("fullRestarts", "a", "Maximum") }],
      StartTime: at(60),
      // The datapoint at 03:20 is kept as 03:00 (standard resolution): an EndTime of 03:00 excludes it.
      EndTime: at(180),
    });
    expect(r.MetricDataResults![0]!.Timestamps!.map(epoch)).toEqual([epoch(at(60))]);
    const all = await get({
      MetricDataQueries: [{ Id: "m", MetricStat: stat("fullRestarts", "a", "Maximum") }],
    });
    expect(all.MetricDataResults![0]!.Values).toEqual([9, 4, 3]);
  });

  it("rounds StartTime down: to the minute, or to an even division of it for periods under a minute", async () => {
    // 01:30 rounds to 01:00 at a 60 s period, so the minute 01:00 (value 4) is in the answer.
    const minute = await get({
      MetricDataQueries: [{ Id: "m", MetricStat: stat("fullRestarts", "a", "Maximum") }],
      StartTime: at(90),
      ScanBy: "TimestampAscending",
    });
    expect(minute.MetricDataResults![0]!.Values).toEqual([4, 9]);
    // 00:23 rounds to 00:20 at a 10 s period: the datapoint at 00:27 is in the period 00:20.
    const tens = await get({
      MetricDataQueries: [{ Id: "m", MetricStat: { ...stat("uptime", "a", "Maximum", 10) } }],
      StartTime: at(23),
      ScanBy: "TimestampAscending",
    });
    expect(tens.MetricDataResults![0]!.Timestamps!.map(epoch)).toEqual([epoch(at(20))]);
    const all = await get({
      MetricDataQueries: [{ Id: "m", MetricStat: stat("uptime", "a", "Maximum", 10) }],
      ScanBy: "TimestampAscending",
    });
    expect(all.MetricDataResults![0]!.Values).toEqual([5, 7, 8]);
  });

  it("keys a metric by its exact dimensions (in any order) and filters by unit", async () => {
    await put("Test/Jobs", [
      {
        MetricName: "KPUs",
        Dimensions: [
          { Name: "Application", Value: "a" },
          { Name: "Flow", Value: "x" },
        ],
        Timestamp: at(0),
        Value: 2,
        Unit: "Count",
      },
    ]);
    const q = (dimensions: { Name: string; Value: string }[], unit?: string) =>
      get({
        MetricDataQueries: [
          {
            Id: "m",
            MetricStat: {
              Metric: { Namespace: "Test/Jobs", MetricName: "KPUs", Dimensions: dimensions },
              Period: 60,
              Stat: "Maximum",
              ...(unit ? { Unit: unit } : {}),
            },
          } as never,
        ],
      }).then((r) => r.MetricDataResults![0]!.Values);
    const both = [
      { Name: "Flow", Value: "x" },
      { Name: "Application", Value: "a" },
    ];
    expect(await q(both)).toEqual([2]);
    expect(await q(dims("a"))).toEqual([]);
    expect(await q(both, "Count")).toEqual([2]);
    expect(await q(both, "Seconds")).toEqual([]);
    const b = await get({
      MetricDataQueries: [{ Id: "m", MetricStat: stat("fullRestarts", "b", "Maximum") }],
    });
    expect(b.MetricDataResults![0]!.Values).toEqual([100]);
  });

  it("pages by MaxDatapoints across queries; a token is honoured only by its own request", async () => {
    const input = {
      MetricDataQueries: [
        { Id: "r", MetricStat: stat("fullRestarts", "a", "Maximum") },
        { Id: "u", MetricStat: stat("uptime", "a", "Maximum", 10) },
      ],
      ScanBy: "TimestampAscending" as const,
      MaxDatapoints: 2,
    };
    const values: Record<string, number[]> = { r: [], u: [] };
    const statuses: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await get({ ...input, ...(token ? { NextToken: token } : {}) });
      for (const m of page.MetricDataResults ?? []) values[m.Id!]!.push(...(m.Values ?? []));
      statuses.push(page.MetricDataResults!.map((m) => m.StatusCode).join(","));
      token = page.NextToken;
      pages++;
    } while (token && pages < 10);
    expect(values).toEqual({ r: [3, 4, 9], u: [5, 7, 8] });
    expect(pages).toBe(3);
    expect(statuses[0]).toBe("PartialData,PartialData");
    expect(statuses[2]).toBe("Complete,Complete");

    const first = await get(input);
    const e = await failure(get({ ...input, MaxDatapoints: 3, NextToken: first.NextToken }));
    expect(e).toMatchObject({ name: "InvalidNextToken", code: "InvalidNextToken", status: 400 });
  });

  it("refuses what it does not compute by name, and bad queries naming the field", async () => {
    const math = await failure(get({ MetricDataQueries: [{ Id: "e", Expression: "SUM(METRICS())" }] }));
    expect(math).toMatchObject({
      name: "InvalidParameterValueException",
      code: "InvalidParameterValue",
      status: 400,
    });
    expect(math.message).toContain(
      "MetricDataQueries.member.1.Expression (metric math and Metrics Insights) is not emulated",
    );
    const p99 = await failure(
      get({ MetricDataQueries: [{ Id: "m", MetricStat: stat("uptime", "a", "p99") }] }),
    );
    expect(p99.message).toContain(
      "The statistic p99 in MetricDataQueries.member.1.MetricStat.Stat is not emulated",
    );
    const bogus = await failure(
      get({ MetricDataQueries: [{ Id: "m", MetricStat: stat("uptime", "a", "Median") }] }),
    );
    expect(bogus.message).toContain("MetricDataQueries.member.1.MetricStat.Stat is invalid");
    const period = await failure(
      get({ MetricDataQueries: [{ Id: "m", MetricStat: stat("uptime", "a", "Sum", 7) }] }),
    );
    expect(period.message).toContain(
      "The value 7 for parameter MetricDataQueries.member.1.MetricStat.Period is invalid",
    );
    const id = await failure(
      get({ MetricDataQueries: [{ Id: "Upper", MetricStat: stat("uptime", "a", "Sum") }] }),
    );
    expect(id.message).toContain("MetricDataQueries.member.1.Id is invalid");
    const twice = await failure(
      get({
        MetricDataQueries: [
          { Id: "m", MetricStat: stat("uptime", "a", "Sum") },
          { Id: "m", MetricStat: stat("uptime", "a", "Maximum") },
        ],
      }),
    );
    expect(twice.message).toContain("MetricDataQueries.member.2.Id is not unique");
    const order = await failure(
      get({
        MetricDataQueries: [{ Id: "m", MetricStat: stat("uptime", "a", "Sum") }],
        StartTime: at(60),
        EndTime: at(60),
      }),
    );
    expect(order.message).toBe("The parameter StartTime must be less than the parameter EndTime.");
    const tooMany = await failure(
      get({
        MetricDataQueries: Array.from({ length: 501 }, (_, i) => ({
          Id: `m${i}`,
          MetricStat: stat("uptime", "a", "Sum"),
        })),
      }),
    );
    expect(tooMany.message).toContain("between 1 and 500 members");
  });
});

describe("the emulator's CloudWatch: PutMetricData", () => {
  it("takes statistic sets and value/count arrays, and a request the SDK gzips", async () => {
    await put("Test/Sets", [
      {
        MetricName: "latency",
        Timestamp: at(0),
        StatisticValues: { SampleCount: 4, Sum: 40, Minimum: 1, Maximum: 20 },
      },
      { MetricName: "latency", Timestamp: at(30), Values: [2, 30, 1000], Counts: [3, 1, 0] },
    ]);
    const q = (s: string) => ({
      Id: s.toLowerCase(),
      MetricStat: { Metric: { Namespace: "Test/Sets", MetricName: "latency" }, Period: 60, Stat: s },
    });
    const r = await get({
      MetricDataQueries: ["SampleCount", "Sum", "Minimum", "Maximum", "Average"].map(q),
    });
    expect(r.MetricDataResults!.map((m) => m.Values![0])).toEqual([8, 76, 1, 30, 9.5]);

    // 1,000 data make a body over the SDK's 10 KiB compression threshold.
    const many = Array.from({ length: 1000 }, (_, i) => ({
      MetricName: "bulk",
      Dimensions: [{ Name: "Shard", Value: `shard-${i}` }],
      Timestamp: at(0),
      Value: i,
    }));
    await put("Test/Bulk", many);
    const last = await get({
      MetricDataQueries: [
        {
          Id: "m",
          MetricStat: {
            Metric: {
              Namespace: "Test/Bulk",
              MetricName: "bulk",
              Dimensions: [{ Name: "Shard", Value: "shard-999" }],
            },
            Period: 60,
            Stat: "Maximum",
          },
        },
      ],
    });
    expect(last.MetricDataResults![0]!.Values).toEqual([999]);
  });

  it("refuses bad data naming the field, and stores nothing of a refused request", async () => {
    const both = await failure(
      put("Test/Bad", [
        { MetricName: "ok", Timestamp: at(0), Value: 1 },
        {
          MetricName: "x",
          Timestamp: at(0),
          Value: 1,
          StatisticValues: { SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1 },
        },
      ]),
    );
    expect(both).toMatchObject({
      name: "InvalidParameterCombinationException",
      code: "InvalidParameterCombination",
    });
    expect(both.message).toContain(
      "MetricData.member.2.Value and MetricData.member.2.StatisticValues are mutually exclusive",
    );
    const stored = await get({
      MetricDataQueries: [
        {
          Id: "m",
          MetricStat: { Metric: { Namespace: "Test/Bad", MetricName: "ok" }, Period: 60, Stat: "Sum" },
        },
      ],
    });
    expect(stored.MetricDataResults![0]!.Values).toEqual([]);

    const old = await failure(
      put("Test/Bad", [{ MetricName: "x", Timestamp: new Date(clock.now() - 15 * 86_400_000), Value: 1 }]),
    );
    expect(old.message).toContain(
      "MetricData.member.1.Timestamp must specify a time no more than two weeks in the past",
    );
    const resolution = await failure(put("Test/Bad", [{ MetricName: "x", Value: 1, StorageResolution: 30 }]));
    expect(resolution.message).toContain("MetricData.member.1.StorageResolution is invalid: use 1 or 60");
    const negative = await failure(put("Test/Bad", [{ MetricName: "x", Values: [1, 2], Counts: [1, -1] }]));
    expect(negative.message).toContain("MetricData.member.1.Counts.member.2 is invalid");
    const none = await failure(put("Test/Bad", [{ MetricName: "x" }]));
    expect(none).toMatchObject({ name: "MissingRequiredParameterException", code: "MissingParameter" });
    // The model's own constraints (here: at most 30 dimensions) come back as ValidationError.
    const wide = await failure(
      put("Test/Bad", [
        {
          MetricName: "x",
          Value: 1,
          Dimensions: Array.from({ length: 31 }, (_, i) => ({ Name: `d${i}`, Value: "v" })),
        },
      ]),
    );
    expect(wide).toMatchObject({ name: "ValidationException", code: "ValidationError" });
    expect(wide.message).toContain("at 'metricData.1.member.dimensions' failed to satisfy constraint");
  });
});

describe("the emulator's CloudWatch: ListMetrics", () => {
  it("lists the metrics with data, filtered by namespace, name and dimensions", async () => {
    const list = async (input: object) =>
      ((await cw.send(new ListMetricsCommand(input))).Metrics ?? []).map(
        (m) => `${m.MetricName}{${(m.Dimensions ?? []).map((d) => `${d.Name}=${d.Value}`).join(",")}}`,
      );
    expect(await list({ Namespace: "Test/Jobs", MetricName: "fullRestarts" })).toEqual([
      "fullRestarts{Application=a}",
      "fullRestarts{Application=b}",
    ]);
    expect(await list({ Namespace: "Test/Jobs", Dimensions: [{ Name: "Application", Value: "b" }] })).toEqual(
      ["fullRestarts{Application=b}"],
    );
    // A filter without a value matches any value of that dimension.
    expect(await list({ Namespace: "Test/Jobs", Dimensions: [{ Name: "Flow" }] })).toEqual([
      "KPUs{Application=a,Flow=x}",
    ]);
    expect(await list({ Namespace: "Test/None" })).toEqual([]);
    const bulk = await cw.send(new ListMetricsCommand({ Namespace: "Test/Bulk" }));
    expect(bulk.Metrics).toHaveLength(500);
    const rest = await cw.send(new ListMetricsCommand({ Namespace: "Test/Bulk", NextToken: bulk.NextToken }));
    expect(rest.Metrics).toHaveLength(500);
    expect(rest.NextToken).toBeUndefined();
  });
});

describe("the emulated Managed Flink publishes into the emulator's CloudWatch", () => {
  it("a RUNNING application's metrics are read back as the operator reads them", async () => {
    const flink = new KinesisAnalyticsV2Client({ endpoint: emulator.endpoint, region, credentials });
    try {
      await runningApplication({ clock, flink, s3Endpoint, region }, "published", BUCKET);
      const from = new Date(clock.now() - 60_000);
      await emulator.publishMetrics();
      // Managed Flink's metrics are standard resolution (the emulator publishes once an hour here).
      expect(await metricValues(cw, "published", "KPUs", { from, periodSeconds: 60 })).toEqual([1]);
      expect(await metricValues(cw, "published", "fullRestarts", { from, periodSeconds: 60 })).toEqual([0]);
      const calls = (await (await fetch(`${emulator.endpoint}/_emulator/calls`)).json()) as {
        operation: string;
        input: unknown;
      }[];
      expect(calls.filter((c) => c.operation === "cloudwatch:GetMetricData").at(-1)?.input).toEqual({
        queries: 1,
      });
    } finally {
      flink.destroy();
    }
  });
});
