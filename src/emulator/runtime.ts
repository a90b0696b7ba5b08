import type { ApplicationConfigurationDescription } from "@aws-sdk/client-kinesis-analytics-v2";
import type { CodeLocation } from "./code-location.js";
import type { ApplicationMetrics } from "./flink/metrics.js";
import type { JobHealth } from "./job-health.js";

/**
 * What the emulator runs behind an application, and how to restore it. The service decides statuses,
 * versions, operations and snapshots records; the runtime only does the work and says when it is done.
 */
export interface RunSpec {
  application: string;
  /** The application's ARN (log records name it). */
  applicationArn?: string;
  versionId: number;
  runtimeEnvironment: string;
  /** The code in S3; undefined for inline (ZIPFILE bytes or text) code, which the emulator does not keep. */
  code?: CodeLocation;
  /** The version's whole configuration (a copy): properties, parallelism, checkpoints, run configuration. */
  configuration: ApplicationConfigurationDescription;
  /**
   * The snapshot to restore from, already resolved from the restore type: the named one for
   * RESTORE_FROM_CUSTOM_SNAPSHOT, the newest for RESTORE_FROM_LATEST_SNAPSHOT, none for SKIP or when there is
   * no snapshot. It may still be CREATING when the service has just asked for it (an update's snapshot).
   */
  restoreFrom?: string;
  allowNonRestoredState: boolean;
  /** CloudWatchLoggingOptions' log stream ARNs: where the job's log lines go (real Flink). */
  logStreamArns: string[];
}

/** A job that failed; `message` becomes the operation's `ErrorInfo.ErrorString`. */
export class RuntimeFailure extends Error {}

/**
 * The seam between the control plane and what runs an application (docs/emulator.md, "Runtimes"). Every
 * call returns a promise that resolves when the work is done or rejects with a RuntimeFailure whose message
 * the service reports. Calls for one application arrive one lifecycle step at a time; a lifecycle call
 * (start, redeploy, stop, rescale, release) supersedes the one in flight for that application, whose
 * promise the service then ignores. Snapshots run alongside: the service calls snapshot() before the
 * stop, redeploy or rescale that it snapshots for.
 */
export interface ApplicationRuntime {
  /** Starts the job; resolves once it runs. */
  start(run: RunSpec): Promise<void>;
  /** Replaces the running job with `run` (an update of a running application, or a rollback). */
  redeploy(run: RunSpec, cause: "update" | "rollback"): Promise<void>;
  /** Stops the job; `force` abandons whatever it was doing (StopApplication Force). */
  stop(application: string, how: { force: boolean }): Promise<void>;
  /** Takes a snapshot of the running job's state under `name`. */
  snapshot(application: string, name: string): Promise<void>;
  /**
   * Deletes what backs the snapshot `name` (DeleteApplicationSnapshot); the service has already checked
   * that it is READY or FAILED. Resolves when it is gone.
   */
  deleteSnapshot(application: string, name: string): Promise<void>;
  /** Changes the running job's parallelism (automatic scaling). */
  rescale(application: string, parallelism: number): Promise<void>;
  /** The application is being deleted: stop whatever runs and free everything held for it. */
  release(application: string): Promise<void>;
  /**
   * The running job's metrics under Managed Flink's names (docs/emulator.md, "Metrics"); undefined when
   * the runtime has none for it. Without this method the publisher reports only what the service knows.
   */
  metrics?(application: string): Promise<ApplicationMetrics | undefined>;
  /**
   * The admin API set the health of `version`'s job (docs/emulator.md, "Job health"); it applies whenever
   * that version runs. A runtime with real jobs makes a crash loop real; without this method the health
   * shows only in the published metrics.
   */
  jobHealth?(application: string, version: number, health: JobHealth): void;
  /** Stops everything at once (emulator reset or shutdown); pending promises may never settle. */
  shutdown(): Promise<void>;
}
