import type { ApplicationRestoreConfiguration } from "@aws-sdk/client-kinesis-analytics-v2";
import {
  invalidApplicationConfiguration,
  invalidArgument,
  limitExceeded,
  resourceInUse,
  resourceNotFound,
  ServiceError,
} from "./errors.js";
import {
  type Application,
  current,
  type Handler,
  type Json,
  requireStatus,
  type ServiceDeps,
  type Snapshot,
  snapshotsEnabled,
  type Version,
} from "./store.js";
import { epochSeconds, page, sameInstant } from "./wire.js";

const createApplicationSnapshot: Handler = (deps, input) => {
  const { store } = deps;
  const app = store.app(input.ApplicationName);
  const version = current(app);
  if (version.content.RuntimeEnvironment === "SQL-1_0") {
    throw new ServiceError(
      "UnsupportedOperationException",
      "Snapshots are not supported for SQL applications",
    );
  }
  if (!snapshotsEnabled(version)) {
    throw invalidApplicationConfiguration(`Snapshots are not enabled for application ${app.name}`);
  }
  requireStatus(app, "createSnapshot", "create a snapshot of");
  const name = input.SnapshotName as string;
  if (app.snapshots.has(name))
    throw resourceInUse(`Snapshot ${name} already exists for application ${app.name}`);
  // "If your application reaches the limit on snapshots, then manually creating a snapshot fails with a
  // LimitExceededException" (developer guide, "Manage application backups using snapshots").
  const cap = store.settings.snapshotCap;
  if (app.snapshots.size >= cap) {
    throw limitExceeded(`Application ${app.name} has reached the limit of ${cap} snapshots`);
  }
  addSnapshot(deps, app, name, version);
  return {};
};

const describeApplicationSnapshot: Handler = ({ store }, input) => {
  const app = store.app(input.ApplicationName);
  return { SnapshotDetails: snapshotDetails(snapshotOf(app, input.SnapshotName as string)) };
};

const listApplicationSnapshots: Handler = ({ store }, input) => {
  const name = input.ApplicationName as string;
  const app = store.apps.get(name);
  // The model lists no ResourceNotFoundException for ListApplicationSnapshots: an unknown application is an
  // invalid argument.
  if (!app) throw invalidArgument(`Application ${name} does not exist`);
  const all = [...app.snapshots.values()].sort((a, b) => a.createdAt - b.createdAt);
  return page(all.map(snapshotDetails), input, "SnapshotSummaries");
};

const deleteApplicationSnapshot: Handler = async ({ store, runtime }, input) => {
  const app = store.app(input.ApplicationName);
  const snap = snapshotOf(app, input.SnapshotName as string);
  if (!sameInstant(input.SnapshotCreationTimestamp as number, epochSeconds(snap.createdAt))) {
    throw invalidArgument(
      `SnapshotCreationTimestamp does not match the creation time of snapshot ${snap.name}`,
    );
  }
  if (snap.status !== "READY" && snap.status !== "FAILED") {
    throw resourceInUse(`Snapshot ${snap.name} is ${snap.status}`);
  }
  app.snapshots.delete(snap.name);
  // The record goes at once; what backs it (a real savepoint) is deleted before the call answers.
  await runtime.deleteSnapshot(app.name, snap.name);
  return {};
};

export const snapshotOperations: Record<string, Handler> = {
  CreateApplicationSnapshot: createApplicationSnapshot,
  DescribeApplicationSnapshot: describeApplicationSnapshot,
  ListApplicationSnapshots: listApplicationSnapshots,
  DeleteApplicationSnapshot: deleteApplicationSnapshot,
};

/** A CREATING snapshot that becomes READY (or FAILED) when the runtime has taken it. */
function addSnapshot(
  { store, runtime }: ServiceDeps,
  app: Application,
  name: string,
  version: Version,
): void {
  const snap: Snapshot = {
    name,
    status: "CREATING",
    versionId: version.id,
    createdAt: store.now(),
    runtime: version.content.RuntimeEnvironment,
  };
  app.snapshots.set(name, snap);
  runtime.snapshot(app.name, name).then(
    () => {
      if (snap.status === "CREATING") snap.status = "READY";
    },
    () => {
      if (snap.status === "CREATING") snap.status = "FAILED";
    },
  );
}

/**
 * Snapshots the service takes itself on stop, update and scaling, when snapshots are enabled. AWS does not
 * document their names; the emulator names them after the trigger and the time (docs/emulator.md). They
 * count towards the cap but are taken even above it ("Managed Service for Apache Flink still successfully
 * creates snapshots when the application is updated, scaled, or stopped").
 */
export function takeSystemSnapshot(
  deps: ServiceDeps,
  app: Application,
  version: Version,
  trigger: "stop" | "update" | "scale",
): void {
  if (!snapshotsEnabled(version)) return;
  const now = deps.store.now();
  let name = `${trigger}-${now}`;
  for (let i = 1; app.snapshots.has(name); i++) name = `${trigger}-${now}-${i}`;
  addSnapshot(deps, app, name, version);
}

/** A custom restore must name a READY snapshot of this application. */
export function requireRestorable(app: Application, restore: ApplicationRestoreConfiguration): void {
  if (restore.ApplicationRestoreType !== "RESTORE_FROM_CUSTOM_SNAPSHOT") return;
  if (!restore.SnapshotName) {
    throw invalidArgument(
      "SnapshotName is required when ApplicationRestoreType is RESTORE_FROM_CUSTOM_SNAPSHOT",
    );
  }
  if (app.snapshots.get(restore.SnapshotName)?.status !== "READY") {
    throw resourceNotFound(
      `Snapshot ${restore.SnapshotName} does not exist or is not READY for application ${app.name}`,
    );
  }
}

export function hasReadySnapshot(app: Application): boolean {
  return [...app.snapshots.values()].some((s) => s.status === "READY");
}

function snapshotOf(app: Application, name: string): Snapshot {
  const snap = app.snapshots.get(name);
  if (!snap) throw resourceNotFound(`Snapshot ${name} does not exist for application ${app.name}`);
  return snap;
}

function snapshotDetails(s: Snapshot): Json {
  return {
    SnapshotName: s.name,
    SnapshotStatus: s.status,
    ApplicationVersionId: s.versionId,
    SnapshotCreationTimestamp: epochSeconds(s.createdAt),
    RuntimeEnvironment: s.runtime,
  };
}
