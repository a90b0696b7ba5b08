import { backoffDelay } from "./backoff.js";
import type { WorkQueueMetrics } from "./metrics.js";
import { latencyTrace } from "./trace.js";

/**
 * What a reconcile asks of the queue. `requeueAfterMs` is controller-runtime's `Result.RequeueAfter`;
 * `continueNow` says the pass only recorded progress and the next step can be planned at once, so the
 * key goes straight back into the queue at the priority it ran with, instead of waiting for its own
 * status write to come back through the watch.
 */
export interface ReconcileResult {
  requeueAfterMs?: number;
  continueNow?: boolean;
}

/**
 * Priorities of controller-runtime's priority queue (pkg/controller/priorityqueue, the default queue
 * since v0.23): higher runs first, ties in the order they were added. A change a user made gets the
 * default; the initial list and periodic resyncs get LowPriority (-100, handler.LowPriority), so a
 * spec change never waits behind a thousand "check AWS anyway" passes.
 */
export const NormalPriority = 0;
export const LowPriority = -100;

/** What the worker tells the handler about the pass it runs. */
export interface Pass {
  priority: number;
}

export interface WorkQueueOptions {
  /** How many different keys may be reconciled at once (controller-runtime's MaxConcurrentReconciles). */
  concurrency: number;
  handler: (key: string, pass: Pass) => Promise<ReconcileResult | undefined>;
  /**
   * How many workers low-priority keys may hold at once. Default concurrency - 1 (at least 1): one
   * worker is always free for a change, so it never waits for a resync pass (which may itself wait for
   * the AWS budget) to finish.
   */
  lowPriorityConcurrency?: number;
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
  priority: number;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * A work queue with client-go's workqueue semantics (k8s.io/client-go/util/workqueue, as used by
 * controller-runtime), ordered by priority as controller-runtime's priority queue orders it:
 *
 * - `dirty` maps the keys that need processing to their priority, `ready` holds those not being
 *   processed, one FIFO per priority, `processing` the keys a worker holds. An add of a key already
 *   dirty is a no-op (events merge) except that it raises the key's priority to the higher of the two,
 *   as priorityqueue.AddWithOpts does; an add of a key being processed only marks it dirty, and `done`
 *   puts it back in the queue — so a key is never reconciled twice at once, and a change seen
 *   mid-reconcile is never lost.
 * - Workers take the highest priority first; low-priority keys hold at most `lowPriorityConcurrency`
 *   workers (controller-runtime has no such reserve; without it, workers all parked on the AWS budget
 *   for resync passes would make a change wait for one of them).
 * - A failure re-adds the key after a per-key exponential delay (ItemExponentialFailureRateLimiter);
 *   a success forgets the key's failures (`Forget`), as controller-runtime's reconcileHandler does.
 * - `addAfter` is the delaying queue: a second addAfter for a key that is already waiting keeps the
 *   sooner deadline (delaying_queue.go only updates `readyAt` when the new one is earlier) and the
 *   higher priority (priorityqueue: "the max of the passed priorities and the min of possible durations").
 *
 * Unlike client-go, the delayed add and the failure delay share one timer per key; a plain `add` does
 * not cancel a pending delayed add (client-go does not either: the delayed add then fires and reconciles
 * once more, which is harmless for a level-triggered reconciler).
 */
export class WorkQueue {
  private readonly opts: Required<Pick<WorkQueueOptions, "baseDelayMs" | "maxDelayMs">> & WorkQueueOptions;
  /** Ready keys by priority; a Set keeps insertion order and deletes in O(1). */
  private readonly ready = new Map<number, Set<string>>();
  private readonly dirty = new Map<string, number>();
  /** Keys a worker holds, with the priority they run at. */
  private readonly processing = new Map<string, number>();
  private readonly delayed = new Map<string, Delayed>();
  private readonly failures = new Map<string, number>();
  private readonly lowPriorityConcurrency: number;
  private lowInFlight = 0;
  private started = false;
  private shuttingDown = false;
  private idleWaiters: Array<() => void> = [];

  constructor(opts: WorkQueueOptions) {
    if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) {
      throw new Error(`concurrency must be a positive integer, got ${opts.concurrency}`);
    }
    this.opts = { baseDelayMs: 500, maxDelayMs: 300_000, ...opts };
    this.lowPriorityConcurrency = opts.lowPriorityConcurrency ?? Math.max(1, opts.concurrency - 1);
  }

  /** Keys ready to be processed and waiting for a worker (client-go's Len()). */
  get depth(): number {
    let n = 0;
    for (const keys of this.ready.values()) n += keys.size;
    return n;
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

  add(key: string, priority = NormalPriority): void {
    if (this.shuttingDown) return;
    const was = this.dirty.get(key);
    latencyTrace.mark("queued", key, { priority, was, processing: this.processing.has(key) });
    if (was !== undefined) {
      if (priority <= was) return;
      this.dirty.set(key, priority);
      // Still waiting for a worker: move it up. Being processed: `done` requeues it at the new priority.
      if (this.bucket(was).delete(key)) this.bucket(priority).add(key);
      this.pump();
      return;
    }
    this.opts.metrics?.add(key);
    this.dirty.set(key, priority);
    if (this.processing.has(key)) return;
    this.bucket(priority).add(key);
    this.pump();
  }

  addAfter(key: string, ms: number, priority = NormalPriority): void {
    if (this.shuttingDown) return;
    // client-go counts every delayed add as a retry (delaying_queue.go), requeue-after included.
    this.opts.metrics?.retry();
    if (ms <= 0) {
      this.add(key, priority);
      return;
    }
    const readyAt = Date.now() + ms;
    const existing = this.delayed.get(key);
    if (existing) {
      existing.priority = Math.max(existing.priority, priority);
      if (existing.readyAt <= readyAt) return;
      clearTimeout(existing.timer);
    }
    const entry: Delayed = { readyAt, priority: Math.max(priority, existing?.priority ?? priority) };
    entry.timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key, entry.priority);
    }, ms);
    // A pending requeue must not keep a process alive that is otherwise done.
    entry.timer.unref?.();
    this.delayed.set(key, entry);
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
    this.ready.clear();
    this.dirty.clear();
    this.opts.metrics?.clear();
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private bucket(priority: number): Set<string> {
    let keys = this.ready.get(priority);
    if (!keys) {
      keys = new Set();
      this.ready.set(priority, keys);
    }
    return keys;
  }

  /** The ready key a worker should take next: highest priority, then first added. */
  private next(): { key: string; priority: number } | undefined {
    let best: number | undefined;
    for (const [priority, keys] of this.ready) {
      if (keys.size > 0 && (best === undefined || priority > best)) best = priority;
    }
    if (best === undefined) return undefined;
    const key = this.ready.get(best)!.values().next().value as string;
    return { key, priority: best };
  }

  private pump(): void {
    while (this.started && !this.shuttingDown && this.processing.size < this.opts.concurrency) {
      const item = this.next();
      if (!item) return;
      const low = item.priority < NormalPriority;
      // Only low-priority keys are left, and they hold their share of the workers already.
      if (low && this.lowInFlight >= this.lowPriorityConcurrency) return;
      if (low) this.lowInFlight++;
      this.ready.get(item.priority)!.delete(item.key);
      this.dirty.delete(item.key);
      this.processing.set(item.key, item.priority);
      this.opts.metrics?.get(item.key);
      void this.process(item.key, item.priority);
    }
  }

  private async process(key: string, priority: number): Promise<void> {
    try {
      let result: ReconcileResult | undefined;
      try {
        result = await this.opts.handler(key, { priority });
      } catch (err) {
        this.reportError(key, err);
        const failures = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, failures);
        this.addAfter(key, backoffDelay(failures, this.backoff()), priority);
        return;
      }
      this.failures.delete(key);
      // Marked dirty while the key is still processing; `done` puts it back at once.
      if (result?.continueNow) this.add(key, priority);
      const after = result?.requeueAfterMs;
      if (after !== undefined && after > 0) this.addAfter(key, after, priority);
    } finally {
      this.done(key);
    }
  }

  private done(key: string): void {
    this.opts.metrics?.done(key);
    if ((this.processing.get(key) ?? NormalPriority) < NormalPriority) this.lowInFlight--;
    this.processing.delete(key);
    if (this.shuttingDown) {
      if (this.processing.size === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
      return;
    }
    const priority = this.dirty.get(key);
    if (priority !== undefined) this.bucket(priority).add(key);
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

/**
 * When, within one resync period, the `index`-th of `total` keys gets its periodic pass: evenly spaced,
 * so that N keys cost N/period DescribeApplication calls a second instead of one burst of N when the
 * resync starts. client-go's SharedInformer hands out every object at the same instant; ACK spreads its
 * resyncs implicitly, by requeueing each resource a resync period after its own last reconcile. The
 * informer hands out its cache in insertion order, so a key keeps its place from one period to the
 * next (and moves by at most the keys added or removed before it).
 */
export function resyncOffsetMs(index: number, total: number, periodMs: number): number {
  return total > 0 ? Math.floor((index * periodMs) / total) : 0;
}
