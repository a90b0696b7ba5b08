import { createHash } from "node:crypto";
import type {
  ApplicationConfiguration,
  ApplicationConfigurationDescription,
  ApplicationConfigurationUpdate,
  ApplicationRestoreConfiguration,
  CheckpointConfigurationDescription,
  CloudWatchLoggingOption,
  CloudWatchLoggingOptionDescription,
  CloudWatchLoggingOptionUpdate,
  CodeContentDescription,
  FlinkRunConfiguration,
  MonitoringConfigurationDescription,
  ParallelismConfigurationDescription,
  RunConfigurationDescription,
  VpcConfigurationDescription,
} from "@aws-sdk/client-kinesis-analytics-v2";
import { invalidArgument } from "./errors.js";

/**
 * Pure mapping between the request shapes (ApplicationConfiguration, ApplicationConfigurationUpdate) and the
 * description AWS returns (ApplicationConfigurationDescription). The SDK's types are used as the shapes; on
 * the wire blobs are base64 strings, which is how this module treats ZipFileContent.
 */

/**
 * The values AWS reports for DEFAULT configuration types. Checkpoint defaults: "Apache Flink settings"
 * in the Managed Flink developer guide (CheckpointInterval 60000, MinPauseBetweenCheckpoints 5000,
 * checkpointing on). Parallelism defaults: ParallelismConfiguration in the API reference (Parallelism 1,
 * ParallelismPerKPU 1) and "Use automatic scaling" in the developer guide ("Automatic scaling is enabled by
 * default", https://docs.aws.amazon.com/managed-flink/latest/java/how-scaling-auto.html). Monitoring: MetricsLevel APPLICATION, LogLevel INFO (MonitoringConfiguration docs).
 */
export const DEFAULT_CHECKPOINT: CheckpointConfigurationDescription = {
  ConfigurationType: "DEFAULT",
  CheckpointingEnabled: true,
  CheckpointInterval: 60000,
  MinPauseBetweenCheckpoints: 5000,
};
export const DEFAULT_MONITORING: MonitoringConfigurationDescription = {
  ConfigurationType: "DEFAULT",
  MetricsLevel: "APPLICATION",
  LogLevel: "INFO",
};
export const DEFAULT_PARALLELISM: ParallelismConfigurationDescription = {
  ConfigurationType: "DEFAULT",
  Parallelism: 1,
  ParallelismPerKPU: 1,
  CurrentParallelism: 1,
  AutoScalingEnabled: true,
};

export const DEFAULT_RUN_CONFIGURATION: RunConfigurationDescription = {
  ApplicationRestoreConfigurationDescription: { ApplicationRestoreType: "RESTORE_FROM_LATEST_SNAPSHOT" },
  FlinkRunConfigurationDescription: { AllowNonRestoredState: false },
};

function snapshotMode(mode: string | undefined): Record<string, string> {
  return mode ? { SnapshotMode: mode } : {};
}

function codeDescription(content: Record<string, unknown> | undefined): CodeContentDescription | undefined {
  if (!content) return undefined;
  const out: CodeContentDescription = {};
  if (typeof content.TextContent === "string") out.TextContent = content.TextContent;
  if (typeof content.ZipFileContent === "string") {
    const bytes = Buffer.from(content.ZipFileContent, "base64");
    out.CodeMD5 = createHash("md5").update(bytes).digest("hex");
    out.CodeSize = bytes.length;
  }
  const s3 = content.S3ContentLocation as
    | { BucketARN: string; FileKey: string; ObjectVersion?: string }
    | undefined;
  if (s3) {
    out.S3ApplicationCodeLocationDescription = { BucketARN: s3.BucketARN, FileKey: s3.FileKey };
    if (s3.ObjectVersion !== undefined)
      out.S3ApplicationCodeLocationDescription.ObjectVersion = s3.ObjectVersion;
  }
  return out;
}

function withCurrent(p: ParallelismConfigurationDescription): ParallelismConfigurationDescription {
  // DEFAULT ignores user values; CurrentParallelism starts at the configured parallelism.
  if (p.ConfigurationType === "DEFAULT")
    return { ...DEFAULT_PARALLELISM, CurrentParallelism: p.CurrentParallelism ?? 1 };
  return { ...p, CurrentParallelism: p.Parallelism ?? 1 };
}

export function describeConfiguration(
  cfg: ApplicationConfiguration | undefined,
  vpcIds: () => string,
): ApplicationConfigurationDescription {
  const c = cfg ?? {};
  const out: ApplicationConfigurationDescription = {
    FlinkApplicationConfigurationDescription: describeFlink(c.FlinkApplicationConfiguration),
    RunConfigurationDescription: structuredClone(DEFAULT_RUN_CONFIGURATION),
    ApplicationSnapshotConfigurationDescription: {
      SnapshotsEnabled: c.ApplicationSnapshotConfiguration?.SnapshotsEnabled ?? false,
      // SnapshotMode is newer than the SDK this repository pins; it is carried through untyped.
      ...snapshotMode(
        (c.ApplicationSnapshotConfiguration as { SnapshotMode?: string } | undefined)?.SnapshotMode,
      ),
    },
    ApplicationSystemRollbackConfigurationDescription: {
      RollbackEnabled: c.ApplicationSystemRollbackConfiguration?.RollbackEnabled ?? false,
    },
  };
  if (c.ApplicationCodeConfiguration) {
    out.ApplicationCodeConfigurationDescription = {
      CodeContentType: c.ApplicationCodeConfiguration.CodeContentType,
      CodeContentDescription: codeDescription(
        c.ApplicationCodeConfiguration.CodeContent as Record<string, unknown> | undefined,
      ),
    };
  }
  if (c.EnvironmentProperties) {
    out.EnvironmentPropertyDescriptions = {
      PropertyGroupDescriptions: structuredClone(c.EnvironmentProperties.PropertyGroups),
    };
  }
  if (c.VpcConfigurations) {
    out.VpcConfigurationDescriptions = c.VpcConfigurations.map(
      (v): VpcConfigurationDescription => ({
        VpcConfigurationId: vpcIds(),
        // Subnets belong to a VPC that AWS looks up; without EC2 the emulator reports a stable fake VPC id.
        VpcId: "vpc-00000000000000000",
        SubnetIds: [...(v.SubnetIds ?? [])],
        SecurityGroupIds: [...(v.SecurityGroupIds ?? [])],
      }),
    );
  }
  if (c.ApplicationEncryptionConfiguration) {
    out.ApplicationEncryptionConfigurationDescription = { ...c.ApplicationEncryptionConfiguration };
  }
  return out;
}

function describeFlink(flink: ApplicationConfiguration["FlinkApplicationConfiguration"]): FlinkDescription {
  const checkpoint: CheckpointConfigurationDescription =
    flink?.CheckpointConfiguration?.ConfigurationType === "CUSTOM"
      ? { ...DEFAULT_CHECKPOINT, ...flink.CheckpointConfiguration }
      : { ...DEFAULT_CHECKPOINT };
  const monitoring: MonitoringConfigurationDescription =
    flink?.MonitoringConfiguration?.ConfigurationType === "CUSTOM"
      ? { ...DEFAULT_MONITORING, ...flink.MonitoringConfiguration }
      : { ...DEFAULT_MONITORING };
  const parallelism = withCurrent(
    flink?.ParallelismConfiguration?.ConfigurationType === "CUSTOM"
      ? { ...DEFAULT_PARALLELISM, ...flink.ParallelismConfiguration }
      : { ...DEFAULT_PARALLELISM },
  );
  return {
    CheckpointConfigurationDescription: checkpoint,
    MonitoringConfigurationDescription: monitoring,
    ParallelismConfigurationDescription: parallelism,
  };
}

/** Applies an ApplicationConfigurationUpdate to a description, returning a new description. */
export function applyConfigurationUpdate(
  current: ApplicationConfigurationDescription,
  update: ApplicationConfigurationUpdate | undefined,
): ApplicationConfigurationDescription {
  const next = structuredClone(current);
  if (!update) return next;
  if (update.ApplicationCodeConfigurationUpdate)
    applyCodeUpdate(next, update.ApplicationCodeConfigurationUpdate);
  if (update.FlinkApplicationConfigurationUpdate) {
    next.FlinkApplicationConfigurationDescription ??= {};
    applyFlinkUpdate(
      next.FlinkApplicationConfigurationDescription,
      update.FlinkApplicationConfigurationUpdate,
    );
  }
  if (update.EnvironmentPropertyUpdates) {
    // EnvironmentPropertyUpdates replaces the property groups as a whole (API reference: "Describes updates
    // to the environment properties"; the CLI examples send the complete set).
    next.EnvironmentPropertyDescriptions = {
      PropertyGroupDescriptions: structuredClone(update.EnvironmentPropertyUpdates.PropertyGroups),
    };
  }
  if (update.ApplicationSnapshotConfigurationUpdate) {
    const s = update.ApplicationSnapshotConfigurationUpdate as {
      SnapshotsEnabledUpdate?: boolean;
      SnapshotModeUpdate?: string;
    };
    next.ApplicationSnapshotConfigurationDescription = {
      ...next.ApplicationSnapshotConfigurationDescription,
      SnapshotsEnabled: s.SnapshotsEnabledUpdate,
      ...snapshotMode(s.SnapshotModeUpdate),
    };
  }
  const encryption = update.ApplicationEncryptionConfigurationUpdate;
  if (encryption) {
    // ApplicationEncryptionConfigurationUpdate replaces the key type and key (API reference,
    // API_ApplicationEncryptionConfigurationUpdate): an AWS-owned key carries no KeyId.
    next.ApplicationEncryptionConfigurationDescription = {
      KeyType: encryption.KeyTypeUpdate,
      ...(encryption.KeyIdUpdate ? { KeyId: encryption.KeyIdUpdate } : {}),
    };
  }
  if (update.ApplicationSystemRollbackConfigurationUpdate) {
    next.ApplicationSystemRollbackConfigurationDescription = {
      RollbackEnabled: update.ApplicationSystemRollbackConfigurationUpdate.RollbackEnabledUpdate,
    };
  }
  for (const v of update.VpcConfigurationUpdates ?? []) {
    const existing = next.VpcConfigurationDescriptions?.find(
      (d) => d.VpcConfigurationId === v.VpcConfigurationId,
    );
    if (!existing) throw invalidArgument(`VPC configuration ${v.VpcConfigurationId} does not exist`);
    if (v.SubnetIdUpdates) existing.SubnetIds = [...v.SubnetIdUpdates];
    if (v.SecurityGroupIdUpdates) existing.SecurityGroupIds = [...v.SecurityGroupIdUpdates];
  }
  return next;
}

type CodeUpdate = NonNullable<ApplicationConfigurationUpdate["ApplicationCodeConfigurationUpdate"]>;
type FlinkUpdate = NonNullable<ApplicationConfigurationUpdate["FlinkApplicationConfigurationUpdate"]>;
type FlinkDescription = NonNullable<
  ApplicationConfigurationDescription["FlinkApplicationConfigurationDescription"]
>;

function applyCodeUpdate(next: ApplicationConfigurationDescription, code: CodeUpdate): void {
  next.ApplicationCodeConfigurationDescription ??= { CodeContentType: "ZIPFILE" };
  const desc = next.ApplicationCodeConfigurationDescription;
  if (code.CodeContentTypeUpdate) desc.CodeContentType = code.CodeContentTypeUpdate;
  const c = code.CodeContentUpdate as Record<string, unknown> | undefined;
  if (!c) return;
  desc.CodeContentDescription ??= {};
  const cd = desc.CodeContentDescription;
  if (typeof c.TextContentUpdate === "string") cd.TextContent = c.TextContentUpdate;
  if (typeof c.ZipFileContentUpdate === "string") {
    Object.assign(cd, codeDescription({ ZipFileContent: c.ZipFileContentUpdate }));
    delete cd.S3ApplicationCodeLocationDescription;
  }
  const s3 = c.S3ContentLocationUpdate as
    | { BucketARNUpdate?: string; FileKeyUpdate?: string; ObjectVersionUpdate?: string }
    | undefined;
  if (!s3) return;
  const prev = cd.S3ApplicationCodeLocationDescription;
  const bucket = s3.BucketARNUpdate ?? prev?.BucketARN;
  const key = s3.FileKeyUpdate ?? prev?.FileKey;
  if (!bucket || !key) {
    throw invalidArgument("S3ContentLocationUpdate needs BucketARNUpdate and FileKeyUpdate: none is set yet");
  }
  cd.S3ApplicationCodeLocationDescription = { BucketARN: bucket, FileKey: key };
  // A new object version is only kept if given again: the previous one names another object's version.
  const version =
    s3.ObjectVersionUpdate ?? (s3.FileKeyUpdate || s3.BucketARNUpdate ? undefined : prev?.ObjectVersion);
  if (version !== undefined) cd.S3ApplicationCodeLocationDescription.ObjectVersion = version;
  delete cd.CodeMD5;
  delete cd.CodeSize;
}

function applyFlinkUpdate(fd: FlinkDescription, flink: FlinkUpdate): void {
  const cp = flink.CheckpointConfigurationUpdate;
  if (cp) {
    const type = cp.ConfigurationTypeUpdate ?? fd.CheckpointConfigurationDescription?.ConfigurationType;
    fd.CheckpointConfigurationDescription =
      type === "CUSTOM"
        ? {
            ...DEFAULT_CHECKPOINT,
            ...fd.CheckpointConfigurationDescription,
            ConfigurationType: "CUSTOM",
            ...(cp.CheckpointingEnabledUpdate !== undefined
              ? { CheckpointingEnabled: cp.CheckpointingEnabledUpdate }
              : {}),
            ...(cp.CheckpointIntervalUpdate !== undefined
              ? { CheckpointInterval: cp.CheckpointIntervalUpdate }
              : {}),
            ...(cp.MinPauseBetweenCheckpointsUpdate !== undefined
              ? { MinPauseBetweenCheckpoints: cp.MinPauseBetweenCheckpointsUpdate }
              : {}),
          }
        : { ...DEFAULT_CHECKPOINT };
  }
  const mon = flink.MonitoringConfigurationUpdate;
  if (mon) {
    const type = mon.ConfigurationTypeUpdate ?? fd.MonitoringConfigurationDescription?.ConfigurationType;
    fd.MonitoringConfigurationDescription =
      type === "CUSTOM"
        ? {
            ...DEFAULT_MONITORING,
            ...fd.MonitoringConfigurationDescription,
            ConfigurationType: "CUSTOM",
            ...(mon.MetricsLevelUpdate ? { MetricsLevel: mon.MetricsLevelUpdate } : {}),
            ...(mon.LogLevelUpdate ? { LogLevel: mon.LogLevelUpdate } : {}),
          }
        : { ...DEFAULT_MONITORING };
  }
  if (flink.ParallelismConfigurationUpdate) applyParallelismUpdate(fd, flink.ParallelismConfigurationUpdate);
}

function applyParallelismUpdate(
  fd: FlinkDescription,
  par: NonNullable<FlinkUpdate["ParallelismConfigurationUpdate"]>,
): void {
  const prev = fd.ParallelismConfigurationDescription ?? DEFAULT_PARALLELISM;
  const type = par.ConfigurationTypeUpdate ?? prev.ConfigurationType;
  fd.ParallelismConfigurationDescription = withCurrent(
    type === "CUSTOM"
      ? {
          ...prev,
          ConfigurationType: "CUSTOM",
          ...(par.ParallelismUpdate !== undefined ? { Parallelism: par.ParallelismUpdate } : {}),
          ...(par.ParallelismPerKPUUpdate !== undefined
            ? { ParallelismPerKPU: par.ParallelismPerKPUUpdate }
            : {}),
          ...(par.AutoScalingEnabledUpdate !== undefined
            ? { AutoScalingEnabled: par.AutoScalingEnabledUpdate }
            : {}),
        }
      : { ...DEFAULT_PARALLELISM },
  );
}

/**
 * The run configuration a start or update leaves behind. AllowNonRestoredState falls back to false when
 * omitted: "If you update your application without specifying this parameter, AllowNonRestoredState will be
 * set to false, even if it was previously set to true" (FlinkRunConfiguration, API reference).
 */
export function runConfigurationDescription(
  current: RunConfigurationDescription | undefined,
  restore: ApplicationRestoreConfiguration | undefined,
  flink: FlinkRunConfiguration | undefined,
): RunConfigurationDescription {
  return {
    ApplicationRestoreConfigurationDescription: restore
      ? { ...restore }
      : (current?.ApplicationRestoreConfigurationDescription ?? {
          ApplicationRestoreType: "RESTORE_FROM_LATEST_SNAPSHOT",
        }),
    FlinkRunConfigurationDescription: { AllowNonRestoredState: flink?.AllowNonRestoredState ?? false },
  };
}

export function describeLoggingOptions(
  options: CloudWatchLoggingOption[] | undefined,
  ids: () => string,
): CloudWatchLoggingOptionDescription[] | undefined {
  return options?.map((o) => ({ CloudWatchLoggingOptionId: ids(), LogStreamARN: o.LogStreamARN }));
}

export function applyLoggingUpdates(
  current: CloudWatchLoggingOptionDescription[] | undefined,
  updates: CloudWatchLoggingOptionUpdate[] | undefined,
): CloudWatchLoggingOptionDescription[] | undefined {
  if (!updates) return current;
  const next = structuredClone(current ?? []);
  for (const u of updates) {
    const o = next.find((d) => d.CloudWatchLoggingOptionId === u.CloudWatchLoggingOptionId);
    if (!o) throw invalidArgument(`CloudWatch logging option ${u.CloudWatchLoggingOptionId} does not exist`);
    if (u.LogStreamARNUpdate) o.LogStreamARN = u.LogStreamARNUpdate;
  }
  return next;
}
