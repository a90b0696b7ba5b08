// spec.snapshots.schedule on a fake clock: due an interval after the newest snapshot, one at a time,
// never while an update runs, and retention keeps N.
import { describe, expect, it } from "vitest";
import { flinkApp } from "./fakes.js";
import { world } from "./world.js";

const minute = 60_000;

function scheduled(schedule = "1h", maxCount = 3) {
  const clock = { now: new Date("2026-11-29T12:00:00Z") };
  const w = world(flinkApp({ snapshots: { schedule, retention: { maxCount } } }), clock);
  w.aws.snapshotClock = () => clock.now;
  const advance = (ms: number) => {
    clock.now = new Date(clock.now.getTime() + ms);
  };
  /** Reconciles (settling AWS) until a pass plans nothing more. */
  const settle = async () => {
    let result: Awaited<ReturnType<typeof w.reconcile>> = {};
    for (let i = 0; i < 10; i++) {
      result = await w.reconcile();
      w.aws.settle();
      if (result.requeueAfterMs === undefined || result.requeueAfterMs > 1000) break;
    }
    return result;
  };
  const taken = () => w.aws.calls.filter((c) => c === "CreateApplicationSnapshot").length;
  return { ...w, advance, settle, taken };
}

describe("spec.snapshots.schedule", () => {
  it("takes one snapshot when none exists, then one per interval, and asks to be woken when due", async () => {
    const w = scheduled();
    await w.untilReady();
    await w.settle();
    expect(w.taken()).toBe(1);
    expect(w.kube.obj.status?.snapshots?.[0]).toMatchObject({ reason: "Scheduled" });
    expect(w.kube.obj.status?.scheduledSnapshot).toMatchObject({ state: "Ready" });
    expect(await w.settle()).toEqual({ requeueAfterMs: 60 * minute });
    w.advance(59 * minute);
    expect(await w.settle()).toEqual({ requeueAfterMs: minute });
    expect(w.taken()).toBe(1);
    w.advance(minute);
    await w.settle();
    expect(w.taken()).toBe(2);
    expect(w.kube.obj.status?.scheduledSnapshot?.name).toBe("orders-scheduled-20261129T130000Z");
  });

  it("keeps N through retention", async () => {
    const w = scheduled("1h", 3);
    await w.untilReady();
    for (let i = 0; i < 6; i++) {
      await w.settle();
      await w.settle();
      w.advance(60 * minute);
    }
    expect(w.taken()).toBe(6);
    expect(w.kube.obj.status?.snapshots).toHaveLength(3);
    expect(w.aws.apps.get("orders")!.snapshots.size).toBe(3);
  });

  it("takes none while an update runs, and none before a scheduled one in flight is done", async () => {
    const w = scheduled("1h");
    await w.untilReady();
    await w.settle();
    expect(w.taken()).toBe(1);
    w.advance(2 * 60 * minute); // overdue
    w.bump({ parallelism: { parallelism: 3 } });
    const names: string[] = [];
    for (let i = 0; i < 12 && (i === 0 || w.kube.obj.status?.operation); i++) {
      await w.reconcile();
      names.push(...[...w.aws.apps.get("orders")!.snapshots.keys()]);
      w.aws.settle();
    }
    expect(w.kube.obj.status?.operation).toBeUndefined();
    // During the update: only its own pre-update snapshot was created.
    expect(new Set(names).size).toBe(2);
    expect([...new Set(names)].filter((n) => n.includes("-scheduled-"))).toHaveLength(1);
    // The pre-update snapshot is the newest now, so the schedule counts from it.
    const calls = w.taken();
    await w.settle();
    expect(w.taken()).toBe(calls);
  });
});
