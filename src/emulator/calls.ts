/** One API call as received, for tests and users to assert on (`GET /_emulator/calls`). */
export interface RecordedCall {
  operation: string;
  input: unknown;
  error?: string;
  /** The call was applied and its response dropped by a "lost" fault. */
  responseLost?: boolean;
  at: string;
  /** The access key id the request was signed with (SigV4 Credential scope), when it was signed. */
  accessKeyId?: string;
  /** Position in arrival order, from 1; `GET /_emulator/calls?after=<seq>` returns only later calls. */
  seq?: number;
}

/** How many calls the log keeps by default: hours of one operator's steady state, a few MiB. */
export const defaultCallLogSize = 10_000;

/**
 * The calls received, newest `capacity` kept: a long-running emulator (a benchmark of 1,000
 * applications makes tens of thousands of calls) must not grow without bound. A reader that polls with
 * `after` sees every call as long as it polls before `capacity` newer ones arrived.
 */
export class CallLog {
  private calls: RecordedCall[] = [];
  private seq = 0;

  constructor(private readonly capacity = defaultCallLogSize) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`call log size must be >= 1, got ${capacity}`);
  }

  record(call: RecordedCall): void {
    this.calls.push({ ...call, seq: ++this.seq });
    // Dropping in steps of a tenth keeps the copy rare; the log holds at most 1.1 × capacity.
    if (this.calls.length > this.capacity * 1.1) this.calls = this.calls.slice(-this.capacity);
  }

  /** Calls in arrival order; only those after `seq` when given. */
  list(after = 0): RecordedCall[] {
    const first = this.calls.findIndex((c) => c.seq! > after);
    return first < 0 ? [] : this.calls.slice(first);
  }

  get size(): number {
    return this.calls.length;
  }

  clear(): void {
    this.calls = [];
  }
}
