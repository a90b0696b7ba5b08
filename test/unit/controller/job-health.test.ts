// Ready follows the job (issue 11): the reconciler against the fakes, with a job-health source the
// test sets verdict by verdict, as the monitor would after reading CloudWatch.
import { describe, expect, it } from "vitest";
import type { HealthSpec } from "../../../src/crds/types.generated.js";
import type { HealthThresholds, JobHealth, JobHealthSource, JobVerdict } from "../../../src/health/types.js";
import { flinkApp } from "./fakes.js";
import { world } from "./world.js";

const thresholds: HealthThresholds = {
  windowSeconds: 600,
  maxRestarts: 0,
  maxFailedCheckpoints: 0,
  maxMillisBehindLatest: 300_000,
};

class FakeHealth implements JobHealthSource {
  current: JobHealth | undefined;
  readonly asked: { key: string; since?: Date; thresholds: HealthThresholds }[] = [];

  judge(key: string, t: HealthThresholds, since?: Date): JobHealth | undefined {
    this.asked.push({ key, thresholds: t, ...(since ? { since } : {}) });
    return this.current;
  }

  set(verdict: JobVerdict, at: Date, more: Partial<JobHealth> = {}): void {
    this.current = {
      verdict,
      message: verdict === "Healthy" ? "no restarts in the last 600 s" : `${verdict} evidence`,
      figures: { fullRestarts: { value: more.restarts ?? 0, timestamp: at.toISOString() } },
      checkedAt: at.toISOString(),
      restarts: 0,
      failedCheckpoints: 0,
      checkpointCompleted: true,
      ...more,
    };
  }
}

function healthWorld(spec: Parameters<typeof flinkApp>[0] = {}) {
  const health = new FakeHealth();
  const clock = { now: new Date("2026-11-29T12:00:00Z") };
  const w = world(flinkApp(spec), clock, undefined, {
    health: { source: health, thresholds: (_h: HealthSpec | undefined) => thresholds },
  });
  const later = (seconds: number) => {
    clock.now = new Date(clock.now.getTime() + seconds * 1000);
  };
  return { ...w, health, later };
}

describe("Ready follows the job", () => {
  it("turns Ready=False (Stalled, reason Restarting) on a crash loop and back without a spec change", async () => {
    const w = healthWorld();
    w.health.set("Healthy", w.clock.now);
    await w.untilReady();
    expect(w.kube.obj.status?.job).toMatchObject({ verdict: "Healthy" });
    const writes = w.writes().length;

    w.health.set("Restarting", w.clock.now, {
      message: "3 full restarts in the last 600 s (max 0)",
      restarts: 3,
      errorLines: ["ERROR java.lang.RuntimeException: boom"],
    });
    await w.reconcile();
    expect(w.condition("Ready")).toMatchObject({ status: "False", reason: "Restarting" });
    expect(w.condition("Ready")?.message).toContain("3 full restarts");
    expect(w.condition("Ready")?.message).toContain("java.lang.RuntimeException: boom");
    expect(w.condition("Stalled")).toMatchObject({ status: "True", reason: "Restarting" });
    expect(w.kube.obj.status?.job).toMatchObject({ verdict: "Restarting" });
    expect(w.kube.events.at(-1)).toMatchObject({ type: "Warning", reason: "JobRestarting" });

    w.health.set("Healthy", w.clock.now);
    await w.reconcile();
    expect(w.condition("Ready")).toMatchObject({ status: "True" });
    expect(w.condition("Stalled")).toMatchObject({ status: "False" });
    expect(w.kube.events.at(-1)).toMatchObject({ type: "Normal", reason: "JobHealthy" });
    expect(w.kube.events.at(-1)?.message).toContain("healthy again");
    // Health is observed, never acted on with an AWS write.
    expect(w.writes()).toHaveLength(writes);
  });

  it("never says Ready without data: NoData is Ready=False and Reconciling, not Stalled", async () => {
    const w = healthWorld();
    w.health.set("NoData", w.clock.now, { message: "no datapoints of uptime or fullRestarts" });
    for (let i = 0; i < 8; i++) {
      await w.reconcile();
      w.aws.settle();
    }
    expect(w.kube.obj.status?.applicationStatus).toBe("RUNNING");
    expect(w.condition("Ready")).toMatchObject({ status: "False", reason: "NoData" });
    expect(w.condition("Reconciling")).toMatchObject({ status: "True", reason: "NoData" });
    expect(w.condition("Stalled")).toMatchObject({ status: "False" });
  });

  it("before the monitor's first read, judges nothing it has not seen (NoData, not Healthy)", async () => {
    const w = healthWorld();
    for (let i = 0; i < 8; i++) {
      await w.reconcile();
      w.aws.settle();
    }
    expect(w.kube.obj.status?.job).toMatchObject({ verdict: "NoData" });
    expect(w.condition("Ready")).toMatchObject({ status: "False", reason: "NoData" });
  });

  it("rewrites status.job on a verdict change, else at most every five minutes", async () => {
    const w = healthWorld();
    w.health.set("Healthy", w.clock.now);
    await w.untilReady();
    const writes = w.kube.statusWrites;
    w.later(60);
    w.health.set("Healthy", w.clock.now, { restarts: 0 });
    await w.reconcile();
    expect(w.kube.statusWrites).toBe(writes);
    w.later(300);
    w.health.set("Healthy", w.clock.now);
    await w.reconcile();
    expect(w.kube.statusWrites).toBe(writes + 1);
    expect(w.kube.obj.status?.job?.checkedAt).toBe(w.clock.now.toISOString());
  });

  it("with spec.health.checks Disabled, reads no health and Ready means RUNNING", async () => {
    const w = healthWorld({ health: { checks: "Disabled" } });
    w.health.set("Restarting", w.clock.now);
    await w.untilReady();
    expect(w.health.asked).toEqual([]);
    expect(w.kube.obj.status?.job).toBeUndefined();
  });
});

describe("updates are verified on the job (spec.rollback.stabilizationSeconds)", () => {
  async function updated(spec: Parameters<typeof flinkApp>[0] = {}) {
    const w = healthWorld({ parallelism: { parallelism: 2 }, ...spec });
    w.health.set("Healthy", w.clock.now);
    await w.untilReady();
    w.bump({ parallelism: { parallelism: 4 } });
    for (let i = 0; i < 8 && w.kube.obj.status?.operation?.phase !== "Stabilizing"; i++) {
      await w.reconcile();
      w.aws.settle();
    }
    expect(w.kube.obj.status?.operation).toMatchObject({ phase: "Stabilizing" });
    return w;
  }

  it("is done only after the new job stayed healthy for the stabilization time, judged since it ran", async () => {
    const w = await updated();
    const since = w.kube.obj.status?.operation?.runningSince;
    w.health.set("Healthy", w.clock.now, { checkpointCompleted: false });
    await w.reconcile();
    expect(w.condition("Reconciling")).toMatchObject({ status: "True", reason: "Stabilizing" });
    w.later(61);
    await w.reconcile();
    expect(w.condition("Reconciling")?.message).toContain("waiting for a completed checkpoint");
    w.health.set("Healthy", w.clock.now, { checkpointCompleted: true });
    await w.reconcile();
    expect(w.kube.obj.status?.operation).toBeUndefined();
    expect(w.kube.obj.status?.lastUpdate).toMatchObject({ generation: 2, versionId: 2 });
    expect(w.health.asked.some((a) => a.since?.toISOString() === since)).toBe(true);
    await w.reconcile();
    expect(w.condition("Ready")).toMatchObject({ status: "True" });
  });

  it("reports a crash-looping new job as a failed update, quoting its ERROR lines", async () => {
    const w = await updated();
    w.health.set("Restarting", w.clock.now, {
      message: "2 full restarts since 2026-11-29T12:00:00.000Z (max 0)",
      restarts: 2,
      errorLines: ["ERROR job failed: java.lang.IllegalStateException: bad config"],
    });
    await w.reconcile();
    expect(w.kube.obj.status?.lastFailedUpdate).toMatchObject({ generation: 2, rolledBack: "None" });
    expect(w.kube.obj.status?.lastFailedUpdate?.message).toContain("crash-looping");
    expect(w.kube.obj.status?.lastFailedUpdate?.message).toContain("IllegalStateException: bad config");
    expect(w.condition("Stalled")).toMatchObject({ status: "True", reason: "UpdateFailed" });
    expect(w.kube.events.some((e) => e.reason === "UpdateFailed")).toBe(true);
    expect(w.aws.calls).not.toContain("RollbackApplication");
  });

  it("rolls a crash-looping update back with RestorePreviousVersion", async () => {
    const w = await updated({ rollback: { onFailure: "RestorePreviousVersion" } });
    w.health.set("Restarting", w.clock.now, { restarts: 5 });
    await w.reconcile();
    expect(w.kube.obj.status?.operation).toMatchObject({ type: "Rollback", phase: "RollingBack" });
    await w.reconcile();
    expect(w.aws.calls).toContain("RollbackApplication");
  });

  it("does not roll back for want of metrics: unverified after the deadline, never called healthy", async () => {
    const w = await updated({ rollback: { onFailure: "RestorePreviousVersion", updateTimeoutSeconds: 60 } });
    w.health.set("NoData", w.clock.now);
    await w.reconcile();
    expect(w.kube.obj.status?.operation?.phase).toBe("Stabilizing");
    w.later(121);
    await w.reconcile();
    expect(w.kube.obj.status?.operation).toBeUndefined();
    expect(w.kube.obj.status?.lastFailedUpdate).toBeUndefined();
    expect(w.aws.calls).not.toContain("RollbackApplication");
    await w.reconcile();
    expect(w.condition("Ready")).toMatchObject({ status: "False", reason: "NoData" });
  });
});
