// Events correlated as client-go's EventCorrelator does: repeats patch a count, similar messages are
// combined, a flood from one object is cut off, and the caches stay bounded. Time is a variable.
import pino from "pino";
import { describe, expect, it } from "vitest";
import { EventRecorder } from "../../../src/controller/events.js";
import { type CoreEvent, EventCorrelator } from "../../../src/controller/runtime/event-correlator.js";
import { FakeKube, flinkApp } from "../controller/fakes.js";

let n = 0;
function event(message: string, over: Partial<CoreEvent> = {}, object = "orders"): CoreEvent {
  return {
    metadata: { name: `${object}.${n++}`, namespace: "team-a" },
    involvedObject: { kind: "FlinkApplication", namespace: "team-a", name: object, uid: `uid-${object}` },
    reason: "Updating",
    message,
    type: "Normal",
    source: { component: "managed-flink-operator", host: "pod-a" },
    firstTimestamp: "t0",
    lastTimestamp: "t0",
    count: 1,
    ...over,
  };
}

describe("EventCorrelator", () => {
  it("creates an Event once and patches its count and lastTimestamp on every repeat", () => {
    const c = new EventCorrelator({ now: () => 0 });
    const first = c.correlate(event("updating parallelism"));
    expect(first.action).toBe("create");
    const name = first.action === "create" ? first.event.metadata.name : "";
    for (let i = 2; i <= 5; i++) {
      const again = c.correlate(event("updating parallelism", { lastTimestamp: `t${i}` }));
      expect(again).toMatchObject({
        action: "patch",
        event: { metadata: { name }, count: i, firstTimestamp: "t0" },
        patch: { count: i, lastTimestamp: `t${i}` },
      });
    }
  });

  it("keeps different reasons and different objects apart", () => {
    const c = new EventCorrelator({ now: () => 0 });
    expect(c.correlate(event("x")).action).toBe("create");
    expect(c.correlate(event("x", { reason: "Stopping" })).action).toBe("create");
    expect(c.correlate(event("x", {}, "payments")).action).toBe("create");
    expect(c.correlate(event("x", { type: "Warning" })).action).toBe("create");
  });

  it("combines the 10th and later distinct messages of one reason into one Event", () => {
    const c = new EventCorrelator({ now: () => 0 });
    for (let i = 0; i < 9; i++) expect(c.correlate(event(`retry ${i}`)).action).toBe("create");
    const tenth = c.correlate(event("retry 9"));
    expect(tenth).toMatchObject({
      action: "create",
      event: { message: "(combined from similar events): retry 9" },
    });
    expect(c.correlate(event("retry 10"))).toMatchObject({
      action: "patch",
      patch: { count: 2, message: "(combined from similar events): retry 10" },
    });
  });

  it("starts counting similar messages afresh after the 10-minute window", () => {
    let now = 0;
    const c = new EventCorrelator({ now: () => now });
    for (let i = 0; i < 9; i++) c.correlate(event(`retry ${i}`));
    now = 600_001;
    expect(c.correlate(event("retry 9"))).toMatchObject({ action: "create", event: { message: "retry 9" } });
  });

  it("drops a flood from one object beyond a burst of 25, then lets one through every 5 minutes", () => {
    let now = 0;
    const c = new EventCorrelator({ now: () => now });
    const actions = Array.from({ length: 30 }, (_, i) => c.correlate(event(`m${i % 3}`)).action);
    expect(actions.filter((a) => a !== "drop")).toHaveLength(25);
    expect(c.correlate(event("m0", {}, "payments")).action).toBe("create");
    now = 299_000;
    expect(c.correlate(event("m0")).action).toBe("drop");
    now = 300_000;
    expect(c.correlate(event("m0")).action).toBe("patch");
  });

  it("holds at most maxEntries keys", () => {
    const c = new EventCorrelator({ now: () => 0, maxEntries: 100 });
    for (let i = 0; i < 1_000; i++) c.correlate(event("created", {}, `app-${i}`));
    expect(c.cachedKeys).toBe(100);
  });
});

describe("EventRecorder", () => {
  const silent = pino({ level: "silent" });

  it("writes one Event with count 3 for three identical records", async () => {
    const kube = new FakeKube(flinkApp());
    const recorder = new EventRecorder(kube, silent, "pod-a", { now: () => 0 });
    for (let i = 0; i < 3; i++) await recorder.record(kube.obj, "Warning", "Throttled", "slow down");
    expect(kube.events).toEqual([expect.objectContaining({ reason: "Throttled", count: 3 })]);
    expect(kube.eventPatches).toBe(2);
  });

  it("creates the Event again when the one it would patch has expired", async () => {
    const kube = new FakeKube(flinkApp());
    const recorder = new EventRecorder(kube, silent, "pod-a", { now: () => 0 });
    await recorder.record(kube.obj, "Normal", "Created", "created");
    kube.events.length = 0; // the API server's event TTL passed
    await recorder.record(kube.obj, "Normal", "Created", "created");
    expect(kube.events).toEqual([expect.objectContaining({ reason: "Created", count: 2 })]);
  });
});
