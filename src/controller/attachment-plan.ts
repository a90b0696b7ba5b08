// Attaching to or detaching from an application what UpdateApplication can change but not add: its VPC
// configuration and its CloudWatch logging option. UpdateApplication changes an existing one
// (VpcConfigurationUpdates, CloudWatchLoggingOptionUpdates, both by id); adding one takes
// AddApplicationVpcConfiguration / AddApplicationCloudWatchLoggingOption and removing the VPC
// DeleteApplicationVpcConfiguration
// (https://docs.aws.amazon.com/managed-flink/latest/apiv2/API_AddApplicationVpcConfiguration.html,
// …/API_DeleteApplicationVpcConfiguration.html, …/API_AddApplicationCloudWatchLoggingOption.html).
// Each makes a new application version, so on a RUNNING application it restarts the job like an
// update: it runs as the snapshot-first operation of update-plan.ts, with its call in place of
// UpdateApplication. At rest the call is made directly. Other drift goes first, as its own update; each
// attachment follows as an operation of its own. A logging option is never removed: removing spec.logging
// leaves logging as it is, since removing it would only lose evidence (configuration-map.ts).
import type { ApplicationDetail, VpcConfiguration } from "@aws-sdk/client-kinesis-analytics-v2";
import type { FlinkApplicationSpec } from "../crds/types.generated.js";
import type { Drift } from "./desired.js";
import type { PlanInput, Step } from "./plan-types.js";
import { failedAlready, propertiesOf } from "./properties-plan.js";

export type VpcChange =
  | { field: "vpc"; kind: "add"; vpc: VpcConfiguration }
  | { field: "vpc"; kind: "delete"; vpcConfigurationId: string };
/** spec.logging names a stream (resolved to its ARN before planning) and AWS has no logging option. */
export type LoggingChange = { field: "logging"; kind: "add"; logStreamARN: string };
export type AttachmentChange = VpcChange | LoggingChange;

/** A VPC to add (spec has one, AWS none) or to remove (the reverse); changes of one are updates. */
export function vpcChange(spec: FlinkApplicationSpec, observed: ApplicationDetail): VpcChange | undefined {
  const seen = observed.ApplicationConfigurationDescription?.VpcConfigurationDescriptions?.[0];
  if (spec.vpc && !seen) {
    return {
      field: "vpc",
      kind: "add",
      vpc: { SubnetIds: spec.vpc.subnetIds, SecurityGroupIds: spec.vpc.securityGroupIds },
    };
  }
  if (!spec.vpc && seen?.VpcConfigurationId)
    return { field: "vpc", kind: "delete", vpcConfigurationId: seen.VpcConfigurationId };
  return undefined;
}

/** A logging option to add; a different stream on an existing option is an update (configuration-map.ts). */
export function loggingChange(
  spec: FlinkApplicationSpec,
  observed: ApplicationDetail,
): LoggingChange | undefined {
  const arn = spec.logging?.logStreamARN;
  if (!arn || (observed.CloudWatchLoggingOptionDescriptions ?? []).length > 0) return undefined;
  return { field: "logging", kind: "add", logStreamARN: arn };
}

/** The next attachment call the spec needs, one at a time: the VPC first, then logging. */
export function attachmentChange(
  spec: FlinkApplicationSpec,
  observed: ApplicationDetail,
): AttachmentChange | undefined {
  return vpcChange(spec, observed) ?? loggingChange(spec, observed);
}

/** With no other drift: an attachment operation while RUNNING, the call itself while READY. */
export function planAttachment(
  input: PlanInput,
  observed: ApplicationDetail,
  startUpdate: (fields: string[]) => Step,
): Step | undefined {
  const change = attachmentChange(input.spec, observed);
  if (!change) return undefined;
  // A change that failed for this generation is not tried again until the spec changes.
  if (failedAlready(input)) return undefined;
  const appStatus = observed.ApplicationStatus ?? "UNKNOWN";
  if (appStatus === "RUNNING") return restoresOlderState(observed, change) ?? startUpdate([change.field]);
  if (appStatus !== "READY") return undefined;
  return {
    kind: "attach",
    change,
    currentVersionId: observed.ApplicationVersionId!,
    fields: [change.field],
    ...propertiesOf(input),
  };
}

/**
 * The attachment calls carry no RunConfigurationUpdate: the redeploy restores as the application's
 * stored ApplicationRestoreConfiguration says. After an operator update that is
 * RESTORE_FROM_CUSTOM_SNAPSHOT of that update's pre-update snapshot — older than the running state — so
 * the call would rewind the job. Never silently: the change waits for the user to stop the application
 * (then it is made at rest, and the next start restores as spec.restore says). ADR 0015.
 */
function restoresOlderState(observed: ApplicationDetail, change: AttachmentChange): Step | undefined {
  const restore =
    observed.ApplicationConfigurationDescription?.RunConfigurationDescription
      ?.ApplicationRestoreConfigurationDescription;
  if (restore?.ApplicationRestoreType !== "RESTORE_FROM_CUSTOM_SNAPSHOT") return undefined;
  const [reason, what] =
    change.field === "vpc"
      ? ["VpcChangeNeedsStop", "adding or removing spec.vpc"]
      : ["LoggingChangeNeedsStop", "adding spec.logging"];
  return {
    kind: "stalled",
    reason,
    message: `${what} restarts the job from its configured restore snapshot ${restore.SnapshotName}, older than its current state; set spec.desiredState: Stopped to apply it at rest, then Running`,
  };
}

/** The operation's one call: UpdateApplication, unless all that is left is an attachment call. */
export function operationCall(input: PlanInput, observed: ApplicationDetail, drift: Drift, step: Step): Step {
  if (step.kind !== "update" || drift.update) return step;
  const change = attachmentChange(input.spec, observed);
  if (!change) return step;
  return {
    kind: "attach",
    change,
    currentVersionId: observed.ApplicationVersionId!,
    fields: step.fields,
    ...(step.changes ? { changes: step.changes } : {}),
  };
}
