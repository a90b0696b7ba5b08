import type {
  ApplicationConfiguration,
  ApplicationConfigurationUpdate,
  ApplicationDetail,
  ApplicationRestoreConfiguration,
  CloudWatchLoggingOption,
  CloudWatchLoggingOptionUpdate,
  FlinkRunConfiguration,
  Tag,
} from "@aws-sdk/client-kinesis-analytics-v2";
import { requireCode, requireZipArchive } from "./code-location.js";
import {
  applyConfigurationUpdate,
  applyLoggingUpdates,
  describeConfiguration,
  describeLoggingOptions,
  runConfigurationDescription,
} from "./configuration.js";
import {
  concurrentModification,
  invalidApplicationConfiguration,
  invalidArgument,
  limitExceeded,
  resourceInUse,
  ServiceError,
  tooManyTags,
} from "./errors.js";
import { runSpec } from "./run-spec.js";
import { requireRestorable, takeSystemSnapshot } from "./snapshots.js";
import {
  type Application,
  addVersion,
  current,
  type Handler,
  type Json,
  MAX_TAGS,
  newToken,
  type OperationRecord,
  requireStatus,
  type ServiceDeps,
  shortId,
  type Version,
  type VersionContent,
} from "./store.js";
import { cancelPending, finishOperation, startOperation, track } from "./transitions.js";
import { beginRollback } from "./versions.js";
import { applicationDetail, epochSeconds, sameInstant } from "./wire.js";

type RunInput = {
  ApplicationRestoreConfiguration?: ApplicationRestoreConfiguration;
  FlinkRunConfiguration?: FlinkRunConfiguration;
};

const createApplication: Handler = async (deps, input) => {
  const { store } = deps;
  const name = input.ApplicationName as string;
  if (store.apps.has(name)) throw resourceInUse(`Application ${name} already exists`);
  const cap = store.settings.applicationCap;
  if (store.apps.size >= cap) throw limitExceeded(`Number of applications exceeds the limit of ${cap}`);
  const tags = (input.Tags as Tag[] | undefined) ?? [];
  if (tags.length > MAX_TAGS) throw tooManyTags(`Number of tags exceeds the limit of ${MAX_TAGS}`);
  const cfg = input.ApplicationConfiguration as ApplicationConfiguration | undefined;
  const code = cfg?.ApplicationCodeConfiguration;
  // CreateApplication does not list InvalidApplicationConfigurationException; a bad code location is an
  // invalid argument there (docs/emulator.md).
  if (code?.CodeContent?.S3ContentLocation)
    await requireCode(deps.codeChecker, code.CodeContent.S3ContentLocation, invalidArgument);
  requireZipArchive(code?.CodeContentType, code?.CodeContent?.ZipFileContent);
  const now = store.now();
  const app: Application = {
    name,
    arn: store.arnFor(name),
    createdAt: now,
    lastUpdatedAt: now,
    status: "READY",
    versions: [{ id: 1, token: newToken(), createdAt: now, content: createdContent(input, cfg) }],
    snapshots: new Map(),
    operations: [],
    tags: new Map(tags.map((t) => [t.Key!, t.Value ?? ""])),
  };
  store.apps.set(name, app);
  return { ApplicationDetail: applicationDetail(app) };
};

function createdContent(input: Json, cfg: ApplicationConfiguration | undefined): VersionContent {
  const content: VersionContent = {
    RuntimeEnvironment: input.RuntimeEnvironment as string,
    ServiceExecutionRole: input.ServiceExecutionRole as string,
    ApplicationMode: (input.ApplicationMode as string | undefined) ?? "STREAMING",
    ApplicationConfigurationDescription: describeConfiguration(cfg, () => shortId("vpc")),
    ...(input.ApplicationDescription !== undefined
      ? { ApplicationDescription: input.ApplicationDescription as string }
      : {}),
  };
  const logging = describeLoggingOptions(
    input.CloudWatchLoggingOptions as CloudWatchLoggingOption[] | undefined,
    () => shortId("log"),
  );
  if (logging) content.CloudWatchLoggingOptionDescriptions = logging;
  return content;
}

const describeApplication: Handler = ({ store }, input) => {
  const detail = applicationDetail(store.app(input.ApplicationName));
  return { ApplicationDetail: store.settings.describe === "sparse" ? sparse(detail) : detail };
};

/** The sparse description mode (EmulatorSettings.describe). */
function sparse(detail: Json): Json {
  const d = structuredClone(detail) as unknown as ApplicationDetail;
  const flink = d.ApplicationConfigurationDescription?.FlinkApplicationConfigurationDescription;
  if (flink) {
    delete flink.CheckpointConfigurationDescription;
    delete flink.MonitoringConfigurationDescription;
    const p = flink.ParallelismConfigurationDescription;
    if (p) {
      flink.ParallelismConfigurationDescription = {
        Parallelism: p.Parallelism,
        CurrentParallelism: p.CurrentParallelism,
      };
    }
  }
  return d as unknown as Json;
}

const listApplications: Handler = ({ store }, input) => {
  const limit = (input.Limit as number | undefined) ?? 50;
  const after = input.NextToken as string | undefined;
  // ListApplications' NextToken is an ApplicationName in the model: the last name of the previous page.
  const names = [...store.apps.keys()].sort().filter((n) => after === undefined || n > after);
  const pageNames = names.slice(0, limit);
  const out: Json = {
    ApplicationSummaries: pageNames.map((n) => {
      const a = store.apps.get(n)!;
      const v = current(a);
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
  if (names.length > limit) out.NextToken = pageNames[pageNames.length - 1];
  return out;
};

const updateApplication: Handler = async (deps, input) => {
  const { app, from } = changeableApplication(deps, input, "update");
  const run = input.RunConfigurationUpdate as RunInput | undefined;
  if (run?.ApplicationRestoreConfiguration) requireRestorable(app, run.ApplicationRestoreConfiguration);
  const content = await updatedContent(deps, from, input, run);
  const next = addVersion(deps.store, app, content, { updatedFrom: from.id });
  const op = startOperation(deps.store, app, "UpdateApplication", { from: from.id, to: next.id });
  // Nothing runs in READY, so nothing can fail: the new configuration is simply stored.
  if (app.status === "READY") finishOperation(deps.store, op, "SUCCESSFUL");
  else redeploy(deps, app, op, from, next);
  return { ApplicationDetail: applicationDetail(app), OperationId: op.OperationId };
};

/** The API reference: "You must provide the CurrentApplicationVersionId or the ConditionalToken." */
export function requireCurrent(version: Version, input: Json): void {
  const versionId = input.CurrentApplicationVersionId as number | undefined;
  const token = input.ConditionalToken as string | undefined;
  if (versionId === undefined && token === undefined) {
    throw invalidArgument("Either CurrentApplicationVersionId or ConditionalToken must be provided");
  }
  if (versionId !== undefined && versionId !== version.id) {
    throw concurrentModification(
      `Provided CurrentApplicationVersionId ${versionId} does not match the current application version ${version.id}`,
    );
  }
  if (token !== undefined && token !== version.token) {
    throw concurrentModification("Provided ConditionalToken does not match the application's current token");
  }
}

/**
 * What every sub-resource Add or Delete call (VPC configuration, CloudWatch logging option) checks first,
 * as UpdateApplication does: the application exists, the caller names its current version or token, and
 * its status allows an update. `verb` completes "cannot … it" in the ResourceInUseException.
 */
export function changeableApplication(deps: ServiceDeps, input: Json, verb: string) {
  const app = deps.store.app(input.ApplicationName);
  const from = current(app);
  requireCurrent(from, input);
  requireStatus(app, "update", verb);
  return { app, from };
}

/**
 * A sub-resource call's effect: a new version with `change` applied to a copy of the current content,
 * recorded as `operation`. Like UpdateApplication, at rest the version is simply stored; a RUNNING
 * application is redeployed on it (UPDATING, then RUNNING), restoring as its stored run configuration says.
 */
export function changeConfiguration(
  deps: ServiceDeps,
  app: Application,
  operation: string,
  change: (content: VersionContent) => void,
): { next: Version; op: OperationRecord } {
  const from = current(app);
  const content = structuredClone(from.content);
  change(content);
  const next = addVersion(deps.store, app, content, { updatedFrom: from.id });
  const op = startOperation(deps.store, app, operation, { from: from.id, to: next.id });
  if (app.status === "READY") finishOperation(deps.store, op, "SUCCESSFUL");
  else redeploy(deps, app, op, from, next);
  return { next, op };
}

/** The next version's content: the current one with the update applied, code checked. */
async function updatedContent(
  deps: ServiceDeps,
  from: Version,
  input: Json,
  run: RunInput | undefined,
): Promise<VersionContent> {
  const update = input.ApplicationConfigurationUpdate as ApplicationConfigurationUpdate | undefined;
  const codeUpdate = update?.ApplicationCodeConfigurationUpdate;
  requireZipArchive(
    codeUpdate?.CodeContentTypeUpdate ?? "ZIPFILE",
    codeUpdate?.CodeContentUpdate?.ZipFileContentUpdate,
  );
  let config = applyConfigurationUpdate(from.content.ApplicationConfigurationDescription, update);
  if (codeUpdate?.CodeContentUpdate?.S3ContentLocationUpdate) {
    const loc =
      config.ApplicationCodeConfigurationDescription?.CodeContentDescription
        ?.S3ApplicationCodeLocationDescription;
    if (loc) await requireCode(deps.codeChecker, loc, invalidArgument);
  }
  if (run) {
    config = {
      ...config,
      RunConfigurationDescription: runConfigurationDescription(
        config.RunConfigurationDescription,
        run.ApplicationRestoreConfiguration,
        run.FlinkRunConfiguration,
      ),
    };
  }
  const content: VersionContent = {
    ...structuredClone(from.content),
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
  return content;
}

/** A running application's update: snapshot, UPDATING while the job is redeployed, then RUNNING. */
export function redeploy(
  deps: ServiceDeps,
  app: Application,
  op: OperationRecord,
  from: Version,
  next: Version,
): void {
  const { store, runtime } = deps;
  takeSystemSnapshot(deps, app, from, "update");
  app.status = "UPDATING";
  track(store, app, op, runtime.redeploy(runSpec(app, next), "update"), {
    done: () => {
      app.status = "RUNNING";
      finishOperation(store, op, "SUCCESSFUL");
    },
    failed: (reason) => failRunningUpdate(deps, app, op, from.id, reason),
  });
}

/**
 * A redeploy that failed. With system rollback enabled the service "automatically initiates a
 * RollbackApplication operation" to the previous running version; without it "your application will be
 * placed into the READY state" (developer guide: "Enable system rollbacks", "System rollback best practices").
 */
function failRunningUpdate(
  deps: ServiceDeps,
  app: Application,
  op: OperationRecord,
  previousId: number,
  reason: string,
): void {
  const failed = current(app);
  const rollback =
    failed.content.ApplicationConfigurationDescription.ApplicationSystemRollbackConfigurationDescription
      ?.RollbackEnabled;
  if (rollback) {
    const rb = beginRollback(deps, app, previousId, "RollbackApplication");
    finishOperation(deps.store, op, "FAILED", {
      RollbackOperationId: rb.OperationId,
      ErrorInfo: { ErrorString: reason },
    });
    return;
  }
  app.status = "READY";
  finishOperation(deps.store, op, "FAILED", { ErrorInfo: { ErrorString: reason } });
}

const startApplication: Handler = async (deps, input) => {
  const { store, runtime } = deps;
  const app = store.app(input.ApplicationName);
  requireStatus(app, "start", "start");
  const run = input.RunConfiguration as RunInput | undefined;
  if (run?.ApplicationRestoreConfiguration) requireRestorable(app, run.ApplicationRestoreConfiguration);
  const version = current(app);
  const config = version.content.ApplicationConfigurationDescription;
  const code = config.ApplicationCodeConfigurationDescription?.CodeContentDescription;
  if (!code) {
    throw invalidApplicationConfiguration(
      "Application has no code configuration; add ApplicationCodeConfiguration first",
    );
  }
  if (code.S3ApplicationCodeLocationDescription)
    await requireCode(
      deps.codeChecker,
      code.S3ApplicationCodeLocationDescription,
      invalidApplicationConfiguration,
    );
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
  const op = startOperation(store, app, "StartApplication");
  app.status = "STARTING";
  // A failed start (a job that throws in main()) falls back to READY with the operation FAILED.
  track(store, app, op, runtime.start(runSpec(app, version)), {
    done: () => {
      app.status = "RUNNING";
      finishOperation(store, op, "SUCCESSFUL");
    },
  });
  return { OperationId: op.OperationId };
};

const stopApplication: Handler = (deps, input) => {
  const { store, runtime } = deps;
  const app = store.app(input.ApplicationName);
  const force = input.Force === true;
  const version = current(app);
  if (force) {
    if (version.content.RuntimeEnvironment === "SQL-1_0") {
      throw new ServiceError(
        "UnsupportedOperationException",
        "Force stop is not supported for SQL applications",
      );
    }
    requireStatus(app, "forceStop", "force stop");
    cancelPending(store, app);
  } else {
    requireStatus(app, "stop", "stop");
  }
  const op = startOperation(store, app, "StopApplication");
  // "Managed Service for Apache Flink takes a snapshot when the application is stopped, unless Force is set
  // to true" (StopApplication, API reference) — when snapshots are enabled.
  if (!force) takeSystemSnapshot(deps, app, version, "stop");
  app.status = force ? "FORCE_STOPPING" : "STOPPING";
  track(store, app, op, runtime.stop(app.name, { force }), {
    done: () => {
      app.status = "READY";
      finishOperation(store, op, "SUCCESSFUL");
    },
  });
  return { OperationId: op.OperationId };
};

const deleteApplication: Handler = ({ store, runtime }, input) => {
  const app = store.app(input.ApplicationName);
  if (!sameInstant(input.CreateTimestamp as number, epochSeconds(app.createdAt))) {
    throw invalidArgument(`CreateTimestamp does not match the creation time of application ${app.name}`);
  }
  requireStatus(app, "delete", "delete");
  cancelPending(store, app);
  app.status = "DELETING";
  const gone = () => {
    if (store.apps.get(app.name) === app) store.apps.delete(app.name);
  };
  // Whatever the runtime says, the application record goes: DeleteApplication has no failure to report.
  track(store, app, undefined, runtime.release(app.name), { done: gone, failed: gone });
  return {};
};

export const applicationOperations: Record<string, Handler> = {
  CreateApplication: createApplication,
  DescribeApplication: describeApplication,
  ListApplications: listApplications,
  UpdateApplication: updateApplication,
  StartApplication: startApplication,
  StopApplication: stopApplication,
  DeleteApplication: deleteApplication,
};
