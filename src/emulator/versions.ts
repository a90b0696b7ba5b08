import { concurrentModification, invalidRequest, resourceNotFound, ServiceError } from "./errors.js";
import { rollbackRunSpec } from "./run-spec.js";
import { hasReadySnapshot } from "./snapshots.js";
import {
  type Application,
  addVersion,
  current,
  type Handler,
  type OperationRecord,
  requireStatus,
  type ServiceDeps,
  type Version,
} from "./store.js";
import { cancelPending, finishOperation, startOperation, track } from "./transitions.js";
import { applicationDetail, epochSeconds, page } from "./wire.js";

/** Versions, the operations that made them, and rollback to an earlier one. */

const rollbackApplication: Handler = (deps, input) => {
  const app = deps.store.app(input.ApplicationName);
  const now = current(app);
  if (now.content.RuntimeEnvironment === "SQL-1_0") {
    throw new ServiceError(
      "UnsupportedOperationException",
      "RollbackApplication is not supported for SQL applications",
    );
  }
  if (input.CurrentApplicationVersionId !== now.id) {
    throw concurrentModification(
      `Provided CurrentApplicationVersionId ${input.CurrentApplicationVersionId} does not match the current application version ${now.id}`,
    );
  }
  requireStatus(app, "rollback", "roll back");
  const target = previousRunningVersion(app, now);
  if (target === undefined)
    throw invalidRequest(`Application ${app.name} has no previous version to roll back to`);
  // "If the application has no snapshots, Managed Service for Apache Flink rejects the rollback request."
  if (!hasReadySnapshot(app))
    throw invalidRequest(`Application ${app.name} has no snapshots to roll back with`);
  cancelPending(deps.store, app);
  const op = beginRollback(deps, app, target, "RollbackApplication");
  return { ApplicationDetail: applicationDetail(app), OperationId: op.OperationId };
};

/**
 * ROLLING_BACK → ROLLED_BACK → RUNNING on a new version that carries the target version's configuration,
 * restored from the latest READY snapshot (rollbackRunSpec).
 * A rollback that fails ends in READY: "If this autorollback fails … your application will be placed into
 * the READY state" (developer guide, "System rollback best practices").
 */
export function beginRollback(
  deps: ServiceDeps,
  app: Application,
  targetId: number,
  operation: string,
): OperationRecord {
  const { store, runtime } = deps;
  const from = current(app);
  const target = app.versions.find((v) => v.id === targetId)!;
  const next = addVersion(store, app, structuredClone(target.content), {
    rolledBackFrom: from.id,
    rolledBackTo: target.id,
  });
  const op = startOperation(store, app, operation, { from: from.id, to: next.id });
  app.status = "ROLLING_BACK";
  track(store, app, op, runtime.redeploy(rollbackRunSpec(app, next), "rollback"), {
    done: () => {
      // ROLLED_BACK is an enum value AWS does not describe; it is shown briefly (docs/emulator.md).
      app.status = "ROLLED_BACK";
      track(store, app, op, store.timers.after(store.settings.timings.rolledBackMs), {
        done: () => {
          app.status = "RUNNING";
          finishOperation(store, op, "SUCCESSFUL");
        },
      });
    },
  });
  return op;
}

/** The version the current one replaced: the one an update came from, or the one a rollback went back to. */
function previousRunningVersion(app: Application, now: Version): number | undefined {
  if (now.rolledBackTo !== undefined) {
    return app.versions.find((v) => v.id === now.rolledBackTo)?.updatedFrom;
  }
  return now.updatedFrom;
}

const listApplicationVersions: Handler = ({ store }, input) => {
  const app = store.app(input.ApplicationName);
  const summaries = [...app.versions].reverse().map((v) => ({
    ApplicationVersionId: v.id,
    ApplicationStatus: v === current(app) ? app.status : (v.statusWhenReplaced ?? "READY"),
  }));
  return page(summaries, input, "ApplicationVersionSummaries");
};

const describeApplicationVersion: Handler = ({ store }, input) => {
  const app = store.app(input.ApplicationName);
  const version = app.versions.find((v) => v.id === input.ApplicationVersionId);
  if (!version) {
    throw resourceNotFound(`Version ${input.ApplicationVersionId} of application ${app.name} does not exist`);
  }
  return { ApplicationVersionDetail: applicationDetail(app, version) };
};

const listApplicationOperations: Handler = ({ store }, input) => {
  const app = store.app(input.ApplicationName);
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
  return page(ops, input, "ApplicationOperationInfoList");
};

const describeApplicationOperation: Handler = ({ store }, input) => {
  const app = store.app(input.ApplicationName);
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
};

export const versionOperations: Record<string, Handler> = {
  RollbackApplication: rollbackApplication,
  ListApplicationVersions: listApplicationVersions,
  DescribeApplicationVersion: describeApplicationVersion,
  ListApplicationOperations: listApplicationOperations,
  DescribeApplicationOperation: describeApplicationOperation,
};
