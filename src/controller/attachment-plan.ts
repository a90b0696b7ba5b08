// Adding or removing the VPC of an application. UpdateApplication changes an existing VPC
// configuration (VpcConfigurationUpdates) but cannot add or remove one; that takes
// AddApplicationVpcConfiguration / DeleteApplicationVpcConfiguration
// (https://docs.aws.amazon.com/managed-flink/latest/apiv2/API_AddApplicationVpcConfiguration.html,
// …/API_DeleteApplicationVpcConfiguration.html). Both make a new application version, so on a RUNNING
// application they restart the job like an update: they run as the snapshot-first operation of
// update-plan.ts, with the VPC call in place of UpdateApplication. At rest the call is made directly.
// Other drift goes first, as its own update; the VPC change follows as a second operation.
import type { ApplicationDetail, VpcConfiguration } from "@aws-sdk/client-kinesis-analytics-v2";
import type { FlinkApplicationSpec } from "../crds/types.generated.js";
import type { Drift } from "./desired.js";
import type { PlanInput, Step } from "./plan-types.js";
import { failedAlready, propertiesOf } from "./properties-plan.js";

export type VpcChange =
  | { kind: "add"; vpc: VpcConfiguration }
  | { kind: "delete"; vpcConfigurationId: string };

/** A VPC to add (spec has one, AWS none) or to remove (the reverse); changes of one are updates. */
export function vpcChange(spec: FlinkApplicationSpec, observed: ApplicationDetail): VpcChange | undefined {
  const seen = observed.ApplicationConfigurationDescription?.VpcConfigurationDescriptions?.[0];
  if (spec.vpc && !seen) {
    return {
      kind: "add",
      vpc: { SubnetIds: spec.vpc.subnetIds, SecurityGroupIds: spec.vpc.securityGroupIds },
    };
  }
  if (!spec.vpc && seen?.VpcConfigurationId)
    return { kind: "delete", vpcConfigurationId: seen.VpcConfigurationId };
  return undefined;
}

/** With no other drift: a VPC operation while RUNNING, the VPC call itself while READY. */
export function planVpc(
  input: PlanInput,
  observed: ApplicationDetail,
  startUpdate: (fields: string[]) => Step,
): Step | undefined {
  const change = vpcChange(input.spec, observed);
  if (!change) return undefined;
  // A VPC change that failed for this generation is not tried again until the spec changes.
  if (failedAlready(input)) return undefined;
  const appStatus = observed.ApplicationStatus ?? "UNKNOWN";
  if (appStatus === "RUNNING") return restoresOlderState(observed) ?? startUpdate(["vpc"]);
  if (appStatus !== "READY") return undefined;
  return {
    kind: "vpc",
    change,
    currentVersionId: observed.ApplicationVersionId!,
    fields: ["vpc"],
    ...propertiesOf(input),
  };
}

/**
 * The VPC calls carry no RunConfigurationUpdate: the redeploy restores as the application's stored
 * ApplicationRestoreConfiguration says. After an operator update that is RESTORE_FROM_CUSTOM_SNAPSHOT of
 * that update's pre-update snapshot — older than the running state — so the call would rewind the job.
 * Never silently: the change waits for the user to stop the application (then it is made at rest, and
 * the next start restores as spec.restore says). ADR 0015.
 */
function restoresOlderState(observed: ApplicationDetail): Step | undefined {
  const restore =
    observed.ApplicationConfigurationDescription?.RunConfigurationDescription
      ?.ApplicationRestoreConfigurationDescription;
  if (restore?.ApplicationRestoreType !== "RESTORE_FROM_CUSTOM_SNAPSHOT") return undefined;
  return {
    kind: "stalled",
    reason: "VpcChangeNeedsStop",
    message: `adding or removing spec.vpc restarts the job from its configured restore snapshot ${restore.SnapshotName}, older than its current state; set spec.desiredState: Stopped to apply it at rest, then Running`,
  };
}

/** The operation's one call: UpdateApplication, unless all that is left is adding or removing the VPC. */
export function operationCall(input: PlanInput, observed: ApplicationDetail, drift: Drift, step: Step): Step {
  if (step.kind !== "update" || drift.update) return step;
  const change = vpcChange(input.spec, observed);
  if (!change) return step;
  return {
    kind: "vpc",
    change,
    currentVersionId: observed.ApplicationVersionId!,
    fields: step.fields,
    ...(step.changes ? { changes: step.changes } : {}),
  };
}
