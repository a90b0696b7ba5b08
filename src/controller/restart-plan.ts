// spec.restartNonce: restart a running application with no configuration change, snapshot first.
//
// The restart is the update operation of update-plan.ts with nothing in ApplicationConfigurationUpdate:
// CreateApplicationSnapshot (named, waited for until READY), then one UpdateApplication carrying only
// CurrentApplicationVersionId and a RunConfigurationUpdate that restores exactly that snapshot. An
// update of a RUNNING application redeploys the job ("Describes updates to the restore behavior of a
// restarting application", API_RunConfigurationUpdate), and the new ApplicationVersionId it creates
// is what lets a restarted controller see that the call was made (ADR 0013 weighs Stop + Start).
import type { ApplicationDetail } from "@aws-sdk/client-kinesis-analytics-v2";
import type { PlanInput, StatusChanges, Step } from "./plan-types.js";

export const restartField = "restartNonce";

/** The nonce not yet served, if any. A resource that never set one has nothing to serve. */
export function pendingRestart(input: Pick<PlanInput, "spec" | "status">): string | undefined {
  const nonce = input.spec.restartNonce;
  return nonce !== undefined && nonce !== input.status.restartNonce ? nonce : undefined;
}

/** A start serves a pending nonce too: the job was not running, so the start is the restart. */
export function restartServedByStart(input: Pick<PlanInput, "spec" | "status">): {
  changes?: StatusChanges;
} {
  const nonce = pendingRestart(input);
  return nonce !== undefined ? { changes: { restartNonce: nonce } } : {};
}

/**
 * With no configuration drift: a RUNNING application gets a restart operation; a stopped one that
 * stays stopped has nothing to restart, and the nonce is recorded as served. A restart that failed
 * for this generation is not tried again (as any failed update): a new nonce is a new generation.
 */
export function planRestart(
  input: PlanInput,
  observed: ApplicationDetail,
  startUpdate: (fields: string[]) => Step,
): Step | undefined {
  const nonce = pendingRestart(input);
  if (nonce === undefined) return undefined;
  if (input.status.lastFailedUpdate?.generation === input.generation) return undefined;
  const appStatus = observed.ApplicationStatus ?? "UNKNOWN";
  if (appStatus === "RUNNING") return startUpdate([restartField]);
  if (appStatus !== "READY" || (input.spec.desiredState ?? "Running") === "Running") return undefined;
  return {
    kind: "record",
    reason: "RestartSkipped",
    message: `restartNonce ${nonce}: the application is stopped (desiredState Stopped), nothing to restart`,
    changes: { restartNonce: nonce },
  };
}
