import { describe, expect, it } from "vitest";
import {
  applyConfigurationUpdate,
  describeConfiguration,
  runConfigurationDescription,
} from "../../../src/emulator/configuration.js";
import { ALLOWED, isAllowed, transitionFor, uniformTimings } from "../../../src/emulator/lifecycle.js";

describe("lifecycle rules", () => {
  it("starts only from READY and stops (unforced) only from RUNNING", () => {
    expect(isAllowed("start", "READY")).toBe(true);
    expect(isAllowed("start", "RUNNING")).toBe(false);
    expect(isAllowed("stop", "RUNNING")).toBe(true);
    expect(isAllowed("stop", "STARTING")).toBe(false);
  });

  it("force-stops from the statuses StopApplication.Force documents", () => {
    expect([...ALLOWED.forceStop].sort()).toEqual([
      "AUTOSCALING",
      "RUNNING",
      "STARTING",
      "STOPPING",
      "UPDATING",
    ]);
    expect(isAllowed("forceStop", "READY")).toBe(false);
  });

  it("rolls back only from UPDATING, AUTOSCALING or RUNNING", () => {
    expect([...ALLOWED.rollback].sort()).toEqual(["AUTOSCALING", "RUNNING", "UPDATING"]);
  });

  it("updates READY applications in place and RUNNING ones through UPDATING", () => {
    expect(transitionFor("update", "READY")).toBeUndefined();
    expect(transitionFor("update", "RUNNING")).toEqual({
      through: "UPDATING",
      settlesIn: "RUNNING",
      durationKey: "updatingMs",
    });
    expect(transitionFor("start", "READY")?.through).toBe("STARTING");
    expect(transitionFor("forceStop", "UPDATING")).toMatchObject({
      through: "FORCE_STOPPING",
      settlesIn: "READY",
    });
  });

  it("refuses deletes while in transition", () => {
    for (const s of ["STARTING", "UPDATING", "STOPPING", "DELETING"] as const)
      expect(isAllowed("delete", s)).toBe(false);
  });

  it("uniformTimings sets every duration", () => {
    expect(new Set(Object.values(uniformTimings(7)))).toEqual(new Set([7]));
  });
});

describe("configuration descriptions", () => {
  const ids = () => "id-1";

  it("describes DEFAULT Flink settings with AWS's documented defaults", () => {
    const d = describeConfiguration(undefined, ids);
    expect(d.FlinkApplicationConfigurationDescription?.CheckpointConfigurationDescription).toEqual({
      ConfigurationType: "DEFAULT",
      CheckpointingEnabled: true,
      CheckpointInterval: 60000,
      MinPauseBetweenCheckpoints: 5000,
    });
    expect(d.ApplicationSnapshotConfigurationDescription?.SnapshotsEnabled).toBe(false);
    expect(d.ApplicationSystemRollbackConfigurationDescription?.RollbackEnabled).toBe(false);
  });

  it("mirrors the create input and applies updates", () => {
    const d = describeConfiguration(
      {
        FlinkApplicationConfiguration: {
          ParallelismConfiguration: {
            ConfigurationType: "CUSTOM",
            Parallelism: 4,
            ParallelismPerKPU: 2,
            AutoScalingEnabled: true,
          },
        },
        ApplicationCodeConfiguration: {
          CodeContentType: "ZIPFILE",
          CodeContent: {
            S3ContentLocation: { BucketARN: "arn:aws:s3:::b", FileKey: "app.jar", ObjectVersion: "v1" },
          },
        },
        EnvironmentProperties: { PropertyGroups: [{ PropertyGroupId: "g", PropertyMap: { k: "v" } }] },
        VpcConfigurations: [{ SubnetIds: ["subnet-1"], SecurityGroupIds: ["sg-1"] }],
      },
      ids,
    );
    expect(d.FlinkApplicationConfigurationDescription?.ParallelismConfigurationDescription).toMatchObject({
      Parallelism: 4,
      CurrentParallelism: 4,
      AutoScalingEnabled: true,
    });
    expect(
      d.ApplicationCodeConfigurationDescription?.CodeContentDescription?.S3ApplicationCodeLocationDescription,
    ).toEqual({
      BucketARN: "arn:aws:s3:::b",
      FileKey: "app.jar",
      ObjectVersion: "v1",
    });
    expect(d.VpcConfigurationDescriptions?.[0]).toMatchObject({
      VpcConfigurationId: "id-1",
      SubnetIds: ["subnet-1"],
    });

    const u = applyConfigurationUpdate(d, {
      ApplicationCodeConfigurationUpdate: {
        CodeContentUpdate: { S3ContentLocationUpdate: { FileKeyUpdate: "app2.jar" } },
      },
      FlinkApplicationConfigurationUpdate: { ParallelismConfigurationUpdate: { ParallelismUpdate: 8 } },
      ApplicationSnapshotConfigurationUpdate: { SnapshotsEnabledUpdate: true },
    });
    expect(
      u.ApplicationCodeConfigurationDescription?.CodeContentDescription?.S3ApplicationCodeLocationDescription,
    ).toEqual({
      BucketARN: "arn:aws:s3:::b",
      FileKey: "app2.jar",
    });
    expect(u.FlinkApplicationConfigurationDescription?.ParallelismConfigurationDescription?.Parallelism).toBe(
      8,
    );
    expect(u.ApplicationSnapshotConfigurationDescription?.SnapshotsEnabled).toBe(true);
    // The input description is left untouched: versions keep their own configuration.
    expect(d.ApplicationSnapshotConfigurationDescription?.SnapshotsEnabled).toBe(false);
  });

  it("resets AllowNonRestoredState to false when a run configuration omits it", () => {
    const first = runConfigurationDescription(
      undefined,
      { ApplicationRestoreType: "SKIP_RESTORE_FROM_SNAPSHOT" },
      { AllowNonRestoredState: true },
    );
    const second = runConfigurationDescription(first, undefined, undefined);
    expect(second.ApplicationRestoreConfigurationDescription?.ApplicationRestoreType).toBe(
      "SKIP_RESTORE_FROM_SNAPSHOT",
    );
    expect(second.FlinkRunConfigurationDescription?.AllowNonRestoredState).toBe(false);
  });
});
