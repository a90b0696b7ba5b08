// planNextStep: the pure heart of the reconciler. From the spec, what DescribeApplication reported and
// what status recorded, it picks exactly one next step. No I/O here, so every branch is unit-tested
// (test/unit/plan.test.ts).
import type {
  ApplicationDetail,
  RunConfiguration,
  RuntimeEnvironment,
  UpdateApplicationRequest,
} from "@aws-sdk/client-kinesis-analytics-v2";
import { NotFound, type Observed } from "../aws/managed-flink.js";
import type { FlinkApplicationSpec, FlinkApplicationStatus } from "../crds/types.generated.js";
import {
  type CodeObject,
  configurationDrift,
  createApplicationRequest,
  ownerTag,
  runConfiguration,
  runConfigurationUpdate,
} from "./desired.js";

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
  /** The code object to run, or why it cannot be resolved (a terminal problem of the spec). */
  code: CodeObject | { error: string };
  deleting: boolean;
  hasFinalizer: boolean;
  /** The resource opted in to adopting an existing application (annotation managedflink.dev/adopt). */
  adopt: boolean;
  observed: Observed<ApplicationDetail>;
  /** Known whenever observed is an application. */
  ownership?: Ownership;
  /** Tags as read from AWS; read only when the spec changed, so a steady resync makes one call. */
  observedTags?: Record<string, string>;
}

export type Step =
  | { kind: "addFinalizer" }
  | { kind: "removeFinalizer"; reason: string }
  | { kind: "create"; request: ReturnType<typeof createApplicationRequest> }
  | { kind: "adopt"; arn: string }
  | { kind: "start"; run: RunConfiguration }
  | { kind: "stop"; force: boolean; reason: string }
  | { kind: "update"; request: UpdateApplicationRequest; fields: string[] }
  | { kind: "tag"; arn: string; add: Record<string, string>; remove: string[] }
  | { kind: "delete"; createTimestamp: Date }
  /** Nothing to call now; observe again after the poll interval. */
  | { kind: "wait"; reason: string; message: string }
  /** The spec must change first: name conflict, terminal error, unusable code. */
  | { kind: "stalled"; reason: string; message: string }
  /** Desired state reached. */
  | { kind: "steady"; message: string };

const transitional = new Set([
  "STARTING",
  "STOPPING",
  "UPDATING",
  "AUTOSCALING",
  "FORCE_STOPPING",
  "ROLLING_BACK",
  "MAINTENANCE",
  "DELETING",
]);

export function desiredTags(input: Pick<PlanInput, "spec" | "key">): Record<string, string> {
  return { ...input.spec.tags, [ownerTag]: input.key };
}

function tagDelta(want: Record<string, string>, have: Record<string, string>) {
  const add = Object.fromEntries(Object.entries(want).filter(([k, v]) => have[k] !== v));
  // aws: tags belong to AWS, and anything else not declared is removed only if we are sure it is
  // ours to manage: every tag on an owned application is declared in spec.tags.
  const remove = Object.keys(have).filter((k) => !(k in want) && !k.startsWith("aws:"));
  return { add, remove };
}

export function planNextStep(input: PlanInput): Step {
  const { spec, observed, status } = input;
  const desiredState = spec.desiredState ?? "Running";

  if (input.deleting) return planDeletion(input);
  if (!input.hasFinalizer) return { kind: "addFinalizer" };

  if (status.region && status.region !== input.region) {
    return {
      kind: "stalled",
      reason: "RegionChanged",
      message: `the application lives in ${status.region}; spec.region cannot move it to ${input.region}`,
    };
  }
  if ("error" in input.code) return { kind: "stalled", reason: "InvalidCode", message: input.code.error };
  const code = input.code;

  if (observed === NotFound) {
    return {
      kind: "create",
      request: createApplicationRequest(input.applicationName, spec, code, input.key),
    };
  }

  const ownership = input.ownership ?? { kind: "unowned" };
  if (ownership.kind !== "ours") {
    if (ownership.kind === "unowned" && input.adopt) return { kind: "adopt", arn: observed.ApplicationARN! };
    const by = ownership.kind === "other" ? ` (it belongs to FlinkApplication ${ownership.owner})` : "";
    const hint =
      ownership.kind === "unowned" ? '; set annotation managedflink.dev/adopt: "true" to manage it' : "";
    return {
      kind: "stalled",
      reason: "NameConflict",
      message: `an application named ${input.applicationName} already exists in ${input.region}${by} and is left untouched${hint}`,
    };
  }

  const appStatus = observed.ApplicationStatus ?? "UNKNOWN";
  if (transitional.has(appStatus)) {
    return { kind: "wait", reason: pascal(appStatus), message: `application is ${appStatus}` };
  }

  const drift = configurationDrift(spec, code, observed);
  const update = drift.update;

  if (input.observedTags) {
    const { add, remove } = tagDelta(desiredTags(input), input.observedTags);
    if (Object.keys(add).length > 0 || remove.length > 0) {
      return { kind: "tag", arn: observed.ApplicationARN!, add, remove };
    }
  }

  if (appStatus === "RUNNING" && desiredState === "Stopped") {
    return { kind: "stop", force: false, reason: "desiredState is Stopped" };
  }

  if (update && (appStatus === "READY" || appStatus === "RUNNING" || appStatus === "ROLLED_BACK")) {
    return {
      kind: "update",
      fields: drift.fields.filter((f) => !drift.uncorrectable.includes(f)),
      request: {
        ApplicationName: input.applicationName,
        CurrentApplicationVersionId: observed.ApplicationVersionId,
        ...(update.configuration ? { ApplicationConfigurationUpdate: update.configuration } : {}),
        ...(update.runtimeEnvironment
          ? { RuntimeEnvironmentUpdate: update.runtimeEnvironment as RuntimeEnvironment }
          : {}),
        ...(update.serviceExecutionRole ? { ServiceExecutionRoleUpdate: update.serviceExecutionRole } : {}),
        // A running application restarts on update; restore as the spec says, never silently from scratch.
        ...(appStatus === "RUNNING" ? { RunConfigurationUpdate: runConfigurationUpdate(spec) } : {}),
      },
    };
  }

  if (appStatus === "READY" && desiredState === "Running") {
    return { kind: "start", run: runConfiguration(spec) };
  }

  const uncorrectable =
    drift.uncorrectable.length > 0
      ? `; drift not corrected (would need recreating the application): ${drift.uncorrectable.join(", ")}`
      : "";
  if (appStatus === "RUNNING" || (appStatus === "READY" && desiredState === "Stopped")) {
    return { kind: "steady", message: `application is ${appStatus}${uncorrectable}` };
  }
  // ROLLED_BACK with nothing to change, or a status this operator does not know yet.
  return { kind: "wait", reason: pascal(appStatus), message: `application is ${appStatus}${uncorrectable}` };
}

function planDeletion(input: PlanInput): Step {
  const { observed, spec } = input;
  if (!input.hasFinalizer) return { kind: "steady", message: "deleted" };
  if ((spec.deletionPolicy ?? "Retain") === "Retain") {
    return {
      kind: "removeFinalizer",
      reason: "deletionPolicy Retain: the application is left running and untouched",
    };
  }
  if (observed === NotFound) return { kind: "removeFinalizer", reason: "the application is deleted" };
  if (input.ownership?.kind !== "ours") {
    return {
      kind: "removeFinalizer",
      reason: "the application is not managed by this resource; left untouched",
    };
  }
  const appStatus = observed.ApplicationStatus ?? "UNKNOWN";
  if (appStatus === "RUNNING" || appStatus === "AUTOSCALING" || appStatus === "ROLLED_BACK") {
    // The application is going away with its snapshots, so a snapshot on stop would be wasted time.
    return { kind: "stop", force: true, reason: "deletionPolicy Delete" };
  }
  if (appStatus === "READY") return { kind: "delete", createTimestamp: observed.CreateTimestamp! };
  return {
    kind: "wait",
    reason: "Deleting",
    message: `application is ${appStatus}; deleting when it settles`,
  };
}

function pascal(s: string): string {
  return s
    .toLowerCase()
    .split("_")
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join("");
}
