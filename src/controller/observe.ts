// Observe: everything the planner needs from AWS, read and never written. A settled application costs
// one DescribeApplication; the other reads happen only while something depends on them.
import type { ApplicationDetail, SnapshotDetails } from "@aws-sdk/client-kinesis-analytics-v2";
import { type ManagedFlinkApi, NotFound, type Observed } from "../aws/managed-flink.js";
import type { FlinkApplication, FlinkApplicationStatus } from "../crds/types.generated.js";
import { ownerTag } from "./desired.js";
import { desiredTags, type Ownership, pendingSnapshotName, tagsDigest } from "./plan.js";

/** The FlinkApplication as the reconcile sees it: names, region and the AWS client for that region. */
export interface Target {
  obj: FlinkApplication;
  /** namespace/name */
  key: string;
  generation: number;
  applicationName: string;
  region: string;
  api: ManagedFlinkApi;
  /** The role assumed for this namespace (FlinkApplicationPolicy assumeRoleARN); S3 calls use it too. */
  assumeRoleARN?: string;
  deleting: boolean;
  hasFinalizer: boolean;
}

export interface Observation {
  observed: Observed<ApplicationDetail>;
  ownership?: Ownership;
  observedTags?: Record<string, string>;
  observedSnapshot?: Observed<SnapshotDetails>;
  previousVersion?: Observed<ApplicationDetail>;
}

export async function observe(t: Target): Promise<Observation> {
  // Before the finalizer is in place nothing may be created, so there is nothing to read yet.
  if (!t.hasFinalizer) return { observed: NotFound };
  const observed = await t.api.describeApplication(t.applicationName);
  if (observed === NotFound) return { observed };
  const status = t.obj.status ?? {};
  const ownership = await ownershipOf(t, observed, status);
  if (ownership.kind !== "ours" || t.deleting) return { observed, ownership };
  // Tags are not versioned and DescribeApplication does not return them: read them only while the
  // spec's tags differ from those AWS last confirmed (status.tagsDigest), so that a resync and a spec
  // change that leaves tags alone stay without the call.
  const want = tagsDigest(desiredTags({ spec: t.obj.spec, key: t.key }));
  const observedTags =
    status.tagsDigest !== want ? await t.api.listTags(observed.ApplicationARN!) : undefined;
  // Only while an operation or a snapshot request depends on them: one more read, never at rest.
  const pending = pendingSnapshotName(t.obj.spec, status, t.applicationName);
  const observedSnapshot = pending ? await t.api.describeSnapshot(t.applicationName, pending) : undefined;
  const op = status.operation;
  const previousVersion =
    op?.type === "Rollback" && op.fromVersionId
      ? await t.api.describeVersion(t.applicationName, op.fromVersionId)
      : undefined;
  return { observed, ownership, observedTags, observedSnapshot, previousVersion };
}

async function ownershipOf(
  t: Target,
  observed: ApplicationDetail,
  status: FlinkApplicationStatus,
): Promise<Ownership> {
  // Linked in status: we created or adopted exactly this application (same ARN and creation time).
  if (
    status.applicationARN === observed.ApplicationARN &&
    status.createTimestamp === observed.CreateTimestamp?.toISOString()
  ) {
    return { kind: "ours" };
  }
  const owner = (await t.api.listTags(observed.ApplicationARN!))[ownerTag];
  if (owner === t.key) return { kind: "ours" };
  return owner ? { kind: "other", owner } : { kind: "unowned" };
}
