/**
 * Time as the emulator sees it. Every timestamp it reports and every transition it runs goes through a
 * Clock, so production runs on the wall clock and tests on a FakeClock they advance explicitly.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once `ms` have passed on this clock; the returned function cancels it. */
  setTimer(ms: number, fn: () => void): () => void;
}

export const wallClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

/**
 * The timers one owner set, so that a reset or shutdown can cancel all of them at once; a cancelled
 * wait never settles, which is what its (discarded) waiter wants.
 */
export class Timers {
  private readonly cancels = new Set<() => void>();

  constructor(private readonly clock: Clock) {}

  /** Resolves after `ms` on the clock. */
  after(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const cancel = this.clock.setTimer(ms, () => {
        this.cancels.delete(cancel);
        resolve();
      });
      this.cancels.add(cancel);
    });
  }

  cancelAll(): void {
    for (const cancel of this.cancels) cancel();
    this.cancels.clear();
  }
}
