// A key's way through the operator, stage by stage, for the scale benchmark (bench/scale.ts): the
// watch event arrives, the key is queued, a worker starts its reconcile, an AWS request waits for the
// budget's token and leaves. Off unless OPERATOR_TRACE_FILE names a file; then one JSON line per stage,
// through a buffered write stream, so that the operator is not slowed by its own measurement. Times are
// epoch milliseconds (Date.now), the clock the benchmark and the emulator stamp with too.
import { AsyncLocalStorage } from "node:async_hooks";
import { createWriteStream, type WriteStream } from "node:fs";

/** The stages, in the order one change passes them. */
export type TraceStage =
  | "watch" // the informer handed the operator an ADDED/MODIFIED event
  | "queued" // WorkQueue.add for the key (merged, raised or new)
  | "started" // a worker took the key
  | "token.wait" // an AWS request asks the budget for a token
  | "token" // the token was granted: the request leaves now
  | "status.sent" // a status write is sent to the API server
  | "status.answered" // … and answered
  | "event.sent" // an Event is created or patched
  | "event.answered"
  | "done"; // the reconcile returned

export interface TraceLine {
  t: number;
  stage: TraceStage;
  key: string;
  [detail: string]: unknown;
}

class LatencyTrace {
  private out: WriteStream | undefined;
  private readonly current = new AsyncLocalStorage<string>();

  /** Starts writing to `path` (appending). */
  open(path: string): void {
    this.out = createWriteStream(path, { flags: "a" });
  }

  get enabled(): boolean {
    return this.out !== undefined;
  }

  /** Records a stage for `key`, or for the key of the reconcile this runs in (see `within`). */
  mark(stage: TraceStage, key?: string, detail?: Record<string, unknown>): void {
    if (!this.out) return;
    const k = key ?? this.current.getStore();
    if (k === undefined) return;
    this.out.write(`${JSON.stringify({ t: Date.now(), stage, key: k, ...detail })}\n`);
  }

  /** Runs `fn` with `key` as the key of every mark without one (AWS middleware knows no key). */
  within<T>(key: string, fn: () => T): T {
    return this.out ? this.current.run(key, fn) : fn();
  }

  close(): void {
    this.out?.end();
    this.out = undefined;
  }
}

/** The process's one trace; main.ts opens it when OPERATOR_TRACE_FILE is set. */
export const latencyTrace = new LatencyTrace();
