// The AWS request budget on a fake clock: how many calls go when, who goes first, and how throttling
// lowers the rate. No test here waits for real time.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { isThrottling, RequestBudget } from "../../../src/aws/budget.js";

const LOW = -100;

/** Takes `n` tokens at `priority`, recording the fake time at which each was granted. */
function takeMany(
  budget: RequestBudget,
  n: number,
  priority: number,
  log: Array<[string, number]>,
  tag: string,
) {
  for (let i = 0; i < n; i++) void budget.take(priority).then(() => log.push([tag, Date.now()]));
}

describe("RequestBudget", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const budget = (ratePerSecond: number, burst: number, extra = {}) =>
    new RequestBudget({ ratePerSecond, burst, now: () => Date.now(), ...extra });

  it("lets the burst go at once, then one request per 1/rate", async () => {
    const b = budget(10, 5);
    const granted: Array<[string, number]> = [];
    takeMany(b, 8, 0, granted, "x");
    await vi.advanceTimersByTimeAsync(0);
    expect(granted.map(([, t]) => t)).toEqual([0, 0, 0, 0, 0]);
    await vi.advanceTimersByTimeAsync(300);
    expect(granted.map(([, t]) => t)).toEqual([0, 0, 0, 0, 0, 100, 200, 300]);
  });

  it("never grants more than burst + rate·t in any window of t", async () => {
    const b = budget(20, 10);
    const granted: Array<[string, number]> = [];
    takeMany(b, 500, 0, granted, "x");
    await vi.advanceTimersByTimeAsync(30_000);
    expect(granted).toHaveLength(500);
    const times = granted.map(([, t]) => t);
    for (let i = 0; i < times.length; i++) {
      const inSecond = times.filter((t) => t >= times[i]! && t < times[i]! + 1_000).length;
      expect(inSecond).toBeLessThanOrEqual(10 + 20);
    }
    // Sustained: 500 requests at 20/s after a burst of 10 take (500 - 10) / 20 = 24.5 s.
    expect(times.at(-1)).toBe(24_500);
  });

  it("serves a waiting change before every waiting resync, whenever a token comes", async () => {
    const b = budget(10, 1);
    const granted: Array<[string, number]> = [];
    takeMany(b, 1, LOW, granted, "resync"); // takes the only token
    takeMany(b, 50, LOW, granted, "resync");
    await vi.advanceTimersByTimeAsync(250); // two more resyncs went, at 100 and 200 ms
    takeMany(b, 1, 0, granted, "change");
    await vi.advanceTimersByTimeAsync(100);
    expect(granted.slice(0, 4)).toEqual([
      ["resync", 0],
      ["resync", 100],
      ["resync", 200],
      ["change", 300],
    ]);
    expect(b.waiting).toBe(48);
  });

  it("a resync never overtakes a change, even with a token free at the moment it asks", async () => {
    const b = budget(10, 2);
    const granted: Array<[string, number]> = [];
    takeMany(b, 3, 0, granted, "change"); // two go, one waits
    takeMany(b, 1, LOW, granted, "resync");
    await vi.advanceTimersByTimeAsync(200);
    expect(granted.map(([tag]) => tag)).toEqual(["change", "change", "change", "resync"]);
  });

  it("halves the rate when AWS throttles, at most once a second, and recovers by doubling", async () => {
    const b = budget(16, 1, { recoveryMs: 10_000 });
    b.throttled();
    b.throttled(); // the same burst of throttled calls: one signal
    expect(b.currentRate).toBe(8);
    await vi.advanceTimersByTimeAsync(1_000);
    b.throttled();
    b.throttled();
    b.throttled();
    expect(b.currentRate).toBe(4);
    await vi.advanceTimersByTimeAsync(1_000);
    for (let i = 0; i < 5; i++) {
      b.throttled();
      await vi.advanceTimersByTimeAsync(1_000);
    }
    // Never below 1/8 of the configured rate.
    expect(b.currentRate).toBe(2);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(b.currentRate).toBe(4);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(b.currentRate).toBe(16);
  });

  it("spends the lowered rate: after throttling, requests are spaced by the new rate", async () => {
    const b = budget(10, 1);
    const granted: Array<[string, number]> = [];
    b.throttled(); // rate 5/s, and the saved-up token is gone
    takeMany(b, 3, 0, granted, "x");
    await vi.advanceTimersByTimeAsync(1_000);
    expect(granted.map(([, t]) => t)).toEqual([200, 400, 600]);
  });

  it("close releases every waiter", async () => {
    const b = budget(1, 1);
    const granted: Array<[string, number]> = [];
    takeMany(b, 5, 0, granted, "x");
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toHaveLength(1);
    b.close();
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toHaveLength(5);
  });

  it("rejects a rate or burst that would never grant anything", () => {
    expect(() => budget(0, 1)).toThrow(/ratePerSecond/);
    expect(() => budget(1, 0)).toThrow(/burst/);
  });
});

describe("isThrottling", () => {
  it("recognises throttling by error name or HTTP 429, not a resource quota", () => {
    expect(isThrottling({ name: "ThrottlingException" })).toBe(true);
    expect(isThrottling({ name: "Whatever", $metadata: { httpStatusCode: 429 } })).toBe(true);
    expect(isThrottling({ name: "LimitExceededException" })).toBe(false);
    expect(isThrottling(undefined)).toBe(false);
  });
});
