import { backoffDelay } from "./backoff.js";
import type { WorkQueueMetrics } from "./metrics.js";

/**
 * What a reconcile asks of the queue: controller-runtime's `Result.RequeueAfter` and `Result.Requeue`
 * (run again as soon as this run is done, for a step that only recorded progress).
 */
export interface ReconcileResult {
  requeueAfterMs?: number;
  requeue?: boolean;
}

export interface WorkQueueOptions {
  /** How many different keys may be reconciled at once (controller-runtime's MaxConcurrentReconciles). */
  concurrency: number;
  handler: (key: string) => Promise<ReconcileResult | undefined>;
  /** First retry delay after a failure; doubles on each further consecutive failure of the same key. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Jitter fraction for the retry delay, see backoff.ts; 0 makes delays exact (tests). */
  jitterFraction?: number;
  random?: () => number;
  onError?: (key: string, err: unknown) => void;
  /** Told of every add, hand-out, completion and delayed add, as client-go's queue tells its metrics. */
  metrics?: WorkQueueMetrics;
}

interface Delayed {
  readyAt: number;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * A work queue with client-go's workqueue semantics (k8s.io/client-go/util/workqueue, as used by
 * controller-runtime):
 *
 * - `dirty` is the set of keys that need processing, `queue` the FIFO of those not being processed,
 *   `processing` the keys a worker holds. An add of a key already dirty is a no-op (events merge); an
 *   add of a key being processed only marks it dirty, and `done` puts it back in the queue — so a key is
 *   never reconciled twice at once, and a change seen mid-reconcile is never lost.
 * - A failure re-adds the key after a per-key exponential delay (ItemExponentialFailureRateLimiter);
 *   a success forgets the key's failures (`Forget`), as controller-runtime's reconcileHandler does.
 * - `addAfter` is the delaying queue: a second addAfter for a key that is already waiting keeps the
 *   sooner deadline (delaying_queue.go only updates `readyAt` when the new one is earlier).
 *
 * Unlike client-go, the delayed add and the failure delay share one timer per key; a plain `add` does
 * not cancel a pending delayed add (client-go does not either: the delayed add then fires and reconciles
 * once more, which is harmless for a level-triggered reconciler).
 */
export class WorkQueue {
  private readonly opts: Required<Pick<WorkQueueOptions, "baseDelayMs" | "maxDelayMs">> & WorkQueueOptions;
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly delayed = new Map<string, Delayed>();
  private readonly failures = new Map<string, number>();
  private started = false;
  private shuttingDown = false;
  private idleWaiters: Array<() => void> = [];

  constructor(opts: WorkQueueOptions) {
    if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) {
      throw new Error(`concurrency must be a positive integer, got ${opts.concurrency}`);
    }
    this.opts = { baseDelayMs: 500, maxDelayMs: 300_000, ...opts };
  }

  /** Keys ready to be processed and waiting for a worker (client-go's Len()). */
  get depth(): number {
    return this.queue.length;
  }

  /** Keys being reconciled right now. */
  get inFlight(): number {
    return this.processing.size;
  }

  /** Keys waiting for a delay (requeue-after or failure backoff) to expire. */
  get delayedCount(): number {
    return this.delayed.size;
  }

  /** Consecutive failures recorded for a key (0 after a success). */
  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.opts.metrics?.add(key);
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.queue.push(key);
    this.pump();
  }

  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    // client-go counts every delayed add as a retry (delaying_queue.go), requeue-after included.
    this.opts.metrics?.retry();
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const readyAt = Date.now() + ms;
    const existing = this.delayed.get(key);
    if (existing) {
      if (existing.readyAt <= readyAt) return;
      clearTimeout(existing.timer);
    }
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    // A pending requeue must not keep a process alive that is otherwise done.
    timer.unref?.();
    this.delayed.set(key, { readyAt, timer });
  }

  start(): void {
    if (this.shuttingDown) throw new Error("work queue was shut down");
    this.started = true;
    this.pump();
  }

  /** Stops handing out keys, drops pending delays, and resolves when in-flight reconciles finished. */
  shutdown(): Promise<void> {
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    this.queue.length = 0;
    this.dirty.clear();
    this.opts.metrics?.clear();
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.started && !this.shuttingDown && this.processing.size < this.opts.concurrency) {
      const key = this.queue.shift();
      if (key === undefined) return;
      this.dirty.delete(key);
      this.processing.add(key);
      this.opts.metrics?.get(key);
      void this.process(key);
    }
  }

  private async process(key: string): Promise<void> {
    try {
      let result: ReconcileResult | undefined;
      try {
        result = await this.opts.handler(key);
      } catch (err) {
        this.reportError(key, err);
        const failures = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, failures);
        this.addAfter(key, backoffDelay(failures, this.backoff()));
        return;
      }
      this.failures.delete(key);
      const after = result?.requeueAfterMs;
      if (after !== undefined && after > 0) this.addAfter(key, after);
      // Requeue now: runs again right after this run is done (the key is still processing, so dirty).
      else if (result?.requeue) this.add(key);
    } finally {
      this.done(key);
    }
  }

  private done(key: string): void {
    this.opts.metrics?.done(key);
    this.processing.delete(key);
    if (this.shuttingDown) {
      if (this.processing.size === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
      return;
    }
    if (this.dirty.has(key)) this.queue.push(key);
    this.pump();
  }

  private backoff() {
    return {
      baseDelayMs: this.opts.baseDelayMs,
      maxDelayMs: this.opts.maxDelayMs,
      jitterFraction: this.opts.jitterFraction,
      random: this.opts.random,
    };
  }

  private reportError(key: string, err: unknown): void {
    try {
      this.opts.onError?.(key, err);
    } catch {
      // A failing error reporter must not stop the key from being retried.
    }
  }
}
