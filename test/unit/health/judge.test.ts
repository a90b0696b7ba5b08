import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  builtInThresholds,
  countIncreases,
  judgeJob,
  thresholdsFrom,
  thresholdsFromEnv,
} from "../../../src/health/judge.js";
import { type Bucket, JOB_METRICS, type JobSamples } from "../../../src/health/types.js";

const now = new Date("2026-11-30T12:00:00Z");
const t = builtInThresholds;
/** One datapoint per minute, `ago` minutes before now. */
const series = (...values: [agoMinutes: number, value: number, min?: number][]): Bucket[] =>
  values.map(([ago, value, min]) => ({
    at: now.getTime() - ago * 60_000,
    value,
    ...(min !== undefined ? { min } : {}),
  }));

const healthy: JobSamples = {
  uptime: series([3, 180_000], [2, 240_000], [1, 300_000]),
  downtime: series([3, 0], [2, 0], [1, 0]),
  fullRestarts: series([3, 0, 0], [2, 0, 0], [1, 0, 0]),
  numberOfFailedCheckpoints: series([3, 0, 0], [2, 0, 0], [1, 0, 0]),
  lastCheckpointDuration: series([2, 120]),
  millisBehindLatest: series([1, 1_000]),
};

describe("judgeJob", () => {
  it("calls a job Healthy with data and no evidence against it, with the newest figures", () => {
    const h = judgeJob(healthy, t, now);
    expect(h.verdict).toBe("Healthy");
    expect(h.message).toBe("0 full restarts and 0 failed checkpoints in the last 600 s");
    expect(h.figures.uptime).toEqual({ value: 300_000, timestamp: "2026-11-30T11:59:00.000Z" });
    expect(h.checkpointCompleted).toBe(true);
    expect(h.dataSince).toBe("2026-11-30T11:57:00.000Z");
    expect(h.checkedAt).toBe(now.toISOString());
  });

  it("says NoData without uptime or fullRestarts in the window, even with other figures", () => {
    const h = judgeJob({ millisBehindLatest: series([1, 0]), uptime: series([11, 5]) }, t, now);
    expect(h.verdict).toBe("NoData");
    expect(h.message).toContain("no uptime or fullRestarts datapoint");
    expect(h.figures.uptime).toBeUndefined();
  });

  it("counts full restarts as increases of the counter and calls the job Restarting above the max", () => {
    const h = judgeJob({ ...healthy, fullRestarts: series([3, 1, 0], [2, 2, 2], [1, 3, 3]) }, t, now);
    expect(h.verdict).toBe("Restarting");
    expect(h.restarts).toBe(3);
    expect(h.message).toBe("3 full restarts in the last 600 s (max 0)");
    expect(judgeJob(healthy, { ...t, maxRestarts: 3 }, now).verdict).toBe("Healthy");
  });

  it("takes downtime > 0 on the newest point as evidence of restarting", () => {
    const h = judgeJob({ ...healthy, downtime: series([2, 0], [1, 4_000]) }, t, now);
    expect(h.verdict).toBe("Restarting");
    expect(h.message).toMatch(
      /^the job is down: downtime 4000 ms at 2026-11-30T11:59:00.000Z; 0 full restarts/,
    );
  });

  it("ranks Restarting over CheckpointsFailing over FallingBehind", () => {
    const failing = { ...healthy, numberOfFailedCheckpoints: series([2, 1, 1], [1, 4, 2]) };
    expect(judgeJob(failing, t, now)).toMatchObject({ verdict: "CheckpointsFailing", failedCheckpoints: 3 });
    const behind = { ...failing, millisBehindLatest: series([1, 700_000]) };
    expect(judgeJob(behind, t, now).verdict).toBe("CheckpointsFailing");
    expect(judgeJob({ ...healthy, millisBehindLatest: series([1, 700_000]) }, t, now).message).toBe(
      "millisBehindLatest 700000 ms at 2026-11-30T11:59:00.000Z (max 300000)",
    );
    const all = { ...behind, fullRestarts: series([2, 0], [1, 1]) };
    expect(judgeJob(all, t, now).verdict).toBe("Restarting");
  });

  it("counts only datapoints at or after `since`: the old job's restarts do not fail the new one", () => {
    const samples = {
      ...healthy,
      fullRestarts: series([5, 0], [4, 3], [2, 0], [1, 0]),
      uptime: series([5, 1], [1, 60_000]),
    };
    expect(judgeJob(samples, t, now).verdict).toBe("Restarting");
    const since = new Date(now.getTime() - 2.5 * 60_000);
    const h = judgeJob(samples, t, now, since);
    expect(h).toMatchObject({ verdict: "Healthy", restarts: 0, checkpointCompleted: true });
    expect(h.message).toContain(`since ${since.toISOString()}`);
    expect(judgeJob(samples, t, now, new Date(now.getTime() - 1000)).verdict).toBe("NoData");
  });
});

describe("countIncreases", () => {
  it("tolerates resets to 0 when a new job starts", () => {
    expect(countIncreases(series([4, 5], [3, 7], [2, 0], [1, 2]))).toBe(2 + 0 + 2);
    expect(countIncreases(series([2, 3, 1]))).toBe(2);
    // A period holding the old job's 7 and the new job's 0: only the 0 counts, no false restarts.
    expect(countIncreases(series([3, 7, 7], [2, 7, 0], [1, 1, 1]))).toBe(1);
  });
});

describe("thresholds", () => {
  it("takes spec.health over the defaults and names a bad field", () => {
    expect(thresholdsFrom(undefined, t)).toEqual(t);
    expect(thresholdsFrom({ maxRestarts: 2, checks: "Enabled" }, t)).toEqual({ ...t, maxRestarts: 2 });
    expect(() => thresholdsFrom({ windowSeconds: 0 }, t)).toThrow(
      "spec.health.windowSeconds must be an integer >= 1, got 0",
    );
  });

  it("reads the operator-wide defaults from the environment", () => {
    expect(thresholdsFromEnv({})).toEqual(t);
    expect(thresholdsFromEnv({ HEALTH_WINDOW_SECONDS: "120", HEALTH_MAX_MILLIS_BEHIND_LATEST: "5" })).toEqual(
      {
        ...t,
        windowSeconds: 120,
        maxMillisBehindLatest: 5,
      },
    );
    expect(() => thresholdsFromEnv({ HEALTH_MAX_RESTARTS: "-1" })).toThrow(/HEALTH_MAX_RESTARTS/);
  });
});

describe("never Healthy without data (property)", () => {
  const bucket = fc.record({
    at: fc.integer({ min: now.getTime() - 3_600_000, max: now.getTime() }),
    value: fc.double({ min: 0, max: 1e9, noNaN: true }),
    min: fc.option(fc.double({ min: 0, max: 1e9, noNaN: true }), { nil: undefined }),
  });
  const others = JOB_METRICS.filter((m) => m !== "uptime" && m !== "fullRestarts");
  const thresholds = fc.record({
    windowSeconds: fc.integer({ min: 1, max: 7200 }),
    maxRestarts: fc.nat(10),
    maxFailedCheckpoints: fc.nat(10),
    maxMillisBehindLatest: fc.nat(1e9),
  });

  it("for any samples without uptime/fullRestarts data, in or out of the span, the verdict is not Healthy", () => {
    const samples = fc.record({
      ...Object.fromEntries(others.map((m) => [m, fc.array(bucket, { maxLength: 5 })])),
      // uptime and fullRestarts only before the window (or absent)
      uptime: fc.array(bucket, { maxLength: 3 }),
      fullRestarts: fc.array(bucket, { maxLength: 3 }),
    }) as fc.Arbitrary<JobSamples>;
    fc.assert(
      fc.property(
        samples,
        thresholds,
        fc.option(fc.date({ noInvalidDate: true }), { nil: undefined }),
        (s, th, since) => {
          const windowStart = now.getTime() - th.windowSeconds * 1000;
          const from = Math.max(windowStart, since?.getTime() ?? -Infinity);
          const lacking: JobSamples = {
            ...s,
            uptime: s.uptime?.filter((b) => b.at < from),
            fullRestarts: s.fullRestarts?.filter((b) => b.at < from),
          };
          const h = judgeJob(lacking, th, now, since);
          expect(h.verdict).not.toBe("Healthy");
          expect(h.verdict).toBe("NoData");
        },
      ),
      { numRuns: 500 },
    );
  });
});
