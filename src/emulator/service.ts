import { applicationOperations } from "./applications.js";
import type { Clock } from "./clock.js";
import { wallClock } from "./clock.js";
import type { CodeLocationChecker } from "./code-location.js";
import type { ApplicationStatus } from "./lifecycle.js";
import { DEFAULT_TIMINGS } from "./lifecycle.js";
import { presignedUrlOperations } from "./presigned-url.js";
import type { ApplicationRuntime } from "./runtime.js";
import { SimulatedRuntime } from "./simulated-runtime.js";
import { autoscale, failNext, forceStatus } from "./simulation.js";
import { snapshotOperations } from "./snapshots.js";
import {
  current,
  DEFAULT_SETTINGS,
  type EmulatorSettings,
  type Handler,
  type Json,
  type ServiceDeps,
  Store,
} from "./store.js";
import { tagOperations } from "./tags.js";
import { versionOperations } from "./versions.js";
import { vpcOperations } from "./vpc.js";

export { DEFAULT_SETTINGS, type EmulatorSettings } from "./store.js";

export interface RunningApplication {
  name: string;
  parallelism: number;
  parallelismPerKPU: number;
  /** Epoch ms of the operation that last left it RUNNING. */
  runningSince: number;
  now: number;
}

export interface ServiceOptions {
  region: string;
  accountId: string;
  codeChecker: CodeLocationChecker;
  settings?: Partial<EmulatorSettings>;
  /** The wall clock unless given; tests pass a FakeClock. */
  clock?: Clock;
  /** What runs behind each application; the simulated runtime (on `clock`) unless given. */
  runtime?: ApplicationRuntime;
}

/**
 * The Managed Flink control plane: one handler table over the resource modules (applications, snapshots,
 * versions and operations, tags), the admin hooks, and reset. Input reaching it has been validated against
 * the model already.
 */
export class ManagedFlinkService {
  readonly settings: EmulatorSettings;
  readonly operations: Record<string, (input: Json) => Promise<Json> | Json>;
  readonly runtime: ApplicationRuntime;
  private readonly deps: ServiceDeps;

  constructor(opts: ServiceOptions) {
    this.settings = {
      ...DEFAULT_SETTINGS,
      ...opts.settings,
      timings: { ...DEFAULT_TIMINGS, ...opts.settings?.timings },
    };
    const clock = opts.clock ?? wallClock;
    const store = new Store(opts.region, opts.accountId, this.settings, clock);
    const runtime = opts.runtime ?? new SimulatedRuntime(clock, () => this.settings.timings);
    this.runtime = runtime;
    this.deps = { store, runtime, codeChecker: opts.codeChecker };
    const handlers: Record<string, Handler> = {
      ...applicationOperations,
      ...snapshotOperations,
      ...versionOperations,
      ...tagOperations,
      ...presignedUrlOperations,
      ...vpcOperations,
    };
    this.operations = Object.fromEntries(
      Object.entries(handlers).map(([name, handler]) => [name, (input: Json) => handler(this.deps, input)]),
    );
  }

  failNextStart(name: string, reason = "Simulated failure: the Flink job failed to start"): void {
    failNext(this.deps, name, "start", reason);
  }

  failNextUpdate(name: string, reason = "Simulated failure: the Flink job failed after the update"): void {
    failNext(this.deps, name, "update", reason);
  }

  forceStatus(name: string, status: ApplicationStatus): void {
    forceStatus(this.deps, name, status);
  }

  autoscale(name: string, parallelism: number): void {
    autoscale(this.deps, name, parallelism);
  }

  /** Applications in RUNNING with what metrics need from their configuration (metrics-publisher.ts). */
  runningApplications(): RunningApplication[] {
    return [...this.deps.store.apps.values()]
      .filter((a) => a.status === "RUNNING")
      .map((a) => {
        const par =
          current(a).content.ApplicationConfigurationDescription.FlinkApplicationConfigurationDescription
            ?.ParallelismConfigurationDescription;
        const since = [...a.operations]
          .reverse()
          .find((o) => o.OperationStatus === "SUCCESSFUL" && o.EndTime !== undefined)?.EndTime;
        return {
          name: a.name,
          parallelism: par?.CurrentParallelism ?? par?.Parallelism ?? 1,
          parallelismPerKPU: par?.ParallelismPerKPU ?? 1,
          runningSince: since ?? a.lastUpdatedAt,
          now: this.deps.store.now(),
        };
      });
  }

  /** Removes every application and stops everything the runtime runs; settings are kept. */
  async reset(): Promise<void> {
    this.deps.store.reset();
    await this.deps.runtime.shutdown();
  }

  async close(): Promise<void> {
    await this.reset();
  }
}
