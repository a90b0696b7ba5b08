/**
 * Exponential backoff with ±`jitterFraction` jitter, shared by the work queue, the informer and the
 * leader elector.
 *
 * Why not "full jitter" (uniform in [0, d], as in the AWS Architecture Blog's "Exponential Backoff And
 * Jitter")? Full jitter can return a delay close to zero on any attempt, so a key that fails forever
 * would sometimes be retried almost at once, a hot loop against AWS. ±20% keeps the growth monotonic in
 * expectation and still spreads a thundering herd (every object failing after an outage) over 40% of
 * the window. client-go's wait.Backoff uses the same shape (Jitter adds up to factor·d).
 */
export interface BackoffOptions {
  baseDelayMs: number;
  maxDelayMs: number;
  /** 0.2 means the delay is drawn uniformly from [0.8·d, 1.2·d], then capped at maxDelayMs. */
  jitterFraction?: number;
  /** Injectable for tests; Math.random by default. */
  random?: () => number;
}

const DEFAULT_JITTER_FRACTION = 0.2;

/** Delay before retry number `failures` (1 for the first retry): base·2^(failures-1), capped, jittered. */
export function backoffDelay(failures: number, opts: BackoffOptions): number {
  const jitter = opts.jitterFraction ?? DEFAULT_JITTER_FRACTION;
  const random = opts.random ?? Math.random;
  const exponent = Math.max(0, failures - 1);
  // 2^exponent overflows to Infinity long after it exceeded any sane cap; Math.min handles that.
  const nominal = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** exponent);
  const jittered = nominal * (1 - jitter + 2 * jitter * random());
  return Math.max(0, Math.min(opts.maxDelayMs, Math.round(jittered)));
}
