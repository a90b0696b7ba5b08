// The operator's AWS request budget: one token bucket shared by every reconcile, taken once per HTTP
// attempt (SDK retries included), so that a thousand applications never become a thousand calls in a
// second against an account that other tools share.
//
// What AWS documents: Managed Service for Apache Flink publishes resource quotas (applications, KPUs,
// snapshots: https://docs.aws.amazon.com/managed-flink/latest/java/limits.html and
// https://docs.aws.amazon.com/general/latest/gr/ka.html) but no per-operation request rate; a caller
// over the account's rate gets ThrottlingException (https://docs.aws.amazon.com/managed-flink/latest/apiv2/CommonErrors.html),
// and the rate is shared by every caller in the account and Region. AWS meters its control-plane APIs
// with token buckets (a bucket size and a refill rate, as the EC2 API documents for its own actions:
// https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html), so a client-side bucket
// that stays well below is the way not to be the caller that exhausts it. The SDK's adaptive retry mode
// (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html) only slows down after
// AWS has throttled; this bucket keeps us under the rate before that, and halves it when AWS throttles
// us anyway (someone else is using the account's share).

import type { FinalizeRequestMiddleware, MiddlewareStack } from "@smithy/types";

/** The work queue's NormalPriority (controller-runtime's default): a user's change, not a resync. */
const NormalPriority = 0;

export interface RequestBudgetOptions {
  /** Tokens added per second: the sustained AWS request rate. */
  ratePerSecond: number;
  /** Bucket size: how many requests may go at once after a quiet period. */
  burst: number;
  /** Milliseconds since some origin; injectable for tests. Default performance.now. */
  now?: () => number;
  /** After throttling, the rate never drops below this fraction of the configured rate. Default 1/8. */
  minRateFraction?: number;
  /** Each this long without throttling, a lowered rate doubles back towards the configured one. */
  recoveryMs?: number;
}

interface Waiter {
  resolve: () => void;
}

/**
 * A token bucket with two classes of waiters. A request for a user's change (priority >= normal) is
 * served before any waiting resync request, whenever a token comes; a resync request never overtakes a
 * change. Requests within one class are served in arrival order.
 */
export class RequestBudget {
  readonly configuredRate: number;
  readonly burst: number;
  private rate: number;
  private tokens: number;
  private refilledAt: number;
  private lastDecrease = Number.NEGATIVE_INFINITY;
  private lastChange: number;
  private readonly now: () => number;
  private readonly minRate: number;
  private readonly recoveryMs: number;
  private readonly changes: Waiter[] = [];
  private readonly resyncs: Waiter[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(opts: RequestBudgetOptions) {
    if (!(opts.ratePerSecond > 0)) throw new Error(`ratePerSecond must be > 0, got ${opts.ratePerSecond}`);
    if (!(opts.burst >= 1)) throw new Error(`burst must be >= 1, got ${opts.burst}`);
    this.configuredRate = opts.ratePerSecond;
    this.rate = opts.ratePerSecond;
    this.burst = opts.burst;
    this.tokens = opts.burst;
    this.now = opts.now ?? (() => performance.now());
    this.refilledAt = this.now();
    this.lastChange = this.refilledAt;
    this.minRate = opts.ratePerSecond * (opts.minRateFraction ?? 1 / 8);
    this.recoveryMs = opts.recoveryMs ?? 30_000;
  }

  /** The rate in force now: the configured one, or less after throttling. */
  get currentRate(): number {
    this.refill();
    return this.rate;
  }

  /** Requests waiting for a token. */
  get waiting(): number {
    return this.changes.length + this.resyncs.length;
  }

  /** Resolves when the request may go: at once while tokens last and nobody of its class waits. */
  take(priority: number = NormalPriority): Promise<void> {
    this.refill();
    const change = priority >= NormalPriority;
    const ahead = change ? this.changes.length : this.waiting;
    if (ahead === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      (change ? this.changes : this.resyncs).push({ resolve });
      this.schedule();
    });
  }

  /**
   * AWS throttled a request: someone else is using the account's rate too. Halve ours (at most once a
   * second, so that the requests already in flight when AWS started throttling count as one signal,
   * as TCP decreases once per window) and drop the saved-up burst.
   */
  throttled(): void {
    const now = this.now();
    this.refill();
    this.tokens = Math.min(this.tokens, 0);
    if (now - this.lastDecrease < 1_000) return;
    this.lastDecrease = now;
    this.lastChange = now;
    this.rate = Math.max(this.minRate, this.rate / 2);
  }

  /** Stops the timer; waiters are released so that no reconcile hangs on shutdown. */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of [...this.changes.splice(0), ...this.resyncs.splice(0)]) w.resolve();
  }

  private refill(): void {
    const now = this.now();
    while (this.rate < this.configuredRate && now - this.lastChange >= this.recoveryMs) {
      this.rate = Math.min(this.configuredRate, this.rate * 2);
      this.lastChange += this.recoveryMs;
    }
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) * this.rate) / 1000);
    this.refilledAt = now;
  }

  private schedule(): void {
    if (this.timer !== undefined || this.waiting === 0) return;
    const waitMs = Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.rate));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.drain();
    }, waitMs);
    // A pending token must not keep a process alive that is otherwise done.
    this.timer.unref?.();
  }

  private drain(): void {
    this.refill();
    while (this.tokens >= 1 && this.waiting > 0) {
      this.tokens -= 1;
      (this.changes.shift() ?? this.resyncs.shift())!.resolve();
    }
    this.schedule();
  }
}

/** Error names the SDK's own classifier counts as throttling (@smithy/service-error-classification). */
const throttlingNames = new Set([
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
  "ThrottledException",
  "SlowDown",
]);

export function isThrottling(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return throttlingNames.has(e?.name ?? "") || e?.$metadata?.httpStatusCode === 429;
}

/** The request budget an SDK client takes its tokens from, and the priority of the work it serves. */
export interface BudgetShare {
  budget: Pick<RequestBudget, "take" | "throttled">;
  priority: number;
}

/**
 * Every HTTP attempt of an SDK v3 client (retries included: the step runs after the retry middleware)
 * first takes a token; a throttled answer halves the budget's rate. Works on any client, since every v3
 * client has the same middleware stack (@smithy/types).
 */
export function budgetEveryAttempt<I extends object, O extends object>(
  client: { middlewareStack: MiddlewareStack<I, O> },
  { budget, priority }: BudgetShare,
): void {
  const takeToken: FinalizeRequestMiddleware<I, O> = (next) => async (args) => {
    await budget.take(priority);
    try {
      return await next(args);
    } catch (err) {
      if (isThrottling(err)) budget.throttled();
      throw err;
    }
  };
  client.middlewareStack.addRelativeTo(takeToken, {
    name: "requestBudget",
    relation: "after",
    toMiddleware: "retryMiddleware",
  });
}
