// The vocabulary of planning: what planNextStep reads (PlanInput) and the one step it returns.
import type {
  ApplicationDetail,
  RunConfiguration,
  SnapshotDetails,
  UpdateApplicationRequest,
} from "@aws-sdk/client-kinesis-analytics-v2";
import type { Observed } from "../aws/managed-flink.js";
import type {
  AppliedUpdate,
  FailedUpdate,
  FlinkApplicationSpec,
  FlinkApplicationStatus,
  LastError,
  PropertiesFromStatus,
  ResolvedArtifact,
  ScheduledSnapshot,
  SnapshotRecord,
  UpdateOperation,
} from "../crds/types.generated.js";
import type { JobHealth, JobVerdict } from "../health/types.js";
import type { AttachmentChange } from "./attachment-plan.js";
import type { CodeObject, createApplicationRequest } from "./desired.js";

/** Who an existing application belongs to, from status (linked) or its owner tag. */
export type Ownership = { kind: "ours" } | { kind: "unowned" } | { kind: "other"; owner: string };

export interface PlanInput {
  /** namespace/name of the FlinkApplication. */
  key: string;
  generation: number;
  spec: FlinkApplicationSpec;
  status: FlinkApplicationStatus;
  applicationName: string;
  region: string;
  /**
   * The code object to run; `upload` when spec.code.artifact is not in S3 yet (status.artifact does
   * not record it), or why it cannot be resolved (a terminal problem of the spec).
   */
  code: CodeObject | { upload: true } | { error: string };
  deleting: boolean;
  hasFinalizer: boolean;
  /** The resource opted in to adopting an existing application (annotation managedflink.dev/adopt). */
  adopt: boolean;
  observed: Observed<ApplicationDetail>;
  /** Known whenever observed is an application. */
  ownership?: Ownership;
  /** Tags as read from AWS; read only when the spec changed, so a steady resync makes one call. */
  observedTags?: Record<string, string>;
  /** The snapshot named by pendingSnapshotName(input), when there is one. */
  observedSnapshot?: Observed<SnapshotDetails>;
  /** What spec.environmentPropertiesFrom resolved to (its hash), when it is used. */
  propertiesFrom?: PropertiesFromStatus;
  /** Why spec.environmentPropertiesFrom cannot be resolved (a missing ConfigMap, a Secret): stalls. */
  propertiesError?: { reason: string; message: string };
  /**
   * The job's health from its CloudWatch metrics (judged since the update while stabilizing one);
   * undefined when job health checks are off for this application.
   */
  job?: JobHealth;
  /** The pre-update version of the application, read while rolling back to it. */
  previousVersion?: Observed<ApplicationDetail>;
  now: Date;
}

/**
 * Status fields a step changes once it has been carried out; null removes the field. Status is the
 * write-ahead record of an update: the operation is recorded before the first call it needs.
 */
export interface StatusChanges {
  operation?: UpdateOperation | null;
  snapshots?: SnapshotRecord[];
  lastSnapshotRequest?: string;
  restartNonce?: string;
  restoreRedeployNonce?: string;
  propertiesFrom?: PropertiesFromStatus | null;
  scheduledSnapshot?: ScheduledSnapshot;
  lastFailedUpdate?: FailedUpdate | null;
  artifact?: ResolvedArtifact;
  lastUpdate?: AppliedUpdate;
}

export type Step = (
  | { kind: "addFinalizer" }
  | { kind: "removeFinalizer"; reason: string }
  | { kind: "create"; request: ReturnType<typeof createApplicationRequest> }
  | { kind: "adopt"; arn: string }
  | { kind: "start"; run: RunConfiguration }
  | { kind: "stop"; force: boolean; reason: string }
  /** propertiesHash: the ConfigMap content applied (recorded in lastUpdate), when not in an operation. */
  | { kind: "update"; request: UpdateApplicationRequest; fields: string[]; propertiesHash?: string }
  /**
   * AddApplicationVpcConfiguration / DeleteApplicationVpcConfiguration / AddApplicationCloudWatchLoggingOption
   * (attachment-plan.ts).
   */
  | {
      kind: "attach";
      change: AttachmentChange;
      currentVersionId: number;
      fields: string[];
      propertiesHash?: string;
    }
  | { kind: "tag"; arn: string; add: Record<string, string>; remove: string[] }
  | { kind: "delete"; createTimestamp: Date }
  /** Nothing to call now; observe again after the poll interval. */
  | { kind: "wait"; reason: string; message: string }
  /** The spec must change first: name conflict, terminal error (kept in status), unusable code. */
  | { kind: "stalled"; reason: string; message: string; error?: LastError; retryAfterMs?: number }
  /** Fetch spec.code.artifact, verify it and upload it once; recorded in status.artifact. */
  | { kind: "uploadArtifact" }
  /** Desired state reached; look again after recheckAfterMs when something is due (a scheduled snapshot). */
  | { kind: "steady"; message: string; recheckAfterMs?: number }
  /** RUNNING as the spec asks, but the job is not healthy (or there are no metrics to say it is). */
  | { kind: "unhealthy"; verdict: Exclude<JobVerdict, "Healthy">; message: string }
  /** Only a status change (recording or completing an operation). */
  | { kind: "record"; reason: string; message: string }
  | { kind: "snapshot"; snapshotName: string; reason: string }
  | { kind: "deleteSnapshot"; snapshotName: string; createdAt: Date }
  | { kind: "rollback"; currentVersionId: number }
  /** A failed update: reported (event, Stalled) and, with onFailure RestorePreviousVersion, undone next. */
  | { kind: "updateFailed"; failure: FailedUpdate; operationId?: string }
) & { changes?: StatusChanges };

/** Statuses in which the service is changing the application: observe again, call nothing. */
export const transitional = new Set([
  "STARTING",
  "STOPPING",
  "UPDATING",
  "AUTOSCALING",
  "FORCE_STOPPING",
  "ROLLING_BACK",
  "MAINTENANCE",
  "DELETING",
]);

export function pascal(s: string): string {
  return s
    .toLowerCase()
    .split("_")
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join("");
}
