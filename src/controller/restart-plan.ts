// Restarts with no configuration change, snapshot first:
// - spec.restartNonce restarts a running application from its own pre-restart snapshot;
// - spec.restore.redeployNonce redeploys it from spec.restore.snapshotName (a declarative restore).
//
// Both are the update operation of update-plan.ts with nothing in ApplicationConfigurationUpdate:
// CreateApplicationSnapshot (named, waited for until READY, so the current state is kept either way),
// then one UpdateApplication carrying only CurrentApplicationVersionId and a RunConfigurationUpdate
// naming the snapshot to restore. An update of a RUNNING application redeploys the job, and
// RunConfigurationUpdate "describes updates to the restore behavior of a restarting application"
// (https://docs.aws.amazon.com/managed-flink/latest/apiv2/API_RunConfigurationUpdate.html). The new
// ApplicationVersionId the update creates is what lets a restarted controller see that the call was
// made; ADR 0015 weighs StopApplication + StartApplication instead.
import type { ApplicationDetail } from "@aws-sdk/client-kinesis-analytics-v2";
import type { UpdateOperation } from "../crds/types.generated.js";
import type { PlanInput, StatusChanges, Step } from "./plan-types.js";
import { failedAlready } from "./properties-plan.js";

type Input = Pick<PlanInput, "spec" | "status">;

/** The restartNonce not yet served. A resource that never set one has nothing to serve. */
export function pendingRestart(input: Input): string | undefined {
  const nonce = input.spec.restartNonce;
  return nonce !== undefined && nonce !== input.status.restartNonce ? nonce : undefined;
}

/** The restore.redeployNonce not yet served (the CRD allows it only with restore.type Snapshot). */
export function pendingRedeploy(input: Input): string | undefined {
  const nonce = input.spec.restore?.redeployNonce;
  return nonce !== undefined && nonce !== input.status.restoreRedeployNonce ? nonce : undefined;
}

/** What an update operation records so that it serves the pending nonces when it is RUNNING. */
export function restartOfOperation(input: Input): Partial<UpdateOperation> {
  const restartNonce = pendingRestart(input);
  const redeployNonce = pendingRedeploy(input);
  return {
    ...(restartNonce !== undefined ? { restartNonce } : {}),
    ...(redeployNonce !== undefined ? { redeployNonce, restoreFrom: input.spec.restore?.snapshotName } : {}),
  };
}

/** The nonces an operation served, for status once it is RUNNING. */
export function servedBy(op: UpdateOperation): StatusChanges {
  return {
    ...(op.restartNonce !== undefined ? { restartNonce: op.restartNonce } : {}),
    ...(op.redeployNonce !== undefined ? { restoreRedeployNonce: op.redeployNonce } : {}),
  };
}

function pendingChanges(input: Input): StatusChanges | undefined {
  const restartNonce = pendingRestart(input);
  const redeployNonce = pendingRedeploy(input);
  if (restartNonce === undefined && redeployNonce === undefined) return undefined;
  return servedBy({ restartNonce, redeployNonce } as UpdateOperation);
}

/** A start serves pending nonces too: the job was not running, and it starts as spec.restore says. */
export function restartServedByStart(input: Input): { changes?: StatusChanges } {
  const changes = pendingChanges(input);
  return changes ? { changes } : {};
}

/**
 * With no configuration drift: a RUNNING application gets a restart operation; a stopped one that
 * stays stopped has nothing to restart, and the nonces are recorded as served. A restart that failed
 * for this generation is not tried again (as any failed update): a new nonce is a new generation.
 */
export function planRestart(
  input: PlanInput,
  observed: ApplicationDetail,
  startUpdate: (fields: string[]) => Step,
): Step | undefined {
  const changes = pendingChanges(input);
  if (!changes) return undefined;
  if (failedAlready(input)) return undefined;
  const appStatus = observed.ApplicationStatus ?? "UNKNOWN";
  if (appStatus === "RUNNING") {
    return startUpdate(pendingRedeploy(input) !== undefined ? ["restore"] : ["restartNonce"]);
  }
  if (appStatus !== "READY" || (input.spec.desiredState ?? "Running") === "Running") return undefined;
  return {
    kind: "record",
    reason: "RestartSkipped",
    message: "the application is stopped (desiredState Stopped): nothing to restart",
    changes,
  };
}
