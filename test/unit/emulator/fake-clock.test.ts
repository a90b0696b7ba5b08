import { describe, expect, it } from "vitest";
import { Timers } from "../../../src/emulator/clock.js";
import { FakeClock } from "../../../src/emulator/fake-clock.js";

describe("FakeClock", () => {
  it("runs due timers in time order, ties in the order they were set, and stops at the target", async () => {
    const clock = new FakeClock(1000);
    const ran: string[] = [];
    clock.setTimer(30, () => ran.push(`b@${clock.now()}`));
    clock.setTimer(10, () => ran.push(`a@${clock.now()}`));
    clock.setTimer(30, () => ran.push(`c@${clock.now()}`));
    clock.setTimer(31, () => ran.push("late"));
    await clock.advance(30);
    expect(ran).toEqual(["a@1010", "b@1030", "c@1030"]);
    expect(clock.now()).toBe(1030);
    expect(clock.pending).toBe(1);
  });

  it("lets the promise chain a timer starts settle, so chained waits finish within one advance", async () => {
    const clock = new FakeClock(0);
    const timers = new Timers(clock);
    const seen: number[] = [];
    void timers
      .after(10)
      .then(() => seen.push(clock.now()))
      .then(() => timers.after(5))
      .then(() => seen.push(clock.now()));
    await clock.advance(15);
    expect(seen).toEqual([10, 15]);
  });

  it("cancels timers, singly and all at once", async () => {
    const clock = new FakeClock(0);
    let ran = 0;
    const cancel = clock.setTimer(5, () => ran++);
    cancel();
    const timers = new Timers(clock);
    void timers.after(5).then(() => ran++);
    timers.cancelAll();
    expect(await clock.next()).toBe(false);
    await clock.advance(100);
    expect(ran).toBe(0);
  });
});
