import { randomBytes, randomUUID } from "node:crypto";
import type {
  ApplicationConfigurationDescription,
  CloudWatchLoggingOptionDescription,
} from "@aws-sdk/client-kinesis-analytics-v2";
import { type Clock, Timers } from "./clock.js";
import type { CodeLocationChecker } from "./code-location.js";
import { resourceInUse, resourceNotFound } from "./errors.js";
import type { JobHealthBook } from "./job-health.js";
import {
  type Action,
  type ApplicationStatus,
  DEFAULT_TIMINGS,
  isAllowed,
  type OperationStatus,
  type SnapshotStatus,
  type Timings,
} from "./lifecycle.js";
import type { ApplicationRuntime } from "./runtime.js";

/** Knobs the admin API can change at run time. */
export interface EmulatorSettings {
  timings: Timings;
  /**
   * Snapshots per application. The developer guide's quota page gives 1,000 snapshots per application
   * ("Managed Service for Apache Flink and Studio notebook quota").
   */
  snapshotCap: number;
  /** Applications per account and region: "You can create up to 100 … applications per Region" (same page). */
  applicationCap: number;
  /**
   * "complete" (the default) describes every configuration section. "sparse" answers DescribeApplication
   * the way some other Managed Flink emulators do — without the checkpoint and monitoring descriptions and
   * with only Parallelism and CurrentParallelism — so tests can show the operator treats what is not
   * reported as unknown, not as drift.
   */
  describe: "complete" | "sparse";
}

export const DEFAULT_SETTINGS: EmulatorSettings = {
  timings: DEFAULT_TIMINGS,
  snapshotCap: 1000,
  applicationCap: 100,
  describe: "complete",
};

/** Tags per application (developer guide, "Using tagging": a maximum of 50 tags per application). */
export const MAX_TAGS = 50;

export type Json = Record<string, unknown>;

export interface VersionContent {
  ApplicationDescription?: string;
  RuntimeEnvironment: string;
  ServiceExecutionRole: string;
  ApplicationMode: string;
  ApplicationConfigurationDescription: ApplicationConfigurationDescription;
  CloudWatchLoggingOptionDescriptions?: CloudWatchLoggingOptionDescription[];
}

export interface Version {
  id: number;
  token: string;
  createdAt: number;
  content: VersionContent;
  updatedFrom?: number;
  rolledBackFrom?: number;
  rolledBackTo?: number;
  /** The application's status when a later version replaced this one. */
  statusWhenReplaced?: ApplicationStatus;
}

export interface Snapshot {
  name: string;
  status: SnapshotStatus;
  versionId: number;
  createdAt: number;
  runtime: string;
}

export interface OperationRecord {
  OperationId: string;
  Operation: string;
  StartTime: number;
  EndTime?: number;
  OperationStatus: OperationStatus;
  ApplicationVersionChangeDetails?: {
    ApplicationVersionUpdatedFrom: number;
    ApplicationVersionUpdatedTo: number;
  };
  OperationFailureDetails?: { RollbackOperationId?: string; ErrorInfo?: { ErrorString: string } };
}

/** The transition in flight; replaced or cancelled whenever another call changes the status. */
export interface PendingTransition {
  /** The operation the transition will finish, if it belongs to one. */
  operation?: OperationRecord;
}

export interface Application {
  name: string;
  arn: string;
  createdAt: number;
  lastUpdatedAt: number;
  status: ApplicationStatus;
  versions: Version[];
  snapshots: Map<string, Snapshot>;
  operations: OperationRecord[];
  tags: Map<string, string>;
  pending?: PendingTransition;
  /** The job's health per version, as the admin API set it (job-health.ts); absent: always healthy. */
  jobHealth?: JobHealthBook;
}

/** The emulator's state: applications by name, the settings, and the clock all of it runs on. */
export class Store {
  readonly apps = new Map<string, Application>();
  /** Timers the control plane itself sets (not the runtime's), cancelled on reset. */
  readonly timers: Timers;

  constructor(
    readonly region: string,
    readonly accountId: string,
    readonly settings: EmulatorSettings,
    readonly clock: Clock,
  ) {
    this.timers = new Timers(clock);
  }

  now(): number {
    return this.clock.now();
  }

  app(name: unknown): Application {
    const app = this.apps.get(name as string);
    if (!app) throw resourceNotFound(`Application ${String(name)} does not exist`);
    return app;
  }

  appByArn(arn: unknown): Application {
    for (const a of this.apps.values()) if (a.arn === arn) return a;
    throw resourceNotFound(`Resource ${String(arn)} does not exist`);
  }

  arnFor(name: string): string {
    return `arn:aws:kinesisanalytics:${this.region}:${this.accountId}:application/${name}`;
  }

  reset(): void {
    this.timers.cancelAll();
    this.apps.clear();
  }
}

/** What every operation handler works with. */
export interface ServiceDeps {
  store: Store;
  runtime: ApplicationRuntime;
  codeChecker: CodeLocationChecker;
}

export type Handler = (deps: ServiceDeps, input: Json) => Json | Promise<Json>;

export function current(app: Application): Version {
  return app.versions[app.versions.length - 1]!;
}

export function requireStatus(app: Application, action: Action, verb: string): void {
  if (!isAllowed(action, app.status)) {
    throw resourceInUse(`Application ${app.name} is in ${app.status} status; cannot ${verb} it`);
  }
}

export function snapshotsEnabled(v: Version): boolean {
  return (
    v.content.ApplicationConfigurationDescription.ApplicationSnapshotConfigurationDescription
      ?.SnapshotsEnabled === true
  );
}

export function addVersion(
  store: Store,
  app: Application,
  content: VersionContent,
  lineage: { updatedFrom?: number; rolledBackFrom?: number; rolledBackTo?: number },
): Version {
  const prev = current(app);
  prev.statusWhenReplaced = app.status;
  const now = store.now();
  const v: Version = { id: prev.id + 1, token: newToken(), createdAt: now, content, ...lineage };
  app.versions.push(v);
  app.lastUpdatedAt = now;
  return v;
}

export function newToken(): string {
  return randomBytes(24).toString("base64");
}

export function shortId(prefix: string): string {
  return `${prefix}-${randomUUID().replaceAll("-", "").slice(0, 16)}`;
}
