// The loop that reads every RUNNING application's job metrics on its own timer and keeps the newest
// samples, so that a reconcile judges the job from memory without calling CloudWatch itself. It never
// blocks a reconcile: one read in flight at a time, its AWS calls at low priority in the shared budget,
// and a key is queued only when its verdict changes (docs/adr/0018-job-health.md).
import type { Logger } from "pino";
import { isUnhealthy, judgeJob } from "./judge.js";
import type { ErrorLogReader } from "./logs.js";
import type { JobMetricsReader, ReadOutcome } from "./reader.js";
import type {
  HealthTarget,
  HealthThresholds,
  JobHealth,
  JobHealthSource,
  JobSamples,
  JobVerdict,
} from "./types.js";

/** Where the monitor reports each application's figures and verdict (the Prometheus gauges). */
export interface JobHealthMetrics {
  observe(key: string, health: JobHealth): void;
  /** The application is no longer read (deleted, stopped, checks disabled): its series go. */
  forget(key: string): void;
}

export interface HealthMonitorOptions {
  /** HEALTH_INTERVAL_SECONDS in ms; 0 turns health checks off (judge answers undefined). */
  intervalMs: number;
  /** The applications to read now, from the operator's informer cache. */
  targets: () => HealthTarget[];
  reader: Pick<JobMetricsReader, "read">;
  logs?: Pick<ErrorLogReader, "errorLines">;
  /** A key's verdict changed: the operator queues it (normal priority) to record it. */
  onChange: (key: string) => void;
  log: Logger;
  metrics?: JobHealthMetrics;
  now?: () => Date;
}

interface Entry {
  target: HealthTarget;
  /** The last successful read's samples (only its window). */
  samples: JobSamples;
  /** The last read attempt: the judge's "now", so that data ages out when reads fail. */
  checkedAt: Date;
  failure?: { kind: "denied" | "failed"; message: string };
  verdict?: JobVerdict;
  errorLines?: string[];
}

export class HealthMonitor implements JobHealthSource {
  private readonly entries = new Map<string, Entry>();
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  /** Aborted by stop(): a paced read in flight stops between calls. A new one per start (leadership). */
  private stopping = new AbortController();
  private readonly now: () => Date;

  constructor(private readonly o: HealthMonitorOptions) {
    if (!(o.intervalMs >= 0))
      throw new Error(`HEALTH_INTERVAL_SECONDS must be >= 0, got ${o.intervalMs / 1000}`);
    this.now = o.now ?? (() => new Date());
  }

  get enabled(): boolean {
    return this.o.intervalMs > 0;
  }

  /** Applications with samples held (bounded by the targets of the last read). */
  get size(): number {
    return this.entries.size;
  }

  /** Reads now and then every interval; does nothing when health checks are off. */
  start(): void {
    if (!this.enabled || this.timer) return;
    if (this.stopping.signal.aborted) this.stopping = new AbortController();
    void this.readOnce();
    this.timer = setInterval(() => void this.readOnce(), this.o.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.stopping.abort();
    await this.inFlight;
  }

  /** One read of every target; a read already in flight is joined, not doubled. */
  readOnce(): Promise<void> {
    this.inFlight ??= this.read()
      .catch((err: unknown) =>
        this.o.log.warn({ errorType: (err as Error)?.name }, "reading job metrics failed"),
      )
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
  }

  judge(key: string, thresholds: HealthThresholds, since?: Date): JobHealth | undefined {
    if (!this.enabled) return undefined;
    const e = this.entries.get(key);
    return e && this.healthOf(e, thresholds, since);
  }

  private healthOf(e: Entry, thresholds: HealthThresholds, since?: Date): JobHealth {
    const h = judgeJob(e.samples, thresholds, e.checkedAt, since);
    if (e.failure && h.verdict === "NoData") h.message = `${e.failure.message}; ${h.message}`;
    if (e.errorLines && h.verdict !== "Healthy") h.errorLines = e.errorLines;
    return h;
  }

  private async read(): Promise<void> {
    const now = this.now();
    const targets = this.o.targets();
    this.forgetAllBut(new Set(targets.map((t) => t.key)));
    if (targets.length === 0) return;
    const { signal } = this.stopping;
    const results = await this.o.reader.read(targets, now, signal);
    if (signal.aborted) return;
    const changed: Entry[] = [];
    // The new samples and their error lines are kept apart until both are read, then committed at
    // once: a reconcile judging in between sees the last read whole, never a crash loop without its lines.
    const fresh = new Map<string, Entry>();
    for (const t of targets) {
      const r = results.get(t.key);
      if (!r) continue;
      const e = this.record(t, r, now);
      fresh.set(t.key, e);
      const health = this.healthOf(e, t.thresholds);
      this.o.metrics?.observe(t.key, health);
      const before = e.verdict;
      e.verdict = health.verdict;
      if (health.verdict === "Healthy") e.errorLines = undefined;
      // A first verdict is news only when status records another one: an operator that restarts with
      // 1,000 healthy applications must not queue 1,000 reconciles ahead of users' changes, while a new
      // application (status: not read yet, NoData) must not wait for a resync to become Ready.
      const news = before === undefined ? health.verdict !== t.recorded : before !== health.verdict;
      if (news) {
        this.o.log.info(
          { key: t.key, from: before, to: health.verdict, reason: health.message },
          "job verdict changed",
        );
        changed.push(e);
      }
    }
    await this.readErrorLines(changed, targets, fresh);
    for (const [key, e] of fresh) this.entries.set(key, e);
    for (const e of changed) this.o.onChange(e.target.key);
  }

  /** The entry after this read outcome: a copy, committed by read() once the error lines are in. */
  private record(t: HealthTarget, r: ReadOutcome, now: Date): Entry {
    const e: Entry = { samples: {}, ...this.entries.get(t.key), target: t, checkedAt: now };
    if ("samples" in r) {
      e.samples = r.samples;
      e.failure = undefined;
    } else {
      // Denied: nothing is known. Failed (throttled, network): the last samples stay, and age out.
      if (r.error === "denied") e.samples = {};
      if (e.failure?.message !== r.message)
        this.o.log.warn({ key: t.key, reason: r.message }, "job metrics not read");
      e.failure = { kind: r.error, message: r.message };
    }
    return e;
  }

  /** Error lines for applications that just turned unhealthy, or are being verified and not healthy. */
  private async readErrorLines(
    changed: Entry[],
    targets: HealthTarget[],
    fresh: Map<string, Entry>,
  ): Promise<void> {
    if (!this.o.logs) return;
    const wanted = new Set(changed.filter((e) => isUnhealthy(e.verdict)).map((e) => e.target.key));
    for (const t of targets) {
      const v = fresh.get(t.key)?.verdict;
      if (t.stabilizing && v !== undefined && v !== "Healthy") wanted.add(t.key);
    }
    for (const key of wanted) {
      const e = fresh.get(key)!;
      const lines = await this.o.logs.errorLines(e.target);
      if (lines !== undefined) e.errorLines = lines;
    }
  }

  private forgetAllBut(keep: Set<string>): void {
    for (const key of this.entries.keys()) {
      if (keep.has(key)) continue;
      this.entries.delete(key);
      this.o.metrics?.forget(key);
    }
  }
}
