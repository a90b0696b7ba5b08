import { pino } from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { builtInThresholds } from "../../../src/health/judge.js";
import { HealthMonitor, type HealthMonitorOptions } from "../../../src/health/monitor.js";
import type { ReadOutcome } from "../../../src/health/reader.js";
import type { Bucket, HealthTarget, JobHealth, JobSamples } from "../../../src/health/types.js";

const log = pino({ level: "silent" });
const t0 = new Date("2026-11-30T12:00:00Z").getTime();
const target = (name: string, extra: Partial<HealthTarget> = {}): HealthTarget => ({
  key: `ns/${name}`,
  applicationName: name,
  region: "eu-west-1",
  thresholds: builtInThresholds,
  logStreamArn: `arn:aws:logs:eu-west-1:1:log-group:g:log-stream:${name}`,
  ...extra,
});
const at = (now: number, ...values: number[]): Bucket[] =>
  values.map((value, i) => ({ at: now - (values.length - i) * 60_000, value }));
const healthy = (now: number): JobSamples => ({ uptime: at(now, 1, 2), fullRestarts: at(now, 0, 0) });
const restarting = (now: number): JobSamples => ({ uptime: at(now, 1, 2), fullRestarts: at(now, 0, 2) });

/** A world with a fake reader whose answers the test sets, a clock the test moves, and recorders. */
function world(opts: Partial<HealthMonitorOptions> = {}) {
  let now = t0;
  let targets = [target("a"), target("b")];
  const answers = new Map<string, (now: number) => ReadOutcome>();
  const reads: string[][] = [];
  const changes: string[] = [];
  const observed = new Map<string, JobHealth>();
  const forgotten: string[] = [];
  const logReads: string[] = [];
  const monitor = new HealthMonitor({
    intervalMs: 60_000,
    targets: () => targets,
    reader: {
      async read(ts, when) {
        reads.push(ts.map((t) => t.key));
        return new Map(
          ts.map((t) => [t.key, (answers.get(t.key) ?? ((n) => ({ samples: healthy(n) })))(when.getTime())]),
        );
      },
    },
    logs: {
      async errorLines(t) {
        logReads.push(t.key);
        return ["ERROR boom"];
      },
    },
    onChange: (k) => changes.push(k),
    log,
    metrics: { observe: (k, h) => observed.set(k, h), forget: (k) => forgotten.push(k) },
    now: () => new Date(now),
    ...opts,
  });
  return {
    monitor,
    answers,
    reads,
    changes,
    observed,
    forgotten,
    logReads,
    tick: (ms: number) => {
      now += ms;
    },
    setTargets: (t: HealthTarget[]) => {
      targets = t;
    },
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("HealthMonitor", () => {
  it("answers undefined before the first read, then judges from memory with the caller's thresholds", async () => {
    const w = world();
    expect(w.monitor.judge("ns/a", builtInThresholds)).toBeUndefined();
    await w.monitor.readOnce();
    expect(w.monitor.judge("ns/a", builtInThresholds)).toMatchObject({
      verdict: "Healthy",
      checkedAt: new Date(t0).toISOString(),
    });
    w.answers.set("ns/a", (n) => ({ samples: restarting(n) }));
    await w.monitor.readOnce();
    expect(w.monitor.judge("ns/a", builtInThresholds)?.verdict).toBe("Restarting");
    expect(w.monitor.judge("ns/a", { ...builtInThresholds, maxRestarts: 5 })?.verdict).toBe("Healthy");
    expect(w.monitor.judge("ns/zzz", builtInThresholds)).toBeUndefined();
  });

  it("queues a key when its verdict changes, not on every read, and not for a first verdict status already records", async () => {
    const w = world();
    // After an operator restart: status already says Healthy, so reading Healthy again is not news.
    w.setTargets([target("a", { recorded: "Healthy" }), target("b", { recorded: "Healthy" })]);
    await w.monitor.readOnce();
    expect(w.changes).toEqual([]);
    w.answers.set("ns/b", (n) => ({ samples: restarting(n) }));
    await w.monitor.readOnce();
    await w.monitor.readOnce();
    expect(w.changes).toEqual(["ns/b"]);
    w.answers.delete("ns/b");
    await w.monitor.readOnce();
    expect(w.changes).toEqual(["ns/b", "ns/b"]);
    // A first verdict that is bad is news.
    w.answers.set("ns/c", (n) => ({ samples: restarting(n) }));
    w.setTargets([target("a"), target("b"), target("c")]);
    await w.monitor.readOnce();
    expect(w.changes).toEqual(["ns/b", "ns/b", "ns/c"]);
    // A new application: status says its metrics were not read yet (NoData); Healthy is news.
    w.setTargets([target("a"), target("b"), target("c"), target("d", { recorded: "NoData" })]);
    await w.monitor.readOnce();
    expect(w.changes).toEqual(["ns/b", "ns/b", "ns/c", "ns/d"]);
  });

  it("reads error lines only on a transition to unhealthy, or while an update is verified", async () => {
    const w = world();
    w.answers.set("ns/a", (n) => ({ samples: restarting(n) }));
    await w.monitor.readOnce();
    await w.monitor.readOnce();
    expect(w.logReads).toEqual(["ns/a"]);
    expect(w.monitor.judge("ns/a", builtInThresholds)?.errorLines).toEqual(["ERROR boom"]);
    w.setTargets([target("a", { stabilizing: true }), target("b")]);
    await w.monitor.readOnce();
    expect(w.logReads).toEqual(["ns/a", "ns/a"]);
    w.answers.delete("ns/a");
    await w.monitor.readOnce();
    expect(w.logReads).toHaveLength(2);
    expect(w.monitor.judge("ns/a", builtInThresholds)?.errorLines).toBeUndefined();
  });

  it("forgets applications no longer targeted: memory and metric series stay bounded", async () => {
    const w = world();
    const many = Array.from({ length: 1000 }, (_, i) => target(`app-${i}`));
    w.setTargets(many);
    await w.monitor.readOnce();
    expect(w.monitor.size).toBe(1000);
    w.setTargets(many.slice(0, 10));
    await w.monitor.readOnce();
    expect(w.monitor.size).toBe(10);
    expect(w.forgotten).toHaveLength(990);
    expect(w.monitor.judge("ns/app-999", builtInThresholds)).toBeUndefined();
  });

  it("says which permission is missing when GetMetricData is denied, and lets old data age out on failures", async () => {
    const w = world();
    await w.monitor.readOnce();
    w.answers.set("ns/a", () => ({
      error: "denied",
      message: "the operator's role may not call cloudwatch:GetMetricData in eu-west-1 (AccessDenied)",
    }));
    w.answers.set("ns/b", () => ({
      error: "failed",
      message: "GetMetricData in eu-west-1 failed: ThrottlingException",
    }));
    w.tick(60_000);
    await w.monitor.readOnce();
    const a = w.monitor.judge("ns/a", builtInThresholds)!;
    expect(a.verdict).toBe("NoData");
    expect(a.message).toMatch(/^the operator's role may not call cloudwatch:GetMetricData/);
    expect(w.monitor.judge("ns/b", builtInThresholds)?.verdict).toBe("Healthy");
    w.tick(700_000);
    await w.monitor.readOnce();
    expect(w.monitor.judge("ns/b", builtInThresholds)).toMatchObject({ verdict: "NoData" });
    expect(w.monitor.judge("ns/b", builtInThresholds)?.message).toMatch(/ThrottlingException; no uptime/);
  });

  it("reads on its own timer, one read at a time, and not at all with interval 0", async () => {
    vi.useFakeTimers();
    const w = world();
    w.monitor.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(w.reads).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(180_000);
    expect(w.reads).toHaveLength(4);
    await w.monitor.stop();
    await vi.advanceTimersByTimeAsync(180_000);
    expect(w.reads).toHaveLength(4);

    let release!: () => void;
    const slow = world({
      reader: {
        read: (ts) =>
          new Promise((resolve) => {
            release = () => resolve(new Map(ts.map((t) => [t.key, { samples: {} }])));
          }),
      },
    });
    const first = slow.monitor.readOnce();
    expect(slow.monitor.readOnce()).toBe(first);
    release();
    await first;

    // Stopped on losing the lead and started again on taking it: reads are made and kept again.
    const signals: AbortSignal[] = [];
    const again = world({
      reader: {
        async read(ts, _now, signal) {
          if (signal) signals.push(signal);
          return new Map(ts.map((t) => [t.key, { samples: healthy(t0) }]));
        },
      },
    });
    again.monitor.start();
    await vi.advanceTimersByTimeAsync(0);
    await again.monitor.stop();
    expect(signals[0]?.aborted).toBe(true);
    again.monitor.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(signals).toHaveLength(2);
    expect(signals[1]?.aborted).toBe(false);
    expect(again.monitor.judge("ns/a", builtInThresholds)?.verdict).toBe("Healthy");
    await again.monitor.stop();

    const off = world({ intervalMs: 0 });
    off.monitor.start();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(off.reads).toHaveLength(0);
    expect(off.monitor.judge("ns/a", builtInThresholds)).toBeUndefined();
  });

  it("reports every read application's health to the metrics", async () => {
    const w = world();
    await w.monitor.readOnce();
    expect([...w.observed.keys()]).toEqual(["ns/a", "ns/b"]);
    expect(w.observed.get("ns/a")?.figures.uptime?.value).toBe(2);
  });
});
