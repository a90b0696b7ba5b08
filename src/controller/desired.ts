// What the spec asks of AWS, derived from the one table in configuration-map.ts: the create request,
// the drift against DescribeApplication (and the update that corrects it), and the spec a previous
// version describes.
import type {
  ApplicationDetail,
  CreateApplicationRequest,
  RunConfiguration,
  RunConfigurationUpdate,
} from "@aws-sdk/client-kinesis-analytics-v2";
import type { FlinkApplicationSpec } from "../crds/types.generated.js";
import { type CodeObject, codeSection, sections } from "./configuration-map.js";

export { bucketArn, type CodeObject } from "./configuration-map.js";

/** The tag that marks an application as managed by one FlinkApplication (namespace/name). */
export const ownerTag = "managedflink.dev/owner";

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Deep merge of the sections' request fragments; arrays and scalars are taken as they are. */
function merge<T>(fragments: object[]): T {
  const out: Json = {};
  for (const fragment of fragments) {
    for (const [k, v] of Object.entries(fragment)) {
      out[k] = isObject(v) && isObject(out[k]) ? merge([out[k] as Json, v]) : v;
    }
  }
  return out as T;
}

export function createApplicationRequest(
  applicationName: string,
  spec: FlinkApplicationSpec,
  code: CodeObject,
  owner: string,
): CreateApplicationRequest {
  return merge<CreateApplicationRequest>([
    {
      ApplicationName: applicationName,
      ApplicationDescription: spec.description,
      ApplicationMode: "STREAMING",
      Tags: Object.entries({ ...spec.tags, [ownerTag]: owner }).map(([Key, Value]) => ({ Key, Value })),
    },
    ...sections.map((s) => s.create(s.fromSpec(spec, code))),
  ]);
}

/** StartApplication's RunConfiguration from spec.restore and spec.allowNonRestoredState. */
export function runConfiguration(spec: FlinkApplicationSpec): RunConfiguration {
  const type = spec.restore?.type ?? "LatestSnapshot";
  return {
    ApplicationRestoreConfiguration:
      type === "Snapshot"
        ? { ApplicationRestoreType: "RESTORE_FROM_CUSTOM_SNAPSHOT", SnapshotName: spec.restore?.snapshotName }
        : type === "SkipRestore"
          ? { ApplicationRestoreType: "SKIP_RESTORE_FROM_SNAPSHOT" }
          : { ApplicationRestoreType: "RESTORE_FROM_LATEST_SNAPSHOT" },
    FlinkRunConfiguration: { AllowNonRestoredState: spec.allowNonRestoredState ?? false },
  };
}

/** The same restore settings for UpdateApplication, which restarts a running application. */
export function runConfigurationUpdate(spec: FlinkApplicationSpec): RunConfigurationUpdate {
  const { ApplicationRestoreConfiguration, FlinkRunConfiguration } = runConfiguration(spec);
  return { ApplicationRestoreConfiguration, FlinkRunConfiguration };
}

export interface Drift {
  /** Names of the spec fields that differ from AWS, for events and status messages. */
  fields: string[];
  /** The UpdateApplication fields that correct them (undefined when only uncorrectable fields differ). */
  update?: ReturnType<(typeof sections)[number]["update"]>;
  /** Fields that differ but UpdateApplication cannot change; reported, never forced. */
  uncorrectable: string[];
  /** For each differing field, what the spec wants and what AWS reports (for status messages). */
  differences: { field: string; want: unknown; seen: unknown }[];
}

/**
 * Compares the spec with the observed application. Only configured values are compared; values the
 * service owns (CurrentParallelism under autoscaling, version ids, timestamps) are not, so the
 * operator never fights the service.
 */
export function configurationDrift(
  spec: FlinkApplicationSpec,
  code: CodeObject,
  observed: ApplicationDetail,
): Drift {
  const fields: string[] = [];
  const uncorrectable: string[] = [];
  const updates: object[] = [];
  const differences: Drift["differences"] = [];
  for (const s of sections) {
    const want = s.fromSpec(spec, code);
    const seen = s.fromDescription(observed);
    // Not reported is unknown, not drift: no update can make AWS report it.
    if (seen === undefined || s.same(want, seen)) continue;
    differences.push({ field: s.field, want, seen });
    if (s.correctable && !s.correctable(want, seen)) {
      uncorrectable.push(s.field);
      continue;
    }
    fields.push(s.field);
    updates.push(s.update(want, seen));
  }
  return {
    fields: [...fields, ...uncorrectable],
    uncorrectable,
    differences,
    ...(updates.length > 0 ? { update: merge<NonNullable<Drift["update"]>>(updates) } : {}),
  };
}

/**
 * The spec (and code object) that an application version describes: the inverse of
 * createApplicationRequest, so that configurationDrift(specFromDetail(previous), …, current) is the
 * update that restores a previous version's configuration.
 */
export function specFromDetail(
  detail: ApplicationDetail,
  base: FlinkApplicationSpec,
): { spec: FlinkApplicationSpec; code: CodeObject } {
  const spec = { ...base } as FlinkApplicationSpec;
  for (const s of sections) {
    const seen = s.fromDescription(detail);
    if (seen !== undefined) Object.assign(spec, s.toSpec(seen, base));
  }
  const code = codeSection.fromDescription(detail) ?? { bucket: "", key: "" };
  return { spec, code };
}

/**
 * The log stream's ARN for spec.logging: given, or built from the log group and stream names, the
 * region and the account (and partition) of the service execution role — the role the service writes
 * the logs with lives in the application's account. undefined when the spec names no stream.
 */
export function logStreamArn(spec: FlinkApplicationSpec, region: string): string | undefined {
  const l = spec.logging;
  if (!l) return undefined;
  if (l.logStreamARN) return l.logStreamARN;
  const role = /^arn:(aws[a-z-]*):iam::(\d{12}):/.exec(spec.serviceExecutionRole);
  if (!role || !l.logGroup || !l.logStream) return undefined;
  return `arn:${role[1]}:logs:${region}:${role[2]}:log-group:${l.logGroup}:log-stream:${l.logStream}`;
}

/** The spec with spec.logging in its ARN form, as the configuration table compares it. */
export function withLogStreamArn(spec: FlinkApplicationSpec, region: string): FlinkApplicationSpec {
  const arn = logStreamArn(spec, region);
  return arn && !spec.logging?.logStreamARN ? { ...spec, logging: { logStreamARN: arn } } : spec;
}
