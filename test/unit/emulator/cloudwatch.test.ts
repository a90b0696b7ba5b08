import { describe, expect, it } from "vitest";
import { roundStart } from "../../../src/emulator/cloudwatch/api.js";
import { MetricStore } from "../../../src/emulator/cloudwatch/metric-store.js";

const MIN = 60_000;
const DAY = 86_400_000;
const metric = { namespace: "N", metricName: "m", dimensions: [{ name: "Application", value: "a" }] };
const point = (at: number, v: number) => ({ at, sampleCount: 1, sum: v, min: v, max: v });

describe("MetricStore", () => {
  it("keeps datapoints in time order whatever order they arrive in", () => {
    const s = new MetricStore({ now: () => 10 * MIN });
    for (const [t, v] of [
      [3, 3],
      [1, 1],
      [2, 2],
      [1, 10],
    ] as const)
      s.put(metric, point(t * MIN, v));
    const q = s.query(metric, { start: 0, end: 10 * MIN, periodMs: MIN, stat: "Sum" });
    expect(q).toEqual({ timestamps: [MIN, 2 * MIN, 3 * MIN], values: [11, 2, 3] });
  });

  it("drops datapoints older than its retention, and never answers with them", () => {
    let now = 0;
    const s = new MetricStore({ now: () => now, retentionMs: 10 * MIN });
    for (let t = 0; t < 5_000; t++) {
      now = t * MIN;
      s.put(metric, point(now, t));
    }
    expect(s.size).toBeLessThanOrEqual(11);
    const q = s.query(metric, { start: 0, end: now + 1, periodMs: MIN, stat: "Maximum" });
    expect(q.values[0]).toBe(4_989);
    expect(q.values).toHaveLength(11);
  });

  it("answers an unknown metric with no datapoints", () => {
    const s = new MetricStore();
    expect(s.query(metric, { start: 0, end: 1, periodMs: MIN, stat: "Maximum" })).toEqual({
      timestamps: [],
      values: [],
    });
  });
});

describe("roundStart (GetMetricData's StartTime rounding)", () => {
  const now = Date.UTC(2026, 10, 30, 12, 0, 0);
  it("rounds to an even division of the minute for periods under a minute", () => {
    expect(roundStart(Date.UTC(2026, 10, 30, 1, 5, 23), 10_000, now)).toBe(Date.UTC(2026, 10, 30, 1, 5, 20));
    expect(roundStart(Date.UTC(2026, 10, 30, 15, 2, 17), 5_000, now)).toBe(Date.UTC(2026, 10, 30, 15, 2, 15));
  });
  it("rounds to the minute, 5 minutes or the hour by the start's age", () => {
    const t = (daysAgo: number) => now - daysAgo * DAY + 12 * MIN + 34_000;
    expect(roundStart(t(1), 60_000, now)).toBe(now - DAY + 12 * MIN);
    expect(roundStart(t(20), 300_000, now)).toBe(now - 20 * DAY + 10 * MIN);
    expect(roundStart(t(70), 3_600_000, now)).toBe(now - 70 * DAY);
  });
});
