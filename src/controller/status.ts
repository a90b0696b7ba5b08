// Status as kstatus reads it (https://github.com/kubernetes-sigs/cli-utils/blob/master/pkg/kstatus/README.md):
// Ready is always present; Reconciling=True while work is in flight; Stalled=True when the controller
// cannot progress until the spec changes. observedGeneration tells tools the spec was seen.
import type { ApplicationDetail } from "@aws-sdk/client-kinesis-analytics-v2";
import { NotFound, type Observed } from "../aws/managed-flink.js";
import type { Condition, FlinkApplicationStatus, LastError } from "../crds/types.generated.js";
import { codeSection, parallelismSection } from "./configuration-map.js";
import type { Step } from "./plan.js";

export type ConditionType = "Ready" | "Reconciling" | "Stalled";

export interface Outcome {
  ready: { status: boolean; reason: string; message: string };
  reconciling?: { reason: string; message: string };
  stalled?: { reason: string; message: string };
}

const stepReason: Record<Step["kind"], string> = {
  addFinalizer: "Initializing",
  removeFinalizer: "Deleting",
  create: "Creating",
  adopt: "Adopting",
  start: "Starting",
  stop: "Stopping",
  update: "Updating",
  attach: "Updating",
  tag: "Tagging",
  delete: "Deleting",
  wait: "Progressing",
  stalled: "Stalled",
  steady: "Succeeded",
  record: "Progressing",
  snapshot: "Snapshotting",
  deleteSnapshot: "PruningSnapshots",
  rollback: "RollingBack",
  updateFailed: "UpdateFailed",
  uploadArtifact: "UploadingArtifact",
  unhealthy: "JobUnhealthy",
};

/** What the conditions say after `step` was planned (and, unless it failed, carried out). */
export function outcomeOf(
  step: Step,
  error?: { type: string; message: string; terminal: boolean; external?: boolean },
): Outcome {
  if (error?.terminal || error?.external) {
    return {
      ready: { status: false, reason: error.type, message: error.message },
      stalled: { reason: error.type, message: error.message },
    };
  }
  if (error) {
    return {
      ready: { status: false, reason: error.type, message: error.message },
      reconciling: { reason: "RetryingAfterError", message: error.message },
    };
  }
  switch (step.kind) {
    case "steady":
      return { ready: { status: true, reason: "Succeeded", message: step.message } };
    case "stalled":
      return {
        ready: { status: false, reason: step.reason, message: step.message },
        stalled: { reason: step.reason, message: step.message },
      };
    case "unhealthy":
      return unhealthyOutcome(step);
    case "wait":
    case "record":
      return {
        ready: { status: false, reason: step.reason, message: step.message },
        reconciling: { reason: step.reason, message: step.message },
      };
    case "updateFailed": {
      const message = `update to generation ${step.failure.generation} failed: ${step.failure.message}`;
      // Rolling back is still work in flight; once it is done the resource stays Stalled.
      if (step.changes?.operation?.type === "Rollback") {
        return {
          ready: { status: false, reason: "UpdateFailed", message },
          reconciling: { reason: "RollingBack", message: `${message}; restoring the pre-update version` },
        };
      }
      return {
        ready: { status: false, reason: "UpdateFailed", message },
        stalled: { reason: "UpdateFailed", message },
      };
    }
    default: {
      const message = describeStep(step);
      return {
        ready: { status: false, reason: stepReason[step.kind], message },
        reconciling: { reason: stepReason[step.kind], message },
      };
    }
  }
}

/**
 * kstatus: no metrics yet is work in flight (InProgress); a job that crash-loops, fails its checkpoints
 * or falls behind is an unexpected condition the controller cannot fix (Failed), so Flux's health
 * checks and Argo CD (Degraded) both report it.
 */
function unhealthyOutcome(step: Extract<Step, { kind: "unhealthy" }>): Outcome {
  const ready = { status: false, reason: step.verdict, message: step.message };
  return step.verdict === "NoData"
    ? { ready, reconciling: { reason: step.verdict, message: step.message } }
    : { ready, stalled: { reason: step.verdict, message: step.message } };
}

export function describeStep(step: Step): string {
  switch (step.kind) {
    case "create":
      return `creating application ${step.request.ApplicationName}`;
    case "start":
      return `starting (restore: ${step.run.ApplicationRestoreConfiguration?.ApplicationRestoreType})`;
    case "stop":
      return `stopping${step.force ? " (force)" : ""}: ${step.reason}`;
    case "update":
      return `updating ${step.fields.join(", ")}`;
    case "attach":
      return describeAttachment(step.change);
    case "tag":
      return `tagging (${Object.keys(step.add).length} set, ${step.remove.length} removed)`;
    case "delete":
      return "deleting the application";
    case "adopt":
      return "adopting the existing application";
    case "removeFinalizer":
      return step.reason;
    case "addFinalizer":
      return "adding finalizer";
    case "snapshot":
      return `creating snapshot ${step.snapshotName} (${step.reason})`;
    case "deleteSnapshot":
      return `deleting snapshot ${step.snapshotName} (retention)`;
    case "rollback":
      return `rolling back from version ${step.currentVersionId}`;
    case "updateFailed":
      return `update to generation ${step.failure.generation} failed: ${step.failure.message}`;
    case "uploadArtifact":
      return "fetching, verifying and uploading the artifact";
    case "wait":
    case "stalled":
    case "unhealthy":
    case "steady":
    case "record":
      return step.message;
  }
}

/** Keeps lastTransitionTime when a condition's status is unchanged, as metav1.Condition requires. */
export function nextConditions(
  previous: Condition[] | undefined,
  outcome: Outcome,
  generation: number,
  now: Date,
): Condition[] {
  const wanted: [ConditionType, boolean, string, string][] = [
    ["Ready", outcome.ready.status, outcome.ready.reason, outcome.ready.message],
    [
      "Reconciling",
      Boolean(outcome.reconciling),
      outcome.reconciling?.reason ?? "Idle",
      outcome.reconciling?.message ?? "",
    ],
    [
      "Stalled",
      Boolean(outcome.stalled),
      outcome.stalled?.reason ?? "NotStalled",
      outcome.stalled?.message ?? "",
    ],
  ];
  return wanted.map(([type, on, reason, message]) => {
    const status = on ? "True" : "False";
    const before = previous?.find((c) => c.type === type);
    return {
      type,
      status,
      reason,
      message,
      observedGeneration: generation,
      lastTransitionTime: before && before.status === status ? before.lastTransitionTime : now.toISOString(),
    };
  });
}

/** The observed-application part of status. */
export function observedFields(
  observed: Observed<ApplicationDetail>,
  applicationName: string,
  region: string,
): Partial<FlinkApplicationStatus> {
  if (observed === NotFound) {
    return { applicationName, region };
  }
  const parallelism = parallelismSection.fromDescription(observed);
  const code = codeSection.fromDescription(observed);
  return {
    applicationName,
    region,
    applicationARN: observed.ApplicationARN,
    applicationVersionId: observed.ApplicationVersionId,
    applicationStatus: observed.ApplicationStatus,
    createTimestamp: observed.CreateTimestamp?.toISOString(),
    configuredParallelism: parallelism?.values.parallelism as number | undefined,
    // Service-owned (autoscaling), so not part of the configuration table.
    currentParallelism:
      observed.ApplicationConfigurationDescription?.FlinkApplicationConfigurationDescription
        ?.ParallelismConfigurationDescription?.CurrentParallelism,
    codeLocation: code?.bucket ? code : undefined,
  };
}

export function lastErrorOf(
  error: { type: string; message: string; operation?: string; terminal: boolean },
  generation: number,
  now: Date,
): LastError {
  return {
    operation: error.operation,
    type: error.type,
    message: error.message,
    time: now.toISOString(),
    generation,
    terminal: error.terminal,
  };
}

/** Drops undefined members so that comparing with what the API server returns is exact. */
export function compact<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Deep equality for JSON values; key order does not matter. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function describeAttachment(change: Extract<Step, { kind: "attach" }>["change"]): string {
  if (change.field === "logging") return `adding the CloudWatch logging option (${change.logStreamARN})`;
  return change.kind === "add"
    ? `adding the VPC configuration (subnets ${change.vpc.SubnetIds?.join(", ")})`
    : `removing VPC configuration ${change.vpcConfigurationId}`;
}
