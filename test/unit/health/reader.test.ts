import type { GetMetricDataCommandInput, GetMetricDataCommandOutput } from "@aws-sdk/client-cloudwatch";
import { describe, expect, it } from "vitest";
import { builtInThresholds } from "../../../src/health/judge.js";
import {
  batches,
  gapBetweenCalls,
  JobMetricsReader,
  type MetricDataPort,
  QUERIES_PER_APPLICATION,
  queriesFor,
} from "../../../src/health/reader.js";
import type { HealthTarget } from "../../../src/health/types.js";

const target = (i: number, region = "eu-west-1", assumeRoleARN?: string): HealthTarget => ({
  key: `ns/app-${i}`,
  applicationName: `app-${i}`,
  region,
  assumeRoleARN,
  thresholds: builtInThresholds,
});

/** A CloudWatch that answers every query with one datapoint per call, valued by the query's position. */
class FakeCloudWatch implements MetricDataPort {
  calls: { region: string; role?: string; input: GetMetricDataCommandInput }[] = [];
  fail?: Error;
  constructor(
    private readonly region: string,
    private readonly role?: string,
    log: FakeCloudWatch["calls"] = [],
  ) {
    this.calls = log;
  }
  async getMetricData(input: GetMetricDataCommandInput): Promise<GetMetricDataCommandOutput> {
    this.calls.push({ region: this.region, role: this.role, input });
    if (this.fail) throw this.fail;
    const at = new Date(input.EndTime!.getTime() - 60_000);
    return {
      $metadata: {},
      MetricDataResults: input.MetricDataQueries!.map((q) => ({
        Id: q.Id,
        Timestamps: [at],
        Values: [
          q.MetricStat!.Stat === "Minimum" ? 1 : q.MetricStat!.Metric!.MetricName === "fullRestarts" ? 4 : 7,
        ],
        StatusCode: "Complete",
      })),
    };
  }
}

describe("GetMetricData batching", () => {
  it("asks 13 queries per application with ids CloudWatch accepts", () => {
    const q = queriesFor("app", 37, 60);
    expect(q).toHaveLength(QUERIES_PER_APPLICATION);
    expect(QUERIES_PER_APPLICATION).toBeLessThanOrEqual(13);
    for (const x of q) expect(x.Id).toMatch(/^[a-z][a-zA-Z0-9_]*$/);
    expect(new Set(q.map((x) => x.Id)).size).toBe(q.length);
    expect(q[0]!.MetricStat!.Metric).toEqual({
      Namespace: "AWS/KinesisAnalytics",
      MetricName: "uptime",
      Dimensions: [{ Name: "Application", Value: "app" }],
    });
  });

  it("never puts more than 500 queries in a call, and groups by region and assumed role", () => {
    const targets = [
      ...Array.from({ length: 100 }, (_, i) => target(i)),
      ...Array.from({ length: 3 }, (_, i) => target(100 + i, "us-east-1")),
      ...Array.from({ length: 2 }, (_, i) => target(200 + i, "eu-west-1", "arn:aws:iam::1:role/t")),
    ];
    const calls = batches(targets);
    for (const c of calls) {
      expect(c.length * QUERIES_PER_APPLICATION).toBeLessThanOrEqual(500);
      expect(new Set(c.map((t) => `${t.region}|${t.assumeRoleARN}`)).size).toBe(1);
    }
    expect(calls.map((c) => c.length)).toEqual([38, 38, 24, 3, 2]);
    expect(calls.flat()).toHaveLength(targets.length);
  });

  it("reads every application through the port of its region and role, and files results by id", async () => {
    const log: FakeCloudWatch["calls"] = [];
    const reader = new JobMetricsReader({
      cloudWatch: (region, role) => new FakeCloudWatch(region, role, log),
      periodSeconds: 60,
    });
    const targets = [...Array.from({ length: 40 }, (_, i) => target(i)), target(99, "us-east-1")];
    const now = new Date("2026-11-30T12:00:30Z");
    const out = await reader.read(targets, now);
    expect(log.map((c) => [c.region, c.input.MetricDataQueries!.length])).toEqual([
      ["eu-west-1", 38 * 13],
      ["eu-west-1", 2 * 13],
      ["us-east-1", 13],
    ]);
    // The window is aligned down to the period.
    expect(log[0]!.input.StartTime!.toISOString()).toBe("2026-11-30T11:50:00.000Z");
    const first = out.get("ns/app-39");
    expect(first && "samples" in first && first.samples.fullRestarts).toEqual([
      { at: now.getTime() - 60_000, value: 4, min: 1 },
    ]);
    expect(first && "samples" in first && first.samples.uptime).toEqual([
      { at: now.getTime() - 60_000, value: 7 },
    ]);
  });

  it("turns AccessDenied into an answer naming the missing permission, for every application of the call", async () => {
    const denied = Object.assign(new Error("no"), {
      name: "AccessDenied",
      $metadata: { httpStatusCode: 403 },
    });
    const reader = new JobMetricsReader({
      cloudWatch: (region, role) => Object.assign(new FakeCloudWatch(region, role), { fail: denied }),
      periodSeconds: 60,
    });
    const out = await reader.read(
      [target(1, "eu-west-1", "arn:aws:iam::1:role/t"), target(2, "eu-west-1", "arn:aws:iam::1:role/t")],
      new Date(),
    );
    expect(out.get("ns/app-2")).toEqual({
      error: "denied",
      errorType: "AccessDenied",
      message:
        'the role arn:aws:iam::1:role/t may not call cloudwatch:GetMetricData in eu-west-1 (AccessDenied); grant it on Resource "*" (docs/iam-policy.json)',
    });
  });

  it("follows NextToken and counts each call with its queries", async () => {
    const seen: number[] = [];
    let pages = 0;
    const port: MetricDataPort = {
      async getMetricData(input) {
        pages++;
        const id = input.MetricDataQueries![0]!.Id;
        return input.NextToken
          ? { $metadata: {}, MetricDataResults: [{ Id: id, Timestamps: [new Date(2_000)], Values: [2] }] }
          : {
              $metadata: {},
              NextToken: "more",
              MetricDataResults: [{ Id: id, Timestamps: [new Date(1_000)], Values: [1] }],
            };
      },
    };
    const reader = new JobMetricsReader({
      cloudWatch: () => port,
      periodSeconds: 1,
      onCall: (q) => seen.push(q),
    });
    const out = await reader.read([target(0)], new Date(10_000));
    expect(pages).toBe(2);
    expect(seen).toEqual([13, 13]);
    const o = out.get("ns/app-0");
    expect(o && "samples" in o && o.samples.uptime?.map((b) => b.value)).toEqual([1, 2]);
  });

  it("refuses a period that is not a positive integer", () => {
    expect(
      () => new JobMetricsReader({ cloudWatch: () => new FakeCloudWatch("r"), periodSeconds: 0 }),
    ).toThrow(/HEALTH_METRICS_PERIOD_SECONDS/);
  });
});

describe("pacing", () => {
  it("spreads a read's calls over the spread, never closer than the minimum gap", () => {
    expect(gapBetweenCalls(27, { spreadMs: 7_500, minGapMs: 200 })).toBeCloseTo(277.8, 1);
    expect(gapBetweenCalls(270, { spreadMs: 7_500, minGapMs: 200 })).toBe(200);
    expect(gapBetweenCalls(1, { spreadMs: 7_500, minGapMs: 200 })).toBe(0);
    expect(gapBetweenCalls(27)).toBe(0);
  });

  it("waits the gap between calls, not before the first, and stops between calls once aborted", async () => {
    const port = new FakeCloudWatch("eu-west-1");
    const waits: number[] = [];
    const stop = new AbortController();
    const reader = new JobMetricsReader({
      cloudWatch: () => port,
      periodSeconds: 60,
      pacing: { spreadMs: 3_000, minGapMs: 0 },
      // Records the wait and lets time "pass" at once; the third wait finds the read aborted.
      sleep: async (ms) => {
        waits.push(ms);
        if (waits.length === 2) stop.abort();
      },
    });
    const targets = Array.from({ length: 38 * 4 }, (_, i) => target(i));
    const read = await reader.read(targets, new Date(), stop.signal);
    expect(waits).toHaveLength(2);
    for (const w of waits) {
      expect(w).toBeGreaterThan(700);
      expect(w).toBeLessThanOrEqual(750);
    }
    // Two calls made (the first at once, the second after a gap); the third was aborted in its wait.
    expect(port.calls).toHaveLength(2);
    expect(read.size).toBe(76);
  });
});
