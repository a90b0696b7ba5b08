import type { Clock } from "./clock.js";
import { Timers } from "./clock.js";
import type { Timings } from "./lifecycle.js";
import { type ApplicationRuntime, type RunSpec, RuntimeFailure } from "./runtime.js";

export type InjectableFailure = "start" | "update";

/**
 * The runtime without Flink: every step takes its configured duration on the clock and succeeds, unless a
 * failure was injected for the next start or update (the admin API's fail-next-start / fail-next-update).
 * Timings are read at each call, so changes through the admin API apply to the next transition.
 */
export class SimulatedRuntime implements ApplicationRuntime {
  private readonly timers: Timers;
  /** Per application, the cancel of the lifecycle step in flight. */
  private readonly inFlight = new Map<string, () => void>();
  private readonly failures = new Map<string, Partial<Record<InjectableFailure, string>>>();

  constructor(
    clock: Clock,
    private readonly timings: () => Timings,
  ) {
    this.timers = new Timers(clock);
  }

  /** The next `kind` of this application fails once the job would be up, with `reason`. */
  failNext(application: string, kind: InjectableFailure, reason: string): void {
    this.failures.set(application, { ...this.failures.get(application), [kind]: reason });
  }

  start(run: RunSpec): Promise<void> {
    return this.step(run.application, this.timings().startingMs, "start");
  }

  redeploy(run: RunSpec, cause: "update" | "rollback"): Promise<void> {
    const t = this.timings();
    return cause === "update"
      ? this.step(run.application, t.updatingMs, "update")
      : this.step(run.application, t.rollingBackMs);
  }

  stop(application: string, how: { force: boolean }): Promise<void> {
    const t = this.timings();
    return this.step(application, how.force ? t.forceStoppingMs : t.stoppingMs);
  }

  snapshot(_application: string, _name: string): Promise<void> {
    return this.timers.after(this.timings().snapshotMs);
  }

  async deleteSnapshot(_application: string, _name: string): Promise<void> {}

  rescale(application: string, _parallelism: number): Promise<void> {
    return this.step(application, this.timings().autoscalingMs);
  }

  release(application: string): Promise<void> {
    this.failures.delete(application);
    return this.step(application, this.timings().deletingMs);
  }

  async shutdown(): Promise<void> {
    this.timers.cancelAll();
    this.inFlight.clear();
    this.failures.clear();
  }

  /**
   * Waits `ms`, then fails if a failure of `kind` is pending. The failure is read when the step ends, as a
   * job that throws once deployed does; a step superseded before then leaves it for the next one.
   */
  private async step(application: string, ms: number, kind?: InjectableFailure): Promise<void> {
    this.inFlight.get(application)?.();
    let cancelled = false;
    const cancel = () => {
      cancelled = true;
    };
    this.inFlight.set(application, cancel);
    await this.timers.after(ms);
    if (cancelled) return new Promise(() => {});
    this.inFlight.delete(application);
    const reason = kind && this.failures.get(application)?.[kind];
    if (reason === undefined || !kind) return;
    delete this.failures.get(application)![kind];
    throw new RuntimeFailure(reason);
  }
}
