import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { backoffDelay } from "../../../src/controller/runtime/backoff.js";
import {
  LowPriority,
  NormalPriority,
  type ReconcileResult,
  resyncOffsetMs,
  WorkQueue,
} from "../../../src/controller/runtime/queue.js";

interface Call {
  key: string;
  resolve: (r?: ReconcileResult) => void;
  reject: (err: unknown) => void;
}

/** A handler whose reconciles finish only when the test says so. */
function controllable() {
  const calls: Call[] = [];
  const running = new Map<string, number>();
  let maxParallelPerKey = 0;
  let maxParallel = 0;
  const handler = (key: string) =>
    new Promise<ReconcileResult | undefined>((resolve, reject) => {
      running.set(key, (running.get(key) ?? 0) + 1);
      maxParallelPerKey = Math.max(maxParallelPerKey, running.get(key)!);
      maxParallel = Math.max(
        maxParallel,
        [...running.values()].reduce((a, b) => a + b, 0),
      );
      const finish = () => {
        const n = running.get(key)! - 1;
        if (n === 0) running.delete(key);
        else running.set(key, n);
      };
      calls.push({
        key,
        resolve: (r) => {
          finish();
          resolve(r);
        },
        reject: (e) => {
          finish();
          reject(e);
        },
      });
    });
  return {
    handler,
    calls,
    keys: () => calls.map((c) => c.key),
    stats: () => ({ maxParallelPerKey, maxParallel }),
  };
}

const flush = () => vi.advanceTimersByTimeAsync(0);

describe("WorkQueue", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("does nothing before start, then processes keys in FIFO order", async () => {
    const h = controllable();
    const q = new WorkQueue({ concurrency: 1, handler: h.handler });
    q.add("a");
    q.add("b");
    await flush();
    expect(h.calls).toHaveLength(0);
    expect(q.depth).toBe(2);
    q.start();
    await flush();
    expect(h.keys()).toEqual(["a"]);
    expect(q.depth).toBe(1);
    expect(q.inFlight).toBe(1);
    h.calls[0]!.resolve();
    await flush();
    expect(h.keys()).toEqual(["a", "b"]);
  });

  it("merges adds of a queued key into one entry", async () => {
    const h = controllable();
    const q = new WorkQueue({ concurrency: 1, handler: h.handler });
    q.add("a");
    q.add("a");
    q.add("b");
    q.add("a");
    expect(q.depth).toBe(2);
    q.start();
    await flush();
    h.calls[0]!.resolve();
    await flush();
    h.calls[1]!.resolve();
    await flush();
    expect(h.keys()).toEqual(["a", "b"]);
    expect(q.depth).toBe(0);
    expect(q.inFlight).toBe(0);
  });

  it("runs a key added during its reconcile exactly once more, after the current run", async () => {
    const h = controllable();
    const q = new WorkQueue({ concurrency: 4, handler: h.handler });
    q.start();
    q.add("a");
    await flush();
    q.add("a");
    q.add("a");
    await flush();
    // Never two reconciles of one key at once, even with free workers.
    expect(h.keys()).toEqual(["a"]);
    expect(q.depth).toBe(0);
    h.calls[0]!.resolve();
    await flush();
    expect(h.keys()).toEqual(["a", "a"]);
    h.calls[1]!.resolve();
    await flush();
    expect(h.keys()).toEqual(["a", "a"]);
    expect(h.stats().maxParallelPerKey).toBe(1);
  });

  it("bounds concurrency across keys", async () => {
    const h = controllable();
    const q = new WorkQueue({ concurrency: 2, handler: h.handler });
    q.start();
    for (const k of ["a", "b", "c", "d"]) q.add(k);
    await flush();
    expect(h.keys()).toEqual(["a", "b"]);
    expect(q.inFlight).toBe(2);
    expect(q.depth).toBe(2);
    h.calls[1]!.resolve();
    await flush();
    expect(h.keys()).toEqual(["a", "b", "c"]);
    h.calls[0]!.resolve();
    h.calls[2]!.resolve();
    await flush();
    expect(h.keys()).toEqual(["a", "b", "c", "d"]);
    expect(h.stats().maxParallel).toBe(2);
  });

  it("a dirty key waits behind keys queued before it was re-added", async () => {
    const h = controllable();
    const q = new WorkQueue({ concurrency: 1, handler: h.handler });
    q.start();
    q.add("a");
    await flush();
    q.add("b");
    q.add("a");
    h.calls[0]!.resolve();
    await flush();
    expect(h.keys()).toEqual(["a", "b"]);
    h.calls[1]!.resolve();
    await flush();
    expect(h.keys()).toEqual(["a", "b", "a"]);
  });

  it("requeues after requeueAfterMs", async () => {
    const h = controllable();
    const q = new WorkQueue({ concurrency: 1, handler: h.handler });
    q.start();
    q.add("a");
    await flush();
    h.calls[0]!.resolve({ requeueAfterMs: 10_000 });
    await flush();
    expect(q.delayedCount).toBe(1);
    await vi.advanceTimersByTimeAsync(9_999);
    expect(h.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.keys()).toEqual(["a", "a"]);
    expect(q.delayedCount).toBe(0);
  });

  it("treats undefined, {} and requeueAfterMs 0 as done", async () => {
    const h = controllable();
    const q = new WorkQueue({ concurrency: 3, handler: h.handler });
    q.start();
    q.add("a");
    q.add("b");
    q.add("c");
    await flush();
    h.calls[0]!.resolve(undefined);
    h.calls[1]!.resolve({});
    h.calls[2]!.resolve({ requeueAfterMs: 0 });
    await vi.advanceTimersByTimeAsync(1_000_000);
    expect(h.calls).toHaveLength(3);
    expect(q.delayedCount).toBe(0);
  });

  it("runs a key again right after the run that asked to requeue", async () => {
    const h = controllable();
    const q = new WorkQueue({ concurrency: 1, handler: h.handler });
    q.start();
    q.add("a");
    await flush();
    h.calls[0]!.resolve({ continueNow: true });
    await flush();
    expect(h.keys()).toEqual(["a", "a"]);
    h.calls[1]!.resolve({});
    await vi.advanceTimersByTimeAsync(1_000_000);
    expect(h.calls).toHaveLength(2);
  });

  it("keeps the sooner of two addAfter deadlines", async () => {
    const h = controllable();
    const q = new WorkQueue({ concurrency: 1, handler: h.handler });
    q.start();
    q.addAfter("a", 5_000);
    q.addAfter("a", 60_000); // later: ignored
    await vi.advanceTimersByTimeAsync(5_000);
    expect(h.keys()).toEqual(["a"]);
    h.calls[0]!.resolve();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(h.calls).toHaveLength(1);

    q.addAfter("b", 60_000);
    q.addAfter("b", 1_000); // sooner: replaces
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.keys()).toEqual(["a", "b"]);
    h.calls[1]!.resolve();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(h.calls).toHaveLength(2);
  });

  it("addAfter with a non-positive delay adds at once", async () => {
    const h = controllable();
    const q = new WorkQueue({ concurrency: 1, handler: h.handler });
    q.start();
    q.addAfter("a", 0);
    q.addAfter("b", -5);
    await flush();
    expect(h.keys()).toEqual(["a"]);
    expect(q.depth).toBe(1);
  });

  it("backs off exponentially per key on failure, capped, and forgets on success", async () => {
    const h = controllable();
    const errors: string[] = [];
    const q = new WorkQueue({
      concurrency: 1,
      handler: h.handler,
      baseDelayMs: 100,
      maxDelayMs: 1_000,
      jitterFraction: 0,
      onError: (key, err) => errors.push(`${key}:${(err as Error).message}`),
    });
    q.start();
    q.add("a");
    await flush();
    const expected = [100, 200, 400, 800, 1_000, 1_000];
    for (const [i, delay] of expected.entries()) {
      h.calls[i]!.reject(new Error(`boom${i}`));
      await flush();
      expect(q.failuresOf("a")).toBe(i + 1);
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(h.calls).toHaveLength(i + 1);
      await vi.advanceTimersByTimeAsync(1);
      expect(h.calls).toHaveLength(i + 2);
    }
    expect(errors[0]).toBe("a:boom0");
    expect(errors).toHaveLength(expected.length);
    // Success forgets: the next failure starts again at the base delay.
    h.calls[expected.length]!.resolve();
    await flush();
    expect(q.failuresOf("a")).toBe(0);
    q.add("a");
    await flush();
    h.calls.at(-1)!.reject(new Error("again"));
    await flush();
    const before = h.calls.length;
    await vi.advanceTimersByTimeAsync(100);
    expect(h.calls.length).toBe(before + 1);
  });

  it("keeps failures per key: one failing key does not slow another", async () => {
    const h = controllable();
    const q = new WorkQueue({
      concurrency: 2,
      handler: h.handler,
      baseDelayMs: 100,
      jitterFraction: 0,
    });
    q.start();
    q.add("bad");
    await flush();
    h.calls[0]!.reject(new Error("x"));
    await vi.advanceTimersByTimeAsync(100);
    h.calls[1]!.reject(new Error("x"));
    await flush();
    expect(q.failuresOf("bad")).toBe(2);
    q.add("good");
    await flush();
    h.calls[2]!.reject(new Error("x"));
    await flush();
    expect(q.failuresOf("good")).toBe(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(h.keys().at(-1)).toBe("good");
  });

  it("counts a synchronous throw as a failure and survives a throwing onError", async () => {
    let n = 0;
    const q = new WorkQueue({
      concurrency: 1,
      baseDelayMs: 10,
      jitterFraction: 0,
      handler: (() => {
        n++;
        throw new Error("sync");
      }) as unknown as (key: string) => Promise<undefined>,
      onError: () => {
        throw new Error("reporter broke");
      },
    });
    q.start();
    q.add("a");
    await flush();
    expect(n).toBe(1);
    expect(q.failuresOf("a")).toBe(1);
    await vi.advanceTimersByTimeAsync(10);
    expect(n).toBe(2);
    await q.shutdown();
  });

  it("jitters the failure delay within ±jitterFraction", async () => {
    const h = controllable();
    const q = new WorkQueue({
      concurrency: 1,
      handler: h.handler,
      baseDelayMs: 1_000,
      jitterFraction: 0.2,
      random: () => 0, // lowest: 0.8·d
    });
    q.start();
    q.add("a");
    await flush();
    h.calls[0]!.reject(new Error("x"));
    await vi.advanceTimersByTimeAsync(799);
    expect(h.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.calls).toHaveLength(2);
  });

  it("a failure while the key was re-added runs it once now and once after the backoff", async () => {
    // client-go: AddRateLimited happens before Done, so the dirty re-add runs immediately and the
    // rate-limited add runs again later. Level-triggered reconcilers tolerate the extra pass.
    const h = controllable();
    const q = new WorkQueue({ concurrency: 1, handler: h.handler, baseDelayMs: 100, jitterFraction: 0 });
    q.start();
    q.add("a");
    await flush();
    q.add("a");
    h.calls[0]!.reject(new Error("x"));
    await flush();
    expect(h.calls).toHaveLength(2);
    h.calls[1]!.resolve();
    await vi.advanceTimersByTimeAsync(100);
    expect(h.calls).toHaveLength(3);
  });

  it("shutdown waits for in-flight reconciles and then takes no more work", async () => {
    const h = controllable();
    const q = new WorkQueue({ concurrency: 2, handler: h.handler });
    q.start();
    q.add("a");
    q.add("b");
    q.add("c");
    q.addAfter("d", 1_000);
    await flush();
    let stopped = false;
    const done = q.shutdown().then(() => {
      stopped = true;
    });
    await flush();
    expect(stopped).toBe(false);
    q.add("e");
    h.calls[0]!.resolve({ requeueAfterMs: 10 });
    await flush();
    expect(stopped).toBe(false);
    h.calls[1]!.reject(new Error("late failure"));
    await done;
    expect(stopped).toBe(true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(h.keys()).toEqual(["a", "b"]);
    expect(q.inFlight).toBe(0);
    expect(q.depth).toBe(0);
    expect(() => q.start()).toThrow(/shut down/);
  });

  it("shutdown with nothing in flight resolves at once", async () => {
    const q = new WorkQueue({ concurrency: 1, handler: async () => undefined });
    await expect(q.shutdown()).resolves.toBeUndefined();
  });

  it("rejects a non-positive concurrency", () => {
    expect(() => new WorkQueue({ concurrency: 0, handler: async () => undefined })).toThrow(/concurrency/);
  });

  it("processes many keys with real interleaving and never overlaps a key", async () => {
    const active = new Set<string>();
    let overlaps = 0;
    let runs = 0;
    const q = new WorkQueue({
      concurrency: 3,
      handler: async (key) => {
        if (active.has(key)) overlaps++;
        active.add(key);
        runs++;
        await new Promise((r) => setTimeout(r, 5));
        active.delete(key);
        return undefined;
      },
    });
    q.start();
    for (let i = 0; i < 200; i++) {
      q.add(`k${i % 7}`);
      await vi.advanceTimersByTimeAsync(1);
    }
    await vi.advanceTimersByTimeAsync(1_000);
    expect(overlaps).toBe(0);
    expect(q.inFlight).toBe(0);
    expect(q.depth).toBe(0);
    // Merging means far fewer runs than adds.
    expect(runs).toBeLessThan(200);
    expect(runs).toBeGreaterThanOrEqual(7);
  });
});

describe("backoffDelay", () => {
  const base = { baseDelayMs: 500, maxDelayMs: 300_000 };
  it("doubles from the base and caps", () => {
    const exact = { ...base, jitterFraction: 0 };
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, exact))).toEqual([500, 1_000, 2_000, 4_000]);
    expect(backoffDelay(30, exact)).toBe(300_000);
    expect(backoffDelay(5_000, exact)).toBe(300_000);
    expect(backoffDelay(0, exact)).toBe(500);
  });
  it("stays within ±jitter and never exceeds the cap", () => {
    expect(backoffDelay(1, { ...base, random: () => 0 })).toBe(400);
    expect(backoffDelay(1, { ...base, random: () => 0.999999 })).toBe(600);
    expect(backoffDelay(50, { ...base, random: () => 0.999999 })).toBe(300_000);
    expect(backoffDelay(50, { ...base, random: () => 0 })).toBe(240_000);
    for (let i = 0; i < 1_000; i++) {
      const d = backoffDelay(3, base);
      expect(d).toBeGreaterThanOrEqual(1_600);
      expect(d).toBeLessThanOrEqual(2_400);
    }
  });
});

describe("WorkQueue priorities", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("hands a user's change out before every resync queued ahead of it", async () => {
    const h = controllable();
    const q = new WorkQueue({ concurrency: 1, handler: h.handler });
    for (let i = 0; i < 1_000; i++) q.add(`resync-${i}`, LowPriority);
    q.add("changed", NormalPriority);
    q.start();
    await flush();
    // First, not 1,001st as in a FIFO.
    expect(h.keys()).toEqual(["changed"]);
    h.calls[0]!.resolve();
    await flush();
    expect(h.keys()).toEqual(["changed", "resync-0"]);
    // Once running, a change still overtakes the remaining 999.
    q.add("changed-too");
    h.calls[1]!.resolve();
    await flush();
    expect(h.keys()).toEqual(["changed", "resync-0", "changed-too"]);
  });

  it("raises a queued key to the higher priority, and keeps the higher one", async () => {
    const h = controllable();
    const q = new WorkQueue({ concurrency: 1, handler: h.handler });
    q.add("a", LowPriority);
    q.add("b", LowPriority);
    q.add("b", NormalPriority);
    q.add("b", LowPriority);
    expect(q.depth).toBe(2);
    q.start();
    await flush();
    expect(h.keys()).toEqual(["b"]);
    h.calls[0]!.resolve();
    await flush();
    expect(h.keys()).toEqual(["b", "a"]);
  });

  it("tells the handler the priority of the pass", async () => {
    const seen: number[] = [];
    const q = new WorkQueue({
      concurrency: 1,
      handler: async (_key, pass) => {
        seen.push(pass.priority);
        return undefined;
      },
    });
    q.start();
    q.add("a", LowPriority);
    await flush();
    q.add("a");
    await flush();
    expect(seen).toEqual([LowPriority, NormalPriority]);
  });

  it("keeps a worker free for changes while resyncs wait", async () => {
    const h = controllable();
    const q = new WorkQueue({ concurrency: 4, handler: h.handler });
    q.start();
    for (let i = 0; i < 10; i++) q.add(`resync-${i}`, LowPriority);
    await flush();
    // Three of four workers hold resyncs (for example, each waiting for the AWS budget).
    expect(h.keys()).toEqual(["resync-0", "resync-1", "resync-2"]);
    q.add("changed");
    await flush();
    expect(h.keys().at(-1)).toBe("changed");
    expect(q.inFlight).toBe(4);
  });

  it("a key re-added at normal priority while a resync pass runs goes next, ahead of queued resyncs", async () => {
    const h = controllable();
    const q = new WorkQueue({ concurrency: 1, handler: h.handler });
    q.start();
    q.add("a", LowPriority);
    q.add("b", LowPriority);
    await flush();
    q.add("a");
    h.calls[0]!.resolve();
    await flush();
    expect(h.keys()).toEqual(["a", "a"]);
  });

  it("continueNow runs the key again at once, at the priority it ran with", async () => {
    const h = controllable();
    const seen: Array<[string, number]> = [];
    const q = new WorkQueue({
      concurrency: 1,
      handler: (key, pass) => {
        seen.push([key, pass.priority]);
        return h.handler(key);
      },
    });
    q.add("queued-resync", LowPriority);
    q.add("changed");
    q.start();
    await flush();
    h.calls[0]!.resolve({ continueNow: true });
    await flush();
    expect(seen).toEqual([
      ["changed", NormalPriority],
      ["changed", NormalPriority],
    ]);
    h.calls[1]!.resolve();
    await flush();
    expect(seen.at(-1)).toEqual(["queued-resync", LowPriority]);
  });

  it("a delayed add keeps the sooner deadline and the higher priority", async () => {
    const h = controllable();
    const seen: number[] = [];
    const q = new WorkQueue({
      concurrency: 1,
      handler: (key, pass) => {
        seen.push(pass.priority);
        return h.handler(key);
      },
    });
    q.start();
    q.addAfter("a", 1_000, LowPriority);
    q.addAfter("a", 5_000, NormalPriority); // later, but raises the priority
    await vi.advanceTimersByTimeAsync(1_000);
    expect(seen).toEqual([NormalPriority]);
    h.calls[0]!.resolve();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(h.calls).toHaveLength(1);
  });
});

describe("resyncOffsetMs", () => {
  it("spreads one resync's keys evenly over the period", () => {
    const period = 30_000;
    const perSecond = new Array(30).fill(0);
    for (let i = 0; i < 1_000; i++) {
      const offset = resyncOffsetMs(i, 1_000, period);
      expect(offset).toBeGreaterThanOrEqual(0);
      expect(offset).toBeLessThan(period);
      perSecond[Math.floor(offset / 1_000)]++;
    }
    // 1,000 keys over 30 s: 33 or 34 a second, where one burst would put all 1,000 into one second.
    expect(Math.max(...perSecond)).toBe(34);
    expect(Math.min(...perSecond)).toBe(33);
    expect(resyncOffsetMs(0, 1, period)).toBe(0);
  });
});
