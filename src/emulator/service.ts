import { randomBytes, randomUUID } from "node:crypto";
import type {
  ApplicationConfiguration,
  ApplicationConfigurationDescription,
  ApplicationConfigurationUpdate,
  ApplicationDetail,
  ApplicationRestoreConfiguration,
  CloudWatchLoggingOption,
  CloudWatchLoggingOptionDescription,
  CloudWatchLoggingOptionUpdate,
  FlinkRunConfiguration,
  Tag,
} from "@aws-sdk/client-kinesis-analytics-v2";
import type { CodeLocation, CodeLocationChecker } from "./code-location.js";
import {
  applyConfigurationUpdate,
  applyLoggingUpdates,
  describeConfiguration,
  describeLoggingOptions,
  runConfigurationDescription,
} from "./configuration.js";
import {
  codeValidation,
  concurrentModification,
  invalidApplicationConfiguration,
  invalidArgument,
  invalidRequest,
  limitExceeded,
  resourceInUse,
  resourceNotFound,
  ServiceError,
  tooManyTags,
} from "./errors.js";
import {
  type Action,
  type ApplicationStatus,
  DEFAULT_TIMINGS,
  isAllowed,
  type OperationStatus,
  type SnapshotStatus,
  type Timings,
} from "./lifecycle.js";

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
}

export const DEFAULT_SETTINGS: EmulatorSettings = {
  timings: DEFAULT_TIMINGS,
  snapshotCap: 1000,
  applicationCap: 100,
};

/** Tags per application (developer guide, "Using tagging": a maximum of 50 tags per application). */
const MAX_TAGS = 50;

type Json = Record<string, unknown>;

interface VersionContent {
  ApplicationDescription?: string;
  RuntimeEnvironment: string;
  ServiceExecutionRole: string;
  ApplicationMode: string;
  ApplicationConfigurationDescription: ApplicationConfigurationDescription;
  CloudWatchLoggingOptionDescriptions?: CloudWatchLoggingOptionDescription[];
}

interface Version {
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

interface Snapshot {
  name: string;
  status: SnapshotStatus;
  versionId: number;
  createdAt: number;
  runtime: string;
}

interface OperationRecord {
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

interface Application {
  name: string;
  arn: string;
  createdAt: number;
  lastUpdatedAt: number;
  status: ApplicationStatus;
  versions: Version[];
  snapshots: Map<string, Snapshot>;
  operations: OperationRecord[];
  tags: Map<string, string>;
  /** The pending transition; replaced or cleared whenever another call changes the status. */
  timer?: NodeJS.Timeout;
  /** The operation the pending transition will finish. */
  pendingOperation?: OperationRecord;
  failNextStart?: string;
  failNextUpdate?: string;
}

export interface ServiceOptions {
  region: string;
  accountId: string;
  codeChecker: CodeLocationChecker;
  settings?: Partial<EmulatorSettings>;
  now?: () => number;
}

const epochSeconds = (ms: number) => ms / 1000;

/**
 * The Managed Flink control plane: applications, versions, snapshots and operations, with timed lifecycle
 * transitions. Input reaching it has been validated against the model already.
 */
export class ManagedFlinkService {
  private readonly apps = new Map<string, Application>();
  private readonly timers = new Set<NodeJS.Timeout>();
  readonly settings: EmulatorSettings;
  private readonly now: () => number;

  constructor(private readonly opts: ServiceOptions) {
    this.settings = {
      ...DEFAULT_SETTINGS,
      ...opts.settings,
      timings: { ...DEFAULT_TIMINGS, ...opts.settings?.timings },
    };
    this.now = opts.now ?? Date.now;
  }

  readonly operations: Record<string, (input: Json) => Promise<Json> | Json> = {
    CreateApplication: (i) => this.createApplication(i),
    DescribeApplication: (i) => this.describeApplication(i),
    ListApplications: (i) => this.listApplications(i),
    UpdateApplication: (i) => this.updateApplication(i),
    StartApplication: (i) => this.startApplication(i),
    StopApplication: (i) => this.stopApplication(i),
    DeleteApplication: (i) => this.deleteApplication(i),
    CreateApplicationSnapshot: (i) => this.createApplicationSnapshot(i),
    DescribeApplicationSnapshot: (i) => this.describeApplicationSnapshot(i),
    ListApplicationSnapshots: (i) => this.listApplicationSnapshots(i),
    DeleteApplicationSnapshot: (i) => this.deleteApplicationSnapshot(i),
    RollbackApplication: (i) => this.rollbackApplication(i),
    ListApplicationVersions: (i) => this.listApplicationVersions(i),
    DescribeApplicationVersion: (i) => this.describeApplicationVersion(i),
    ListApplicationOperations: (i) => this.listApplicationOperations(i),
    DescribeApplicationOperation: (i) => this.describeApplicationOperation(i),
    TagResource: (i) => this.tagResource(i),
    UntagResource: (i) => this.untagResource(i),
    ListTagsForResource: (i) => this.listTagsForResource(i),
  };

  // ---------------------------------------------------------------- applications

  private async createApplication(input: Json): Promise<Json> {
    const name = input.ApplicationName as string;
    if (this.apps.has(name)) throw resourceInUse(`Application ${name} already exists`);
    if (this.apps.size >= this.settings.applicationCap) {
      throw limitExceeded(`Number of applications exceeds the limit of ${this.settings.applicationCap}`);
    }
    const tags = (input.Tags as Tag[] | undefined) ?? [];
    if (tags.length > MAX_TAGS) throw tooManyTags(`Number of tags exceeds the limit of ${MAX_TAGS}`);
    const cfg = input.ApplicationConfiguration as ApplicationConfiguration | undefined;
    const s3 = cfg?.ApplicationCodeConfiguration?.CodeContent?.S3ContentLocation;
    // CreateApplication does not list InvalidApplicationConfigurationException; a bad code location is an
    // invalid argument there (docs/emulator.md).
    if (s3) await this.requireCode(s3, invalidArgument);
    requireZipArchive(
      cfg?.ApplicationCodeConfiguration?.CodeContentType,
      cfg?.ApplicationCodeConfiguration?.CodeContent?.ZipFileContent,
    );
    const now = this.now();
    const content: VersionContent = {
      RuntimeEnvironment: input.RuntimeEnvironment as string,
      ServiceExecutionRole: input.ServiceExecutionRole as string,
      ApplicationMode: (input.ApplicationMode as string | undefined) ?? "STREAMING",
      ApplicationConfigurationDescription: describeConfiguration(cfg, () => this.shortId("vpc")),
      ...(input.ApplicationDescription !== undefined
        ? { ApplicationDescription: input.ApplicationDescription as string }
        : {}),
    };
    const logging = describeLoggingOptions(
      input.CloudWatchLoggingOptions as CloudWatchLoggingOption[] | undefined,
      () => this.shortId("log"),
    );
    if (logging) content.CloudWatchLoggingOptionDescriptions = logging;
    const app: Application = {
      name,
      arn: `arn:aws:kinesisanalytics:${this.opts.region}:${this.opts.accountId}:application/${name}`,
      createdAt: now,
      lastUpdatedAt: now,
      status: "READY",
      versions: [{ id: 1, token: this.token(), createdAt: now, content }],
      snapshots: new Map(),
      operations: [],
      tags: new Map(tags.map((t) => [t.Key!, t.Value ?? ""])),
    };
    this.apps.set(name, app);
    return { ApplicationDetail: this.detail(app) };
  }

  private describeApplication(input: Json): Json {
    return { ApplicationDetail: this.detail(this.app(input.ApplicationName)) };
  }

  private listApplications(input: Json): Json {
    const limit = (input.Limit as number | undefined) ?? 50;
    const after = input.NextToken as string | undefined;
    // ListApplications' NextToken is an ApplicationName in the model: the last name of the previous page.
    const names = [...this.apps.keys()].sort().filter((n) => after === undefined || n > after);
    const page = names.slice(0, limit);
    const out: Json = {
      ApplicationSummaries: page.map((n) => {
        const a = this.apps.get(n)!;
        const v = this.current(a);
        return {
          ApplicationName: a.name,
          ApplicationARN: a.arn,
          ApplicationStatus: a.status,
          ApplicationVersionId: v.id,
          RuntimeEnvironment: v.content.RuntimeEnvironment,
          ApplicationMode: v.content.ApplicationMode,
        };
      }),
    };
    if (names.length > limit) out.NextToken = page[page.length - 1];
    return out;
  }

  private async updateApplication(input: Json): Promise<Json> {
    const app = this.app(input.ApplicationName);
    const current = this.current(app);
    const versionId = input.CurrentApplicationVersionId as number | undefined;
    const token = input.ConditionalToken as string | undefined;
    if (versionId === undefined && token === undefined) {
      // The API reference: "You must provide the CurrentApplicationVersionId or the ConditionalToken."
      throw invalidArgument("Either CurrentApplicationVersionId or ConditionalToken must be provided");
    }
    if (versionId !== undefined && versionId !== current.id) {
      throw concurrentModification(
        `Provided CurrentApplicationVersionId ${versionId} does not match the current application version ${current.id}`,
      );
    }
    if (token !== undefined && token !== current.token) {
      throw concurrentModification(
        "Provided ConditionalToken does not match the application's current token",
      );
    }
    this.requireStatus(app, "update", "update");
    const runUpdate = input.RunConfigurationUpdate as
      | {
          ApplicationRestoreConfiguration?: ApplicationRestoreConfiguration;
          FlinkRunConfiguration?: FlinkRunConfiguration;
        }
      | undefined;
    if (runUpdate?.ApplicationRestoreConfiguration)
      this.requireRestorable(app, runUpdate.ApplicationRestoreConfiguration);
    const cfgUpdate = input.ApplicationConfigurationUpdate as ApplicationConfigurationUpdate | undefined;
    requireZipArchive(
      cfgUpdate?.ApplicationCodeConfigurationUpdate?.CodeContentTypeUpdate ?? "ZIPFILE",
      cfgUpdate?.ApplicationCodeConfigurationUpdate?.CodeContentUpdate?.ZipFileContentUpdate,
    );
    let config = applyConfigurationUpdate(current.content.ApplicationConfigurationDescription, cfgUpdate);
    if (cfgUpdate?.ApplicationCodeConfigurationUpdate?.CodeContentUpdate?.S3ContentLocationUpdate) {
      const loc =
        config.ApplicationCodeConfigurationDescription?.CodeContentDescription
          ?.S3ApplicationCodeLocationDescription;
      if (loc) await this.requireCode(loc, invalidArgument);
    }
    if (runUpdate) {
      config = {
        ...config,
        RunConfigurationDescription: runConfigurationDescription(
          config.RunConfigurationDescription,
          runUpdate.ApplicationRestoreConfiguration,
          runUpdate.FlinkRunConfiguration,
        ),
      };
    }
    const content: VersionContent = {
      ...structuredClone(current.content),
      ApplicationConfigurationDescription: config,
    };
    if (input.ServiceExecutionRoleUpdate)
      content.ServiceExecutionRole = input.ServiceExecutionRoleUpdate as string;
    if (input.RuntimeEnvironmentUpdate) content.RuntimeEnvironment = input.RuntimeEnvironmentUpdate as string;
    const logging = applyLoggingUpdates(
      content.CloudWatchLoggingOptionDescriptions,
      input.CloudWatchLoggingOptionUpdates as CloudWatchLoggingOptionUpdate[] | undefined,
    );
    if (logging) content.CloudWatchLoggingOptionDescriptions = logging;

    const next = this.addVersion(app, content, { updatedFrom: current.id });
    const op = this.startOperation(app, "UpdateApplication", { from: current.id, to: next.id });
    if (app.status === "READY") {
      // Nothing runs, so nothing can fail: the new configuration is simply stored.
      this.finishOperation(op, "SUCCESSFUL");
    } else {
      if (this.snapshotsEnabled(current)) this.takeSystemSnapshot(app, current, "update");
      this.setStatus(app, "UPDATING");
      this.schedule(app, op, this.settings.timings.updatingMs, () => {
        const failure = app.failNextUpdate;
        if (failure === undefined) {
          this.setStatus(app, "RUNNING");
          this.finishOperation(op, "SUCCESSFUL");
          return;
        }
        app.failNextUpdate = undefined;
        this.failRunningUpdate(app, op, current.id, failure);
      });
    }
    return { ApplicationDetail: this.detail(app), OperationId: op.OperationId };
  }

  /**
   * A redeploy that failed. With system rollback enabled the service "automatically initiates a
   * RollbackApplication operation" to the previous running version; without it "your application will be
   * placed into the READY state" (developer guide: "Enable system rollbacks", "System rollback best practices").
   */
  private failRunningUpdate(app: Application, op: OperationRecord, previousId: number, reason: string): void {
    const failed = this.current(app);
    if (
      failed.content.ApplicationConfigurationDescription.ApplicationSystemRollbackConfigurationDescription
        ?.RollbackEnabled
    ) {
      const rollback = this.beginRollback(app, previousId, "RollbackApplication");
      this.finishOperation(op, "FAILED", {
        RollbackOperationId: rollback.OperationId,
        ErrorInfo: { ErrorString: reason },
      });
      return;
    }
    this.setStatus(app, "READY");
    this.finishOperation(op, "FAILED", { ErrorInfo: { ErrorString: reason } });
  }

  private async startApplication(input: Json): Promise<Json> {
    const app = this.app(input.ApplicationName);
    this.requireStatus(app, "start", "start");
    const run = input.RunConfiguration as
      | {
          ApplicationRestoreConfiguration?: ApplicationRestoreConfiguration;
          FlinkRunConfiguration?: FlinkRunConfiguration;
        }
      | undefined;
    if (run?.ApplicationRestoreConfiguration)
      this.requireRestorable(app, run.ApplicationRestoreConfiguration);
    const version = this.current(app);
    const config = version.content.ApplicationConfigurationDescription;
    const code = config.ApplicationCodeConfigurationDescription;
    if (!code?.CodeContentDescription) {
      throw invalidApplicationConfiguration(
        "Application has no code configuration; add ApplicationCodeConfiguration first",
      );
    }
    const loc = code.CodeContentDescription.S3ApplicationCodeLocationDescription;
    if (loc) await this.requireCode(loc, invalidApplicationConfiguration);
    // Start parameters belong to the run, not to a version: StartApplication does not change ApplicationVersionId.
    if (run) {
      config.RunConfigurationDescription = runConfigurationDescription(
        config.RunConfigurationDescription,
        run.ApplicationRestoreConfiguration,
        run.FlinkRunConfiguration,
      );
    }
    const par = config.FlinkApplicationConfigurationDescription?.ParallelismConfigurationDescription;
    if (par) par.CurrentParallelism = par.Parallelism ?? 1;
    const op = this.startOperation(app, "StartApplication");
    this.setStatus(app, "STARTING");
    this.schedule(app, op, this.settings.timings.startingMs, () => {
      const failure = app.failNextStart;
      if (failure !== undefined) {
        app.failNextStart = undefined;
        this.setStatus(app, "READY");
        this.finishOperation(op, "FAILED", { ErrorInfo: { ErrorString: failure } });
        return;
      }
      this.setStatus(app, "RUNNING");
      this.finishOperation(op, "SUCCESSFUL");
    });
    return { OperationId: op.OperationId };
  }

  private stopApplication(input: Json): Json {
    const app = this.app(input.ApplicationName);
    const force = input.Force === true;
    const version = this.current(app);
    if (force) {
      if (version.content.RuntimeEnvironment === "SQL-1_0") {
        throw new ServiceError(
          "UnsupportedOperationException",
          "Force stop is not supported for SQL applications",
        );
      }
      this.requireStatus(app, "forceStop", "force stop");
      this.cancelPending(app);
      const op = this.startOperation(app, "StopApplication");
      this.setStatus(app, "FORCE_STOPPING");
      this.schedule(app, op, this.settings.timings.forceStoppingMs, () => {
        this.setStatus(app, "READY");
        this.finishOperation(op, "SUCCESSFUL");
      });
      return { OperationId: op.OperationId };
    }
    this.requireStatus(app, "stop", "stop");
    const op = this.startOperation(app, "StopApplication");
    // "Managed Service for Apache Flink takes a snapshot when the application is stopped, unless Force is set
    // to true" (StopApplication, API reference) — when snapshots are enabled.
    if (this.snapshotsEnabled(version)) this.takeSystemSnapshot(app, version, "stop");
    this.setStatus(app, "STOPPING");
    this.schedule(app, op, this.settings.timings.stoppingMs, () => {
      this.setStatus(app, "READY");
      this.finishOperation(op, "SUCCESSFUL");
    });
    return { OperationId: op.OperationId };
  }

  private deleteApplication(input: Json): Json {
    const app = this.app(input.ApplicationName);
    if (!sameInstant(input.CreateTimestamp as number, epochSeconds(app.createdAt))) {
      throw invalidArgument(`CreateTimestamp does not match the creation time of application ${app.name}`);
    }
    this.requireStatus(app, "delete", "delete");
    this.cancelPending(app);
    this.setStatus(app, "DELETING");
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (this.apps.get(app.name) === app) this.apps.delete(app.name);
    }, this.settings.timings.deletingMs);
    this.timers.add(t);
    app.timer = t;
    return {};
  }

  private rollbackApplication(input: Json): Json {
    const app = this.app(input.ApplicationName);
    const current = this.current(app);
    if (current.content.RuntimeEnvironment === "SQL-1_0") {
      throw new ServiceError(
        "UnsupportedOperationException",
        "RollbackApplication is not supported for SQL applications",
      );
    }
    if (input.CurrentApplicationVersionId !== current.id) {
      throw concurrentModification(
        `Provided CurrentApplicationVersionId ${input.CurrentApplicationVersionId} does not match the current application version ${current.id}`,
      );
    }
    this.requireStatus(app, "rollback", "roll back");
    const target = this.previousRunningVersion(app, current);
    if (target === undefined)
      throw invalidRequest(`Application ${app.name} has no previous version to roll back to`);
    // "If the application has no snapshots, Managed Service for Apache Flink rejects the rollback request."
    if (![...app.snapshots.values()].some((s) => s.status === "READY")) {
      throw invalidRequest(`Application ${app.name} has no snapshots to roll back with`);
    }
    this.cancelPending(app);
    const op = this.beginRollback(app, target, "RollbackApplication");
    return { ApplicationDetail: this.detail(app), OperationId: op.OperationId };
  }

  /** ROLLING_BACK → ROLLED_BACK → RUNNING on a new version that carries the target version's configuration. */
  private beginRollback(app: Application, targetId: number, operation: string): OperationRecord {
    const from = this.current(app);
    const target = app.versions.find((v) => v.id === targetId)!;
    const next = this.addVersion(app, structuredClone(target.content), {
      rolledBackFrom: from.id,
      rolledBackTo: target.id,
    });
    const op = this.startOperation(app, operation, { from: from.id, to: next.id });
    this.setStatus(app, "ROLLING_BACK");
    this.schedule(app, op, this.settings.timings.rollingBackMs, () => {
      this.setStatus(app, "ROLLED_BACK");
      this.schedule(app, op, this.settings.timings.rolledBackMs, () => {
        this.setStatus(app, "RUNNING");
        this.finishOperation(op, "SUCCESSFUL");
      });
    });
    return op;
  }

  /** The version the current one replaced: the one an update came from, or the one a rollback went back to. */
  private previousRunningVersion(app: Application, current: Version): number | undefined {
    if (current.rolledBackTo !== undefined) {
      return app.versions.find((v) => v.id === current.rolledBackTo)?.updatedFrom;
    }
    return current.updatedFrom;
  }

  // ---------------------------------------------------------------- snapshots

  private createApplicationSnapshot(input: Json): Json {
    const app = this.app(input.ApplicationName);
    const version = this.current(app);
    if (version.content.RuntimeEnvironment === "SQL-1_0") {
      throw new ServiceError(
        "UnsupportedOperationException",
        "Snapshots are not supported for SQL applications",
      );
    }
    if (!this.snapshotsEnabled(version)) {
      throw invalidApplicationConfiguration(`Snapshots are not enabled for application ${app.name}`);
    }
    this.requireStatus(app, "createSnapshot", "create a snapshot of");
    const name = input.SnapshotName as string;
    if (app.snapshots.has(name))
      throw resourceInUse(`Snapshot ${name} already exists for application ${app.name}`);
    // "If your application reaches the limit on snapshots, then manually creating a snapshot fails with a
    // LimitExceededException" (developer guide, "Manage application backups using snapshots").
    if (app.snapshots.size >= this.settings.snapshotCap) {
      throw limitExceeded(
        `Application ${app.name} has reached the limit of ${this.settings.snapshotCap} snapshots`,
      );
    }
    this.addSnapshot(app, name, version);
    return {};
  }

  private describeApplicationSnapshot(input: Json): Json {
    const app = this.app(input.ApplicationName);
    return { SnapshotDetails: this.snapshotDetails(this.snapshot(app, input.SnapshotName as string)) };
  }

  private listApplicationSnapshots(input: Json): Json {
    const name = input.ApplicationName as string;
    const app = this.apps.get(name);
    // The model lists no ResourceNotFoundException for ListApplicationSnapshots: an unknown application is an
    // invalid argument.
    if (!app) throw invalidArgument(`Application ${name} does not exist`);
    const all = [...app.snapshots.values()].sort((a, b) => a.createdAt - b.createdAt);
    return this.page(
      all.map((s) => this.snapshotDetails(s)),
      input,
      "SnapshotSummaries",
    );
  }

  private deleteApplicationSnapshot(input: Json): Json {
    const app = this.app(input.ApplicationName);
    const snap = this.snapshot(app, input.SnapshotName as string);
    if (!sameInstant(input.SnapshotCreationTimestamp as number, epochSeconds(snap.createdAt))) {
      throw invalidArgument(
        `SnapshotCreationTimestamp does not match the creation time of snapshot ${snap.name}`,
      );
    }
    if (snap.status !== "READY" && snap.status !== "FAILED") {
      throw resourceInUse(`Snapshot ${snap.name} is ${snap.status}`);
    }
    app.snapshots.delete(snap.name);
    return {};
  }

  private addSnapshot(app: Application, name: string, version: Version): Snapshot {
    const snap: Snapshot = {
      name,
      status: "CREATING",
      versionId: version.id,
      createdAt: this.now(),
      runtime: version.content.RuntimeEnvironment,
    };
    app.snapshots.set(name, snap);
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (snap.status === "CREATING") snap.status = "READY";
    }, this.settings.timings.snapshotMs);
    this.timers.add(t);
    return snap;
  }

  /**
   * Snapshots the service takes itself on stop, update and scaling. AWS does not document their names;
   * the emulator names them after the trigger and the time (docs/emulator.md). They count towards the cap
   * but are taken even above it ("Managed Service for Apache Flink still successfully creates snapshots
   * when the application is updated, scaled, or stopped").
   */
  private takeSystemSnapshot(app: Application, version: Version, trigger: "stop" | "update" | "scale"): void {
    let name = `${trigger}-${this.now()}`;
    for (let i = 1; app.snapshots.has(name); i++) name = `${trigger}-${this.now()}-${i}`;
    this.addSnapshot(app, name, version);
  }

  private snapshotDetails(s: Snapshot): Json {
    return {
      SnapshotName: s.name,
      SnapshotStatus: s.status,
      ApplicationVersionId: s.versionId,
      SnapshotCreationTimestamp: epochSeconds(s.createdAt),
      RuntimeEnvironment: s.runtime,
    };
  }

  // ---------------------------------------------------------------- versions and operations

  private listApplicationVersions(input: Json): Json {
    const app = this.app(input.ApplicationName);
    const summaries = [...app.versions].reverse().map((v) => ({
      ApplicationVersionId: v.id,
      ApplicationStatus: v === this.current(app) ? app.status : (v.statusWhenReplaced ?? "READY"),
    }));
    return this.page(summaries, input, "ApplicationVersionSummaries");
  }

  private describeApplicationVersion(input: Json): Json {
    const app = this.app(input.ApplicationName);
    const version = app.versions.find((v) => v.id === input.ApplicationVersionId);
    if (!version) {
      throw resourceNotFound(
        `Version ${input.ApplicationVersionId} of application ${app.name} does not exist`,
      );
    }
    return { ApplicationVersionDetail: this.detail(app, version) };
  }

  private listApplicationOperations(input: Json): Json {
    const app = this.app(input.ApplicationName);
    const ops = [...app.operations]
      .reverse()
      .filter((o) => input.Operation === undefined || o.Operation === input.Operation)
      .filter((o) => input.OperationStatus === undefined || o.OperationStatus === input.OperationStatus)
      .map((o) => ({
        Operation: o.Operation,
        OperationId: o.OperationId,
        StartTime: epochSeconds(o.StartTime),
        ...(o.EndTime !== undefined ? { EndTime: epochSeconds(o.EndTime) } : {}),
        OperationStatus: o.OperationStatus,
      }));
    return this.page(ops, input, "ApplicationOperationInfoList");
  }

  private describeApplicationOperation(input: Json): Json {
    const app = this.app(input.ApplicationName);
    const op = app.operations.find((o) => o.OperationId === input.OperationId);
    if (!op)
      throw resourceNotFound(`Operation ${input.OperationId} does not exist for application ${app.name}`);
    return {
      ApplicationOperationInfoDetails: {
        Operation: op.Operation,
        StartTime: epochSeconds(op.StartTime),
        // EndTime is required in ApplicationOperationInfoDetails; while in progress it is the start time.
        EndTime: epochSeconds(op.EndTime ?? op.StartTime),
        OperationStatus: op.OperationStatus,
        ...(op.ApplicationVersionChangeDetails
          ? { ApplicationVersionChangeDetails: op.ApplicationVersionChangeDetails }
          : {}),
        ...(op.OperationFailureDetails ? { OperationFailureDetails: op.OperationFailureDetails } : {}),
      },
    };
  }

  // ---------------------------------------------------------------- tags

  private appByArn(arn: unknown): Application {
    for (const a of this.apps.values()) if (a.arn === arn) return a;
    throw resourceNotFound(`Resource ${String(arn)} does not exist`);
  }

  private tagResource(input: Json): Json {
    const app = this.appByArn(input.ResourceARN);
    const next = new Map(app.tags);
    for (const t of input.Tags as Tag[]) next.set(t.Key!, t.Value ?? "");
    if (next.size > MAX_TAGS) throw tooManyTags(`Number of tags exceeds the limit of ${MAX_TAGS}`);
    app.tags = next;
    return {};
  }

  private untagResource(input: Json): Json {
    const app = this.appByArn(input.ResourceARN);
    for (const k of input.TagKeys as string[]) app.tags.delete(k);
    return {};
  }

  private listTagsForResource(input: Json): Json {
    const app = this.appByArn(input.ResourceARN);
    return { Tags: [...app.tags].map(([Key, Value]) => ({ Key, Value })) };
  }

  // ---------------------------------------------------------------- admin (simulation) hooks

  /** The next start fails once the job would be up, as a Flink job that throws in main() does. */
  failNextStart(name: string, reason = "Simulated failure: the Flink job failed to start"): void {
    this.app(name).failNextStart = reason;
  }

  /** The next update of a running application fails while the job is redeployed. */
  failNextUpdate(name: string, reason = "Simulated failure: the Flink job failed after the update"): void {
    this.app(name).failNextUpdate = reason;
  }

  /** Sets a status behind the API's back, as when the job falls over; cancels any pending transition. */
  forceStatus(name: string, status: ApplicationStatus): void {
    const app = this.app(name);
    this.cancelPending(app);
    this.setStatus(app, status);
  }

  /**
   * AUTOSCALING then RUNNING with the new CurrentParallelism. Only for applications with AutoScalingEnabled,
   * as the service scales only those (developer guide, "Automatic scaling").
   */
  autoscale(name: string, parallelism: number): void {
    const app = this.app(name);
    const version = this.current(app);
    const par =
      version.content.ApplicationConfigurationDescription.FlinkApplicationConfigurationDescription
        ?.ParallelismConfigurationDescription;
    if (!par?.AutoScalingEnabled)
      throw invalidRequest(`Application ${name} does not have AutoScalingEnabled`);
    this.requireStatus(app, "autoscale", "autoscale");
    if (this.snapshotsEnabled(version)) this.takeSystemSnapshot(app, version, "scale");
    this.setStatus(app, "AUTOSCALING");
    const t = setTimeout(() => {
      this.timers.delete(t);
      par.CurrentParallelism = parallelism;
      this.setStatus(app, "RUNNING");
    }, this.settings.timings.autoscalingMs);
    this.timers.add(t);
    app.timer = t;
  }

  reset(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.apps.clear();
  }

  close(): void {
    this.reset();
  }

  // ---------------------------------------------------------------- helpers

  private app(name: unknown): Application {
    const app = this.apps.get(name as string);
    if (!app) throw resourceNotFound(`Application ${String(name)} does not exist`);
    return app;
  }

  private snapshot(app: Application, name: string): Snapshot {
    const snap = app.snapshots.get(name);
    if (!snap) throw resourceNotFound(`Snapshot ${name} does not exist for application ${app.name}`);
    return snap;
  }

  private current(app: Application): Version {
    return app.versions[app.versions.length - 1]!;
  }

  private requireStatus(app: Application, action: Action, verb: string): void {
    if (!isAllowed(action, app.status)) {
      throw resourceInUse(`Application ${app.name} is in ${app.status} status; cannot ${verb} it`);
    }
  }

  private requireRestorable(app: Application, restore: ApplicationRestoreConfiguration): void {
    if (restore.ApplicationRestoreType !== "RESTORE_FROM_CUSTOM_SNAPSHOT") return;
    if (!restore.SnapshotName) {
      throw invalidArgument(
        "SnapshotName is required when ApplicationRestoreType is RESTORE_FROM_CUSTOM_SNAPSHOT",
      );
    }
    const snap = app.snapshots.get(restore.SnapshotName);
    if (snap?.status !== "READY") {
      throw resourceNotFound(
        `Snapshot ${restore.SnapshotName} does not exist or is not READY for application ${app.name}`,
      );
    }
  }

  private async requireCode(loc: CodeLocation, fail: (message: string) => ServiceError): Promise<void> {
    const problem = await this.opts.codeChecker.check(loc);
    if (problem) throw fail(`Application code location is not valid: ${problem}`);
  }

  private snapshotsEnabled(v: Version): boolean {
    return (
      v.content.ApplicationConfigurationDescription.ApplicationSnapshotConfigurationDescription
        ?.SnapshotsEnabled === true
    );
  }

  private addVersion(
    app: Application,
    content: VersionContent,
    lineage: { updatedFrom?: number; rolledBackFrom?: number; rolledBackTo?: number },
  ): Version {
    const prev = this.current(app);
    prev.statusWhenReplaced = app.status;
    const now = this.now();
    const v: Version = { id: prev.id + 1, token: this.token(), createdAt: now, content, ...lineage };
    app.versions.push(v);
    app.lastUpdatedAt = now;
    return v;
  }

  private startOperation(
    app: Application,
    operation: string,
    change?: { from: number; to: number },
  ): OperationRecord {
    const op: OperationRecord = {
      OperationId: this.shortId("op"),
      Operation: operation,
      StartTime: this.now(),
      OperationStatus: "IN_PROGRESS",
    };
    if (change) {
      op.ApplicationVersionChangeDetails = {
        ApplicationVersionUpdatedFrom: change.from,
        ApplicationVersionUpdatedTo: change.to,
      };
    }
    app.operations.push(op);
    return op;
  }

  private finishOperation(
    op: OperationRecord,
    status: OperationStatus,
    failure?: OperationRecord["OperationFailureDetails"],
  ): void {
    op.OperationStatus = status;
    op.EndTime = this.now();
    if (failure) op.OperationFailureDetails = failure;
  }

  private setStatus(app: Application, status: ApplicationStatus): void {
    app.status = status;
  }

  /** Runs `then` after `ms` unless another call replaces the pending transition first. */
  private schedule(app: Application, op: OperationRecord, ms: number, then: () => void): void {
    if (app.timer) {
      clearTimeout(app.timer);
      this.timers.delete(app.timer);
    }
    app.pendingOperation = op;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (app.timer !== t) return;
      app.timer = undefined;
      app.pendingOperation = undefined;
      then();
    }, ms);
    app.timer = t;
    this.timers.add(t);
  }

  /** A force stop, rollback, delete or forced status ends the transition in flight; its operation is cancelled. */
  private cancelPending(app: Application): void {
    if (app.timer) {
      clearTimeout(app.timer);
      this.timers.delete(app.timer);
      app.timer = undefined;
    }
    if (app.pendingOperation && app.pendingOperation.OperationStatus === "IN_PROGRESS") {
      this.finishOperation(app.pendingOperation, "CANCELLED");
    }
    app.pendingOperation = undefined;
  }

  private page<T>(items: T[], input: Json, key: string): Json {
    const limit = (input.Limit as number | undefined) ?? 50;
    let start = 0;
    if (input.NextToken !== undefined) {
      const n = Number.parseInt(Buffer.from(input.NextToken as string, "base64url").toString("utf8"), 10);
      if (!Number.isInteger(n) || n < 0) throw invalidArgument("NextToken is not valid");
      start = n;
    }
    const out: Json = { [key]: items.slice(start, start + limit) };
    if (start + limit < items.length)
      out.NextToken = Buffer.from(String(start + limit)).toString("base64url");
    return out;
  }

  private detail(app: Application, version: Version = this.current(app)): ApplicationDetail & Json {
    const c = version.content;
    const isCurrent = version === this.current(app);
    const d: Json = {
      ApplicationARN: app.arn,
      ApplicationName: app.name,
      RuntimeEnvironment: c.RuntimeEnvironment,
      ServiceExecutionRole: c.ServiceExecutionRole,
      ApplicationStatus: isCurrent ? app.status : (version.statusWhenReplaced ?? "READY"),
      ApplicationVersionId: version.id,
      CreateTimestamp: epochSeconds(app.createdAt),
      LastUpdateTimestamp: epochSeconds(isCurrent ? app.lastUpdatedAt : version.createdAt),
      ApplicationConfigurationDescription: structuredClone(c.ApplicationConfigurationDescription),
      ApplicationVersionCreateTimestamp: epochSeconds(version.createdAt),
      ConditionalToken: version.token,
      ApplicationMode: c.ApplicationMode,
    };
    if (c.ApplicationDescription !== undefined) d.ApplicationDescription = c.ApplicationDescription;
    if (c.CloudWatchLoggingOptionDescriptions)
      d.CloudWatchLoggingOptionDescriptions = c.CloudWatchLoggingOptionDescriptions;
    if (version.updatedFrom !== undefined) d.ApplicationVersionUpdatedFrom = version.updatedFrom;
    if (version.rolledBackFrom !== undefined) d.ApplicationVersionRolledBackFrom = version.rolledBackFrom;
    if (version.rolledBackTo !== undefined) d.ApplicationVersionRolledBackTo = version.rolledBackTo;
    return d as ApplicationDetail & Json;
  }

  private token(): string {
    return randomBytes(24).toString("base64");
  }

  private shortId(prefix: string): string {
    return `${prefix}-${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  }
}

/** Timestamps travel as epoch seconds with millisecond precision; equal to the millisecond is the same instant. */
function sameInstant(a: number, b: number): boolean {
  return Math.round(a * 1000) === Math.round(b * 1000);
}

/**
 * Inline ZIPFILE code (ZipFileContent, at most 50 MB in the request) must be a ZIP archive, or the
 * service cannot unpack it: CodeValidationException ("the user-provided application code is not
 * valid"). Code in S3 is not inspected, only its existence (docs/emulator.md).
 */
function requireZipArchive(type: string | undefined, content: unknown): void {
  if (type !== "ZIPFILE" || content === undefined) return;
  const bytes =
    typeof content === "string" ? Buffer.from(content, "base64") : Buffer.from(content as Uint8Array);
  // Every ZIP (and jar) starts with a local file header or, if empty, the end-of-central-directory record.
  const magic = bytes.subarray(0, 4).toString("hex");
  if (magic !== "504b0304" && magic !== "504b0506") {
    throw codeValidation("The application code is not a valid ZIP archive (ZipFileContent)");
  }
}
