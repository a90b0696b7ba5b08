import type { Clock } from "./clock.js";

interface FakeTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/** 2026-01-01T00:00:00Z: a fixed start, so that runs are reproducible. */
const DEFAULT_START = Date.UTC(2026, 0, 1);

/**
 * A clock that moves only when told to. Timers run in due order (ties in the order they were set), and
 * after each one the promise chains it started are let settle, so a transition that schedules the next
 * one (ROLLING_BACK → ROLLED_BACK → RUNNING) completes within a single advance().
 */
export class FakeClock implements Clock {
  private time: number;
  private seq = 0;
  private timers: FakeTimer[] = [];

  constructor(start = DEFAULT_START) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(ms: number, fn: () => void): () => void {
    const timer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** Timers set and not yet run or cancelled. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, running every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const until = this.time + ms;
    for (let t = this.due(until); t; t = this.due(until)) await this.run(t);
    this.time = until;
  }

  /** Jumps to the earliest pending timer and runs it; false when there is none. */
  async next(): Promise<boolean> {
    const t = this.due(Number.POSITIVE_INFINITY);
    if (!t) return false;
    await this.run(t);
    return true;
  }

  private due(until: number): FakeTimer | undefined {
    let first: FakeTimer | undefined;
    for (const t of this.timers) {
      if (t.at > until) continue;
      if (!first || t.at < first.at || (t.at === first.at && t.seq < first.seq)) first = t;
    }
    return first;
  }

  private async run(timer: FakeTimer): Promise<void> {
    this.timers = this.timers.filter((t) => t !== timer);
    this.time = Math.max(this.time, timer.at);
    timer.fn();
    // setImmediate runs after every queued microtask, including those the callback's promises queue.
    await new Promise((resolve) => setImmediate(resolve));
  }
}
