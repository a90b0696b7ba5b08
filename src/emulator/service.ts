import { applicationOperations } from "./applications.js";
import type { Clock } from "./clock.js";
import { wallClock } from "./clock.js";
import type { CodeLocationChecker } from "./code-location.js";
import { type HealthEpisode, healthOf, healthSince, type JobHealth, setHealth } from "./job-health.js";
import type { ApplicationStatus } from "./lifecycle.js";
import { DEFAULT_TIMINGS } from "./lifecycle.js";
import { loggingOperations } from "./logging.js";
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
  /** Epoch ms of the operation that last left it RUNNING: when its job started. */
  runningSince: number;
  now: number;
  arn?: string;
  versionId?: number;
  /** The running version's job health episodes (job-health.ts); none: always healthy. */
  episodes?: HealthEpisode[];
  /** The version's CheckpointInterval; undefined when checkpointing is off. */
  checkpointIntervalMs?: number;
  /** CloudWatchLoggingOptions' log stream ARNs. */
  logStreamArns?: string[];
}

/** What `GET /_emulator/applications/<name>/job` answers. */
export interface JobHealthReport {
  application: string;
  currentVersion: number;
  status: ApplicationStatus;
  versions: { version: number; health: JobHealth; since?: string }[];
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
      ...loggingOperations,
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

  /**
   * Puts `version` (the current one unless given) of the application's job into `health` from now on
   * (docs/emulator.md, "Job health"), and tells the runtime, which makes a real job crash-loop.
   */
  setJobHealth(name: string, health: JobHealth, version?: number): JobHealthReport {
    const app = this.deps.store.app(name);
    app.jobHealth ??= new Map();
    const id = version ?? current(app).id;
    setHealth(app.jobHealth, id, health, this.deps.store.now());
    this.deps.runtime.jobHealth?.(name, id, health);
    return this.jobHealth(name);
  }

  /** The job's health per version: every version that ever had one set, and the current one. */
  jobHealth(name: string): JobHealthReport {
    const app = this.deps.store.app(name);
    const book = app.jobHealth ?? new Map();
    const currentVersion = current(app).id;
    const ids = [...new Set([...book.keys(), currentVersion])].sort((a, b) => a - b);
    return {
      application: name,
      currentVersion,
      status: app.status,
      versions: ids.map((id) => {
        const since = healthSince(book, id);
        return {
          version: id,
          health: healthOf(book, id),
          ...(since !== undefined ? { since: new Date(since).toISOString() } : {}),
        };
      }),
    };
  }

  /** Applications in RUNNING with what metrics need from their configuration (metrics-publisher.ts). */
  runningApplications(): RunningApplication[] {
    return [...this.deps.store.apps.values()]
      .filter((a) => a.status === "RUNNING")
      .map((a) => {
        const version = current(a);
        const flink =
          version.content.ApplicationConfigurationDescription.FlinkApplicationConfigurationDescription;
        const par = flink?.ParallelismConfigurationDescription;
        const checkpoints = flink?.CheckpointConfigurationDescription;
        const since = [...a.operations]
          .reverse()
          .find((o) => o.OperationStatus === "SUCCESSFUL" && o.EndTime !== undefined)?.EndTime;
        return {
          name: a.name,
          arn: a.arn,
          versionId: version.id,
          parallelism: par?.CurrentParallelism ?? par?.Parallelism ?? 1,
          parallelismPerKPU: par?.ParallelismPerKPU ?? 1,
          runningSince: since ?? a.lastUpdatedAt,
          now: this.deps.store.now(),
          episodes: structuredClone(a.jobHealth?.get(version.id) ?? []),
          // Checkpointing is on unless turned off ("Apache Flink settings": enabled by default).
          ...(checkpoints?.CheckpointingEnabled !== false
            ? { checkpointIntervalMs: checkpoints?.CheckpointInterval ?? 60_000 }
            : {}),
          logStreamArns: (version.content.CloudWatchLoggingOptionDescriptions ?? [])
            .map((o) => o.LogStreamARN)
            .filter((arn): arn is string => typeof arn === "string"),
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
