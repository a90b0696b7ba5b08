// Pure translation between the FlinkApplication spec and kinesisanalyticsv2 shapes, and the drift
// between what the spec asks for and what DescribeApplication reports.
import type {
  ApplicationConfigurationUpdate,
  ApplicationDetail,
  CreateApplicationRequest,
  PropertyGroup,
  RunConfiguration,
  RunConfigurationUpdate,
} from "@aws-sdk/client-kinesis-analytics-v2";
import type { FlinkApplicationSpec } from "../crds/types.generated.js";

/** The tag that marks an application as managed by one FlinkApplication (namespace/name). */
export const ownerTag = "managedflink.dev/owner";

// Service defaults for ConfigurationType DEFAULT, from the CheckpointConfiguration and
// ParallelismConfiguration API reference pages:
// https://docs.aws.amazon.com/managed-flink/latest/apiv2/API_CheckpointConfiguration.html
// https://docs.aws.amazon.com/managed-flink/latest/apiv2/API_ParallelismConfiguration.html
export const serviceDefaults = {
  checkpointIntervalMillis: 60_000,
  minPauseBetweenCheckpointsMillis: 5_000,
  parallelism: 1,
  parallelismPerKPU: 1,
};

export interface CodeObject {
  bucket: string;
  key: string;
  objectVersion?: string;
}

export function bucketArn(bucket: string): string {
  return `arn:aws:s3:::${bucket}`;
}

function checkpointConfiguration(spec: FlinkApplicationSpec) {
  const c = spec.checkpointing;
  if (!c) return { ConfigurationType: "DEFAULT" as const };
  return {
    ConfigurationType: "CUSTOM" as const,
    CheckpointingEnabled: c.enabled ?? true,
    CheckpointInterval: c.intervalMillis ?? serviceDefaults.checkpointIntervalMillis,
    MinPauseBetweenCheckpoints:
      c.minPauseBetweenCheckpointsMillis ?? serviceDefaults.minPauseBetweenCheckpointsMillis,
  };
}

function parallelismConfiguration(spec: FlinkApplicationSpec) {
  const p = spec.parallelism;
  if (!p) return { ConfigurationType: "DEFAULT" as const };
  return {
    ConfigurationType: "CUSTOM" as const,
    Parallelism: p.parallelism ?? serviceDefaults.parallelism,
    ParallelismPerKPU: p.parallelismPerKPU ?? serviceDefaults.parallelismPerKPU,
    AutoScalingEnabled: p.autoScaling ?? false,
  };
}

function monitoringConfiguration(spec: FlinkApplicationSpec) {
  const m = spec.monitoring;
  if (!m || (!m.logLevel && !m.metricsLevel)) return { ConfigurationType: "DEFAULT" as const };
  return {
    ConfigurationType: "CUSTOM" as const,
    LogLevel: m.logLevel ?? "INFO",
    MetricsLevel: m.metricsLevel ?? "APPLICATION",
  };
}

function propertyGroups(spec: FlinkApplicationSpec): PropertyGroup[] {
  return Object.entries(spec.environmentProperties ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([PropertyGroupId, PropertyMap]) => ({ PropertyGroupId, PropertyMap }));
}

export function createApplicationRequest(
  applicationName: string,
  spec: FlinkApplicationSpec,
  code: CodeObject,
  owner: string,
): CreateApplicationRequest {
  const groups = propertyGroups(spec);
  return {
    ApplicationName: applicationName,
    ApplicationDescription: spec.description,
    RuntimeEnvironment: spec.runtimeEnvironment,
    ServiceExecutionRole: spec.serviceExecutionRole,
    ApplicationMode: "STREAMING",
    ApplicationConfiguration: {
      ApplicationCodeConfiguration: {
        CodeContentType: "ZIPFILE",
        CodeContent: {
          S3ContentLocation: {
            BucketARN: bucketArn(code.bucket),
            FileKey: code.key,
            ...(code.objectVersion ? { ObjectVersion: code.objectVersion } : {}),
          },
        },
      },
      FlinkApplicationConfiguration: {
        CheckpointConfiguration: checkpointConfiguration(spec),
        ParallelismConfiguration: parallelismConfiguration(spec),
        MonitoringConfiguration: monitoringConfiguration(spec),
      },
      ApplicationSnapshotConfiguration: { SnapshotsEnabled: spec.snapshots?.enabled ?? true },
      ApplicationSystemRollbackConfiguration: { RollbackEnabled: spec.rollback?.systemRollback ?? false },
      ...(groups.length > 0 ? { EnvironmentProperties: { PropertyGroups: groups } } : {}),
      ...(spec.vpc
        ? {
            VpcConfigurations: [
              { SubnetIds: spec.vpc.subnetIds, SecurityGroupIds: spec.vpc.securityGroupIds },
            ],
          }
        : {}),
    },
    Tags: Object.entries({ ...spec.tags, [ownerTag]: owner }).map(([Key, Value]) => ({ Key, Value })),
  };
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
  /** The update that corrects them (undefined when only uncorrectable fields differ). */
  update?: {
    configuration?: ApplicationConfigurationUpdate;
    runtimeEnvironment?: string;
    serviceExecutionRole?: string;
  };
  /** Fields that differ but UpdateApplication cannot change; reported, never forced. */
  uncorrectable: string[];
}

const sameMap = (a: Record<string, string>, b: Record<string, string>) => {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
};

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
  const configuration: ApplicationConfigurationUpdate = {};
  const described = observed.ApplicationConfigurationDescription ?? {};
  const flink = described.FlinkApplicationConfigurationDescription ?? {};

  const s3 =
    described.ApplicationCodeConfigurationDescription?.CodeContentDescription
      ?.S3ApplicationCodeLocationDescription;
  if (
    s3?.BucketARN !== bucketArn(code.bucket) ||
    s3?.FileKey !== code.key ||
    (s3?.ObjectVersion ?? "") !== (code.objectVersion ?? "")
  ) {
    fields.push("code");
    configuration.ApplicationCodeConfigurationUpdate = {
      CodeContentTypeUpdate: "ZIPFILE",
      CodeContentUpdate: {
        S3ContentLocationUpdate: {
          BucketARNUpdate: bucketArn(code.bucket),
          FileKeyUpdate: code.key,
          ...(code.objectVersion ? { ObjectVersionUpdate: code.objectVersion } : {}),
        },
      },
    };
  }

  const flinkUpdate: NonNullable<ApplicationConfigurationUpdate["FlinkApplicationConfigurationUpdate"]> = {};
  const cp = checkpointConfiguration(spec);
  const cpSeen = flink.CheckpointConfigurationDescription;
  const cpDiffers =
    cp.ConfigurationType === "DEFAULT"
      ? cpSeen?.ConfigurationType !== "DEFAULT"
      : cpSeen?.ConfigurationType !== "CUSTOM" ||
        cpSeen.CheckpointingEnabled !== cp.CheckpointingEnabled ||
        cpSeen.CheckpointInterval !== cp.CheckpointInterval ||
        cpSeen.MinPauseBetweenCheckpoints !== cp.MinPauseBetweenCheckpoints;
  if (cpDiffers) {
    fields.push("checkpointing");
    flinkUpdate.CheckpointConfigurationUpdate =
      cp.ConfigurationType === "DEFAULT"
        ? { ConfigurationTypeUpdate: "DEFAULT" }
        : {
            ConfigurationTypeUpdate: "CUSTOM",
            CheckpointingEnabledUpdate: cp.CheckpointingEnabled,
            CheckpointIntervalUpdate: cp.CheckpointInterval,
            MinPauseBetweenCheckpointsUpdate: cp.MinPauseBetweenCheckpoints,
          };
  }

  const par = parallelismConfiguration(spec);
  const parSeen = flink.ParallelismConfigurationDescription;
  const parDiffers =
    par.ConfigurationType === "DEFAULT"
      ? parSeen?.ConfigurationType !== "DEFAULT"
      : parSeen?.ConfigurationType !== "CUSTOM" ||
        parSeen.Parallelism !== par.Parallelism ||
        parSeen.ParallelismPerKPU !== par.ParallelismPerKPU ||
        parSeen.AutoScalingEnabled !== par.AutoScalingEnabled;
  if (parDiffers) {
    fields.push("parallelism");
    flinkUpdate.ParallelismConfigurationUpdate =
      par.ConfigurationType === "DEFAULT"
        ? { ConfigurationTypeUpdate: "DEFAULT" }
        : {
            ConfigurationTypeUpdate: "CUSTOM",
            ParallelismUpdate: par.Parallelism,
            ParallelismPerKPUUpdate: par.ParallelismPerKPU,
            AutoScalingEnabledUpdate: par.AutoScalingEnabled,
          };
  }

  const mon = monitoringConfiguration(spec);
  const monSeen = flink.MonitoringConfigurationDescription;
  const monDiffers =
    mon.ConfigurationType === "DEFAULT"
      ? monSeen?.ConfigurationType !== "DEFAULT"
      : monSeen?.ConfigurationType !== "CUSTOM" ||
        monSeen.LogLevel !== mon.LogLevel ||
        monSeen.MetricsLevel !== mon.MetricsLevel;
  if (monDiffers) {
    fields.push("monitoring");
    flinkUpdate.MonitoringConfigurationUpdate =
      mon.ConfigurationType === "DEFAULT"
        ? { ConfigurationTypeUpdate: "DEFAULT" }
        : {
            ConfigurationTypeUpdate: "CUSTOM",
            LogLevelUpdate: mon.LogLevel,
            MetricsLevelUpdate: mon.MetricsLevel,
          };
  }
  if (Object.keys(flinkUpdate).length > 0) configuration.FlinkApplicationConfigurationUpdate = flinkUpdate;

  const wantGroups = propertyGroups(spec);
  const seenGroups = described.EnvironmentPropertyDescriptions?.PropertyGroupDescriptions ?? [];
  const seenById = new Map(seenGroups.map((g) => [g.PropertyGroupId!, g.PropertyMap ?? {}]));
  const groupsDiffer =
    wantGroups.length !== seenGroups.length ||
    wantGroups.some(
      (g) => !seenById.has(g.PropertyGroupId!) || !sameMap(g.PropertyMap!, seenById.get(g.PropertyGroupId!)!),
    );
  if (groupsDiffer) {
    fields.push("environmentProperties");
    configuration.EnvironmentPropertyUpdates = { PropertyGroups: wantGroups };
  }

  const snapshotsEnabled = spec.snapshots?.enabled ?? true;
  if (described.ApplicationSnapshotConfigurationDescription?.SnapshotsEnabled !== snapshotsEnabled) {
    fields.push("snapshots.enabled");
    configuration.ApplicationSnapshotConfigurationUpdate = { SnapshotsEnabledUpdate: snapshotsEnabled };
  }

  const systemRollback = spec.rollback?.systemRollback ?? false;
  if (
    (described.ApplicationSystemRollbackConfigurationDescription?.RollbackEnabled ?? false) !== systemRollback
  ) {
    fields.push("rollback.systemRollback");
    configuration.ApplicationSystemRollbackConfigurationUpdate = { RollbackEnabledUpdate: systemRollback };
  }

  const vpcSeen = described.VpcConfigurationDescriptions ?? [];
  const vpcWant = spec.vpc;
  const sameSet = (a: string[] = [], b: string[] = []) =>
    a.length === b.length && a.every((x) => b.includes(x));
  if (vpcWant && vpcSeen.length === 1) {
    const v = vpcSeen[0]!;
    if (!sameSet(v.SubnetIds, vpcWant.subnetIds) || !sameSet(v.SecurityGroupIds, vpcWant.securityGroupIds)) {
      fields.push("vpc");
      configuration.VpcConfigurationUpdates = [
        {
          VpcConfigurationId: v.VpcConfigurationId,
          SubnetIdUpdates: vpcWant.subnetIds,
          SecurityGroupIdUpdates: vpcWant.securityGroupIds,
        },
      ];
    }
  } else if (Boolean(vpcWant) !== vpcSeen.length > 0) {
    // Adding or removing a VPC takes AddApplicationVpcConfiguration / DeleteApplicationVpcConfiguration,
    // which restart the application outside the snapshot-first update path.
    uncorrectable.push("vpc");
  }

  const update: NonNullable<Drift["update"]> = {};
  if (Object.keys(configuration).length > 0) update.configuration = configuration;
  if (observed.RuntimeEnvironment !== spec.runtimeEnvironment) {
    fields.push("runtimeEnvironment");
    update.runtimeEnvironment = spec.runtimeEnvironment;
  }
  if (observed.ServiceExecutionRole !== spec.serviceExecutionRole) {
    fields.push("serviceExecutionRole");
    update.serviceExecutionRole = spec.serviceExecutionRole;
  }
  return {
    fields: [...fields, ...uncorrectable],
    uncorrectable,
    ...(Object.keys(update).length > 0 ? { update } : {}),
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
  const described = detail.ApplicationConfigurationDescription ?? {};
  const flink = described.FlinkApplicationConfigurationDescription ?? {};
  const cp = flink.CheckpointConfigurationDescription;
  const par = flink.ParallelismConfigurationDescription;
  const mon = flink.MonitoringConfigurationDescription;
  const s3 =
    described.ApplicationCodeConfigurationDescription?.CodeContentDescription
      ?.S3ApplicationCodeLocationDescription;
  const groups = described.EnvironmentPropertyDescriptions?.PropertyGroupDescriptions ?? [];
  const code: CodeObject = {
    bucket: (s3?.BucketARN ?? "").replace(/^arn:aws[a-z-]*:s3:::/, ""),
    key: s3?.FileKey ?? "",
    ...(s3?.ObjectVersion ? { objectVersion: s3.ObjectVersion } : {}),
  };
  const spec: FlinkApplicationSpec = {
    ...base,
    runtimeEnvironment: detail.RuntimeEnvironment as FlinkApplicationSpec["runtimeEnvironment"],
    serviceExecutionRole: detail.ServiceExecutionRole ?? base.serviceExecutionRole,
    code: { s3: code },
    checkpointing:
      cp?.ConfigurationType === "CUSTOM"
        ? {
            enabled: cp.CheckpointingEnabled,
            intervalMillis: cp.CheckpointInterval,
            minPauseBetweenCheckpointsMillis: cp.MinPauseBetweenCheckpoints,
          }
        : undefined,
    parallelism:
      par?.ConfigurationType === "CUSTOM"
        ? {
            parallelism: par.Parallelism,
            parallelismPerKPU: par.ParallelismPerKPU,
            autoScaling: par.AutoScalingEnabled,
          }
        : undefined,
    monitoring:
      mon?.ConfigurationType === "CUSTOM"
        ? {
            logLevel: mon.LogLevel as NonNullable<FlinkApplicationSpec["monitoring"]>["logLevel"],
            metricsLevel: mon.MetricsLevel as NonNullable<FlinkApplicationSpec["monitoring"]>["metricsLevel"],
          }
        : undefined,
    environmentProperties:
      groups.length > 0
        ? Object.fromEntries(groups.map((g) => [g.PropertyGroupId!, g.PropertyMap ?? {}]))
        : undefined,
    snapshots: {
      ...base.snapshots,
      enabled: described.ApplicationSnapshotConfigurationDescription?.SnapshotsEnabled ?? true,
    },
    rollback: {
      ...base.rollback,
      systemRollback: described.ApplicationSystemRollbackConfigurationDescription?.RollbackEnabled ?? false,
    },
  };
  return { spec, code };
}
