import type { RunSpec } from "./runtime.js";
import type { Application, Snapshot, Version } from "./store.js";

/** What the runtime needs to run `version` of `app`, with the restore type resolved to a snapshot name. */
export function runSpec(app: Application, version: Version): RunSpec {
  const configuration = structuredClone(version.content.ApplicationConfigurationDescription);
  const run = configuration.RunConfigurationDescription;
  const loc =
    configuration.ApplicationCodeConfigurationDescription?.CodeContentDescription
      ?.S3ApplicationCodeLocationDescription;
  const restoreFrom = restoreSnapshot(app, run?.ApplicationRestoreConfigurationDescription);
  return {
    application: app.name,
    applicationArn: app.arn,
    versionId: version.id,
    runtimeEnvironment: version.content.RuntimeEnvironment,
    ...(loc ? { code: loc } : {}),
    configuration,
    ...(restoreFrom !== undefined ? { restoreFrom } : {}),
    allowNonRestoredState: run?.FlinkRunConfigurationDescription?.AllowNonRestoredState === true,
    logStreamArns: (version.content.CloudWatchLoggingOptionDescriptions ?? [])
      .map((o) => o.LogStreamARN)
      .filter((a): a is string => typeof a === "string"),
  };
}

/**
 * ApplicationRestoreType (API reference, ApplicationRestoreConfiguration): SKIP_RESTORE_FROM_SNAPSHOT starts
 * without state, RESTORE_FROM_CUSTOM_SNAPSHOT from the named snapshot, RESTORE_FROM_LATEST_SNAPSHOT (the
 * default) from the most recent one, if any.
 */
function restoreSnapshot(
  app: Application,
  restore: { ApplicationRestoreType?: string; SnapshotName?: string } | undefined,
): string | undefined {
  if (restore?.ApplicationRestoreType === "SKIP_RESTORE_FROM_SNAPSHOT") return undefined;
  if (restore?.ApplicationRestoreType === "RESTORE_FROM_CUSTOM_SNAPSHOT") return restore.SnapshotName;
  return newestSnapshot(app, (s) => s.status !== "FAILED");
}

/**
 * What a rollback runs: `version` restored from the latest READY snapshot, whatever the version's own
 * restore configuration says. "When you rollback an application, it loads state data from the last
 * successful snapshot" (API reference, RollbackApplication); a system rollback likewise "restarts your
 * application using the latest successful snapshot" (developer guide, "Roll back application upgrades").
 */
export function rollbackRunSpec(app: Application, version: Version): RunSpec {
  const { restoreFrom: _ignored, ...run } = runSpec(app, version);
  const latest = newestSnapshot(app, (s) => s.status === "READY");
  return latest !== undefined ? { ...run, restoreFrom: latest } : run;
}

function newestSnapshot(app: Application, accept: (s: Snapshot) => boolean): string | undefined {
  let latest: Snapshot | undefined;
  for (const s of app.snapshots.values()) {
    if (accept(s) && (!latest || s.createdAt >= latest.createdAt)) latest = s;
  }
  return latest?.name;
}
