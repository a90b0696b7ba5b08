// The one table between the FlinkApplication spec and Managed Flink's configuration. Each section
// reads one value from the spec and the same value from DescribeApplication, and writes it into
// CreateApplication, UpdateApplication and back into a spec. The create request, the drift/update,
// the spec of a previous version and the observed status are all derived from this table
// (desired.ts), so a new configuration field is added here and nowhere else (ADR 0009).
import type {
  ApplicationDetail,
  CreateApplicationRequest,
  FlinkApplicationConfigurationDescription,
  UpdateApplicationRequest,
} from "@aws-sdk/client-kinesis-analytics-v2";
import type { FlinkApplicationSpec } from "../crds/types.generated.js";

export interface CodeObject {
  bucket: string;
  key: string;
  objectVersion?: string;
}

type Create = Partial<CreateApplicationRequest>;
type Update = Pick<
  UpdateApplicationRequest,
  | "ApplicationConfigurationUpdate"
  | "RuntimeEnvironmentUpdate"
  | "ServiceExecutionRoleUpdate"
  | "CloudWatchLoggingOptionUpdates"
>;

/** One configuration section: a value V in one normal form, whichever side it was read from. */
export interface Section<V> {
  /** The spec field named in drift reports, events and status.operation.fields. */
  field: string;
  fromSpec(spec: FlinkApplicationSpec, code: CodeObject): V;
  /** undefined: the description does not report this section, so it is unknown — never drift. */
  fromDescription(detail: ApplicationDetail): V | undefined;
  /** Whether what AWS reports (`seen`) already is what the spec wants; parts AWS leaves out count as equal. */
  same(want: V, seen: V): boolean;
  create(value: V): Create;
  update(value: V, seen: V): Update;
  toSpec(value: V, base: FlinkApplicationSpec): Partial<FlinkApplicationSpec>;
  /** False when UpdateApplication cannot make `seen` into `want` (reported as drift, never forced). */
  correctable?(want: V, seen: V): boolean;
}

const config = (c: CreateApplicationRequest["ApplicationConfiguration"]): Create => ({
  ApplicationConfiguration: c,
});
const configUpdate = (u: UpdateApplicationRequest["ApplicationConfigurationUpdate"]): Update => ({
  ApplicationConfigurationUpdate: u,
});
const flinkDescription = (d: ApplicationDetail): FlinkApplicationConfigurationDescription | undefined =>
  d.ApplicationConfigurationDescription?.FlinkApplicationConfigurationDescription;

/** S3 bucket ARNs carry no region or account: `arn:<partition>:s3:::<bucket>`. */
export const bucketArn = (bucket: string) => `arn:aws:s3:::${bucket}`;
const bucketOfArn = (arn: string) => arn.replace(/^arn:aws[a-z-]*:s3:::/, "");

const code: Section<CodeObject> = {
  field: "code",
  fromSpec: (_spec, c) => c,
  fromDescription(d) {
    const s3 =
      d.ApplicationConfigurationDescription?.ApplicationCodeConfigurationDescription?.CodeContentDescription
        ?.S3ApplicationCodeLocationDescription;
    if (!s3) return undefined;
    return {
      bucket: bucketOfArn(s3.BucketARN ?? ""),
      key: s3.FileKey ?? "",
      ...(s3.ObjectVersion ? { objectVersion: s3.ObjectVersion } : {}),
    };
  },
  same: (a, b) =>
    a.bucket === b.bucket && a.key === b.key && (a.objectVersion ?? "") === (b.objectVersion ?? ""),
  create: (c) =>
    config({
      ApplicationCodeConfiguration: {
        CodeContentType: "ZIPFILE",
        CodeContent: {
          S3ContentLocation: {
            BucketARN: bucketArn(c.bucket),
            FileKey: c.key,
            ...(c.objectVersion ? { ObjectVersion: c.objectVersion } : {}),
          },
        },
      },
    }),
  update: (c) =>
    configUpdate({
      ApplicationCodeConfigurationUpdate: {
        CodeContentTypeUpdate: "ZIPFILE",
        CodeContentUpdate: {
          S3ContentLocationUpdate: {
            BucketARNUpdate: bucketArn(c.bucket),
            FileKeyUpdate: c.key,
            ...(c.objectVersion ? { ObjectVersionUpdate: c.objectVersion } : {}),
          },
        },
      },
    }),
  toSpec: (c) => ({ code: { s3: c } }),
};

/** DEFAULT or CUSTOM, as CheckpointConfiguration, ParallelismConfiguration and MonitoringConfiguration are. */
interface Typed {
  /** undefined: not reported. */
  type?: "DEFAULT" | "CUSTOM";
  /**
   * By spec member name; for DEFAULT what the service reports (or nothing, from the spec). undefined on
   * the spec side: a member the spec leaves to the service; on the AWS side: a member not reported.
   */
  values: Record<string, string | number | boolean | undefined>;
}

type Member = [spec: string, aws: string, fallback: string | number | boolean | undefined];

type TypedField = "checkpointing" | "parallelism" | "monitoring";
type TypedAws = "CheckpointConfiguration" | "ParallelismConfiguration" | "MonitoringConfiguration";

/**
 * A DEFAULT/CUSTOM section. An omitted spec block means DEFAULT (the service picks the values); a
 * present one is CUSTOM with each omitted member set to `fallback` — or, where the fallback is
 * undefined, left to the service: never sent and never compared. DEFAULT values are the service's, so
 * only the type is compared. What the description leaves out is unknown, not drift (issue 14: a
 * service reply that omits a field must not start an update loop).
 */
function typed(
  field: TypedField,
  aws: TypedAws,
  members: Member[],
  isCustom: (block: Record<string, unknown>) => boolean = () => true,
): Section<Typed> {
  const awsValues = (v: Typed, suffix: string) =>
    v.type === "DEFAULT"
      ? {}
      : Object.fromEntries(
          members.filter(([s]) => v.values[s] !== undefined).map(([s, a]) => [a + suffix, v.values[s]]),
        );
  return {
    field,
    fromSpec(spec) {
      const block = spec[field] as Record<string, string | number | boolean | undefined> | undefined;
      if (!block || !isCustom(block)) return { type: "DEFAULT", values: {} };
      return { type: "CUSTOM", values: Object.fromEntries(members.map(([s, , f]) => [s, block[s] ?? f])) };
    },
    fromDescription(d) {
      const seen = flinkDescription(d)?.[`${aws}Description`] as Record<string, never> | undefined;
      if (!seen) return undefined;
      return {
        ...(seen.ConfigurationType ? { type: seen.ConfigurationType } : {}),
        values: Object.fromEntries(members.map(([s, a]) => [s, seen[a]])),
      };
    },
    same: (want, seen) =>
      (seen.type === undefined || want.type === seen.type) &&
      (want.type === "DEFAULT" ||
        members.every(([s]) => {
          const [w, v] = [want.values[s], seen.values[s]];
          return w === undefined || v === undefined || w === v;
        })),
    create: (v) =>
      config({
        FlinkApplicationConfiguration: {
          [aws]: { ConfigurationType: v.type ?? "DEFAULT", ...awsValues(v, "") },
        },
      }),
    update: (v) =>
      configUpdate({
        FlinkApplicationConfigurationUpdate: {
          [`${aws}Update`]: { ConfigurationTypeUpdate: v.type ?? "DEFAULT", ...awsValues(v, "Update") },
        },
      }),
    toSpec: (v) => ({ [field]: v.type === "CUSTOM" ? { ...v.values } : undefined }),
  };
}

// Service defaults for ConfigurationType DEFAULT and the fallbacks of a CUSTOM block, from the
// CheckpointConfiguration, ParallelismConfiguration and MonitoringConfiguration API reference:
// https://docs.aws.amazon.com/managed-flink/latest/apiv2/API_CheckpointConfiguration.html
// https://docs.aws.amazon.com/managed-flink/latest/apiv2/API_ParallelismConfiguration.html
// https://docs.aws.amazon.com/managed-flink/latest/apiv2/API_MonitoringConfiguration.html
const checkpointing = typed("checkpointing", "CheckpointConfiguration", [
  ["enabled", "CheckpointingEnabled", true],
  ["intervalMillis", "CheckpointInterval", 60_000],
  ["minPauseBetweenCheckpointsMillis", "MinPauseBetweenCheckpoints", 5_000],
]);
const parallelism = typed("parallelism", "ParallelismConfiguration", [
  ["parallelism", "Parallelism", 1],
  ["parallelismPerKPU", "ParallelismPerKPU", 1],
  // Left to the service when omitted, so `kubectl scale` on a spec without it keeps autoscaling as it is
  // (the service default is on: "Automatic scaling is enabled by default",
  // https://docs.aws.amazon.com/managed-flink/latest/java/how-scaling-auto.html).
  ["autoScaling", "AutoScalingEnabled", undefined],
]);
const monitoring = typed(
  "monitoring",
  "MonitoringConfiguration",
  [
    ["logLevel", "LogLevel", "INFO"],
    ["metricsLevel", "MetricsLevel", "APPLICATION"],
  ],
  (m) => Boolean(m.logLevel || m.metricsLevel),
);

type Groups = Record<string, Record<string, string>>;
const sameMap = (a: Record<string, string>, b: Record<string, string>) => {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
};
const propertyGroups = (g: Groups) =>
  Object.entries(g)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([PropertyGroupId, PropertyMap]) => ({ PropertyGroupId, PropertyMap }));

const environmentProperties: Section<Groups> = {
  field: "environmentProperties",
  fromSpec: (spec) => spec.environmentProperties ?? {},
  fromDescription: (d) =>
    Object.fromEntries(
      (
        d.ApplicationConfigurationDescription?.EnvironmentPropertyDescriptions?.PropertyGroupDescriptions ??
        []
      ).map((g) => [g.PropertyGroupId!, g.PropertyMap ?? {}]),
    ),
  same: (a, b) =>
    Object.keys(a).length === Object.keys(b).length &&
    Object.entries(a).every(([id, map]) => b[id] !== undefined && sameMap(map, b[id]!)),
  create: (g) =>
    Object.keys(g).length > 0 ? config({ EnvironmentProperties: { PropertyGroups: propertyGroups(g) } }) : {},
  update: (g) => configUpdate({ EnvironmentPropertyUpdates: { PropertyGroups: propertyGroups(g) } }),
  toSpec: (g) => ({ environmentProperties: Object.keys(g).length > 0 ? g : undefined }),
};

const snapshotsEnabled: Section<boolean> = {
  field: "snapshots.enabled",
  fromSpec: (spec) => spec.snapshots?.enabled ?? true,
  fromDescription: (d) =>
    d.ApplicationConfigurationDescription?.ApplicationSnapshotConfigurationDescription?.SnapshotsEnabled,
  same: (a, b) => a === b,
  create: (enabled) => config({ ApplicationSnapshotConfiguration: { SnapshotsEnabled: enabled } }),
  update: (enabled) =>
    configUpdate({ ApplicationSnapshotConfigurationUpdate: { SnapshotsEnabledUpdate: enabled } }),
  toSpec: (enabled, base) => ({ snapshots: { ...base.snapshots, enabled } }),
};

const systemRollback: Section<boolean> = {
  field: "rollback.systemRollback",
  fromSpec: (spec) => spec.rollback?.systemRollback ?? false,
  // Applications created before system rollback existed report no such section: it is off.
  fromDescription: (d) =>
    d.ApplicationConfigurationDescription?.ApplicationSystemRollbackConfigurationDescription
      ?.RollbackEnabled ?? false,
  same: (a, b) => a === b,
  create: (on) => config({ ApplicationSystemRollbackConfiguration: { RollbackEnabled: on } }),
  update: (on) =>
    configUpdate({ ApplicationSystemRollbackConfigurationUpdate: { RollbackEnabledUpdate: on } }),
  toSpec: (on, base) => ({ rollback: { ...base.rollback, systemRollback: on } }),
};

/** null: no VPC. An application has at most one VPC configuration. */
type Vpc = { id?: string; subnetIds: string[]; securityGroupIds: string[] } | null;
const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

const vpc: Section<Vpc> = {
  field: "vpc",
  fromSpec: (spec) =>
    spec.vpc ? { subnetIds: spec.vpc.subnetIds, securityGroupIds: spec.vpc.securityGroupIds } : null,
  fromDescription(d) {
    const seen = d.ApplicationConfigurationDescription?.VpcConfigurationDescriptions?.[0];
    if (!seen) return null;
    return {
      id: seen.VpcConfigurationId,
      subnetIds: seen.SubnetIds ?? [],
      securityGroupIds: seen.SecurityGroupIds ?? [],
    };
  },
  same: (a, b) =>
    a === null || b === null
      ? a === b
      : sameSet(a.subnetIds, b.subnetIds) && sameSet(a.securityGroupIds, b.securityGroupIds),
  create: (v) =>
    v
      ? config({ VpcConfigurations: [{ SubnetIds: v.subnetIds, SecurityGroupIds: v.securityGroupIds }] })
      : {},
  update: (v, seen) =>
    configUpdate({
      VpcConfigurationUpdates: [
        {
          VpcConfigurationId: seen?.id,
          SubnetIdUpdates: v?.subnetIds,
          SecurityGroupIdUpdates: v?.securityGroupIds,
        },
      ],
    }),
  toSpec: (v) => ({ vpc: v ? { subnetIds: v.subnetIds, securityGroupIds: v.securityGroupIds } : undefined }),
  // Adding or removing a VPC takes AddApplicationVpcConfiguration / DeleteApplicationVpcConfiguration,
  // not UpdateApplication: attachment-plan.ts makes those calls.
  correctable: (want, seen) => want !== null && seen !== null,
};

/** null: the spec leaves encryption to the service, so whatever it reports is not drift. */
type Encryption = { keyType: string; keyId?: string } | null;

// https://docs.aws.amazon.com/managed-flink/latest/apiv2/API_ApplicationEncryptionConfiguration.html
const encryption: Section<Encryption> = {
  field: "encryption",
  fromSpec: (spec) => spec.encryption ?? null,
  fromDescription(d) {
    const e = d.ApplicationConfigurationDescription?.ApplicationEncryptionConfigurationDescription;
    return e ? { keyType: e.KeyType!, ...(e.KeyId ? { keyId: e.KeyId } : {}) } : null;
  },
  same: (want, seen) => want === null || (want.keyType === seen?.keyType && want.keyId === seen?.keyId),
  create: (e) =>
    e ? config({ ApplicationEncryptionConfiguration: { KeyType: e.keyType as never, KeyId: e.keyId } }) : {},
  update: (e) =>
    configUpdate({
      ApplicationEncryptionConfigurationUpdate: { KeyTypeUpdate: e!.keyType as never, KeyIdUpdate: e!.keyId },
    }),
  toSpec: (e) => (e ? { encryption: e as FlinkApplicationSpec["encryption"] } : {}),
};

/**
 * null: the spec names no log stream, and logging is left as the service has it (removing someone's
 * logging would only lose evidence). The spec's logGroup/logStream form is resolved to an ARN before
 * planning (desired.ts logStreamArn), so only the ARN is compared.
 */
type Logging = { arn: string; id?: string } | null;

// https://docs.aws.amazon.com/managed-flink/latest/apiv2/API_CloudWatchLoggingOption.html and
// …/API_CloudWatchLoggingOptionUpdate.html: an application has at most one logging option; UpdateApplication
// changes its stream, while adding one to an existing application takes AddApplicationCloudWatchLoggingOption
// (made by attachment-plan.ts, like the VPC calls). Removing it (DeleteApplicationCloudWatchLoggingOption)
// is never done: see Logging above.
const logging: Section<Logging> = {
  field: "logging",
  fromSpec: (spec) => (spec.logging?.logStreamARN ? { arn: spec.logging.logStreamARN } : null),
  fromDescription(d) {
    const seen = d.CloudWatchLoggingOptionDescriptions?.[0];
    return seen?.LogStreamARN ? { arn: seen.LogStreamARN, id: seen.CloudWatchLoggingOptionId } : null;
  },
  same: (want, seen) => want === null || want.arn === seen?.arn,
  create: (l) => (l ? { CloudWatchLoggingOptions: [{ LogStreamARN: l.arn }] } : {}),
  update: (l, seen) => ({
    CloudWatchLoggingOptionUpdates: [{ CloudWatchLoggingOptionId: seen?.id, LogStreamARNUpdate: l?.arn }],
  }),
  toSpec: (l) => (l ? { logging: { logStreamARN: l.arn } } : {}),
  correctable: (want, seen) => want !== null && seen !== null && seen.id !== undefined,
};

const runtimeEnvironment: Section<string> = {
  field: "runtimeEnvironment",
  fromSpec: (spec) => spec.runtimeEnvironment,
  fromDescription: (d) => d.RuntimeEnvironment,
  same: (a, b) => a === b,
  create: (r) => ({ RuntimeEnvironment: r as CreateApplicationRequest["RuntimeEnvironment"] }),
  update: (r) => ({ RuntimeEnvironmentUpdate: r as UpdateApplicationRequest["RuntimeEnvironmentUpdate"] }),
  toSpec: (r) => ({ runtimeEnvironment: r as FlinkApplicationSpec["runtimeEnvironment"] }),
};

const serviceExecutionRole: Section<string> = {
  field: "serviceExecutionRole",
  fromSpec: (spec) => spec.serviceExecutionRole,
  fromDescription: (d) => d.ServiceExecutionRole,
  same: (a, b) => a === b,
  create: (role) => ({ ServiceExecutionRole: role }),
  update: (role) => ({ ServiceExecutionRoleUpdate: role }),
  toSpec: (role) => ({ serviceExecutionRole: role }),
};

/** In the order drift is reported. */
// Section methods are declared as methods, so a Section<string> is a Section<unknown>.
export const sections: readonly Section<unknown>[] = [
  code,
  checkpointing,
  parallelism,
  monitoring,
  environmentProperties,
  snapshotsEnabled,
  systemRollback,
  vpc,
  encryption,
  logging,
  runtimeEnvironment,
  serviceExecutionRole,
];

export const parallelismSection = parallelism;
export const codeSection = code;
