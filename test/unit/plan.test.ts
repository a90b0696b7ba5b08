import type { ApplicationDetail } from "@aws-sdk/client-kinesis-analytics-v2";
import { describe, expect, it } from "vitest";
import { NotFound } from "../../src/aws/managed-flink.js";
import { createApplicationRequest, ownerTag } from "../../src/controller/desired.js";
import { type PlanInput, planNextStep, uncorrectableNote } from "../../src/controller/plan.js";
import type { FlinkApplicationSpec } from "../../src/crds/types.generated.js";

const spec: FlinkApplicationSpec = {
  runtimeEnvironment: "FLINK-1_20",
  serviceExecutionRole: "arn:aws:iam::123456789012:role/flink",
  code: { s3: { bucket: "jars", key: "app.jar" } },
  desiredState: "Running",
  parallelism: { parallelism: 4, parallelismPerKPU: 1, autoScaling: false },
};
const code = { bucket: "jars", key: "app.jar" };

/** What DescribeApplication returns for an application created from `s` (via the same mapping). */
function observedFrom(s: FlinkApplicationSpec, status: string, version = 1): ApplicationDetail {
  const req = createApplicationRequest("app", s, s.code.s3!, "ns/app");
  const cfg = req.ApplicationConfiguration!;
  const f = cfg.FlinkApplicationConfiguration!;
  const asDescription = <T extends { ConfigurationType?: string }>(c: T | undefined, defaults: object) =>
    c?.ConfigurationType === "DEFAULT" ? { ...defaults, ConfigurationType: "DEFAULT" } : c;
  return {
    ApplicationARN: "arn:aws:kinesisanalytics:us-east-1:123456789012:application/app",
    ApplicationName: "app",
    ApplicationStatus: status as ApplicationDetail["ApplicationStatus"],
    ApplicationVersionId: version,
    RuntimeEnvironment: s.runtimeEnvironment,
    ServiceExecutionRole: s.serviceExecutionRole,
    CreateTimestamp: new Date("2026-11-26T00:00:00Z"),
    ApplicationConfigurationDescription: {
      ApplicationCodeConfigurationDescription: {
        CodeContentType: "ZIPFILE",
        CodeContentDescription: {
          S3ApplicationCodeLocationDescription: {
            BucketARN: cfg.ApplicationCodeConfiguration!.CodeContent!.S3ContentLocation!.BucketARN,
            FileKey: cfg.ApplicationCodeConfiguration!.CodeContent!.S3ContentLocation!.FileKey,
          },
        },
      },
      FlinkApplicationConfigurationDescription: {
        CheckpointConfigurationDescription: asDescription(f.CheckpointConfiguration, {
          CheckpointingEnabled: true,
          CheckpointInterval: 60000,
          MinPauseBetweenCheckpoints: 5000,
        }) as never,
        ParallelismConfigurationDescription: {
          ...(asDescription(f.ParallelismConfiguration, {
            Parallelism: 1,
            ParallelismPerKPU: 1,
            AutoScalingEnabled: false,
          }) as object),
          CurrentParallelism: f.ParallelismConfiguration?.Parallelism ?? 1,
        } as never,
        MonitoringConfigurationDescription: asDescription(f.MonitoringConfiguration, {
          LogLevel: "INFO",
          MetricsLevel: "APPLICATION",
        }) as never,
      },
      ApplicationSnapshotConfigurationDescription: { SnapshotsEnabled: true },
      EnvironmentPropertyDescriptions: {
        PropertyGroupDescriptions: cfg.EnvironmentProperties?.PropertyGroups ?? [],
      },
    },
  };
}

function input(over: Partial<PlanInput> = {}): PlanInput {
  return {
    key: "ns/app",
    generation: 1,
    spec,
    status: {},
    applicationName: "app",
    region: "us-east-1",
    code,
    deleting: false,
    hasFinalizer: true,
    adopt: false,
    observed: observedFrom(spec, "RUNNING"),
    ownership: { kind: "ours" },
    now: new Date("2026-11-26T12:00:00Z"),
    ...over,
  };
}

describe("planNextStep: creation and ownership", () => {
  it("adds the finalizer before anything else", () => {
    expect(planNextStep(input({ hasFinalizer: false, observed: NotFound })).kind).toBe("addFinalizer");
  });

  it("creates a missing application with the owner tag and the spec's configuration", () => {
    const step = planNextStep(input({ observed: NotFound, ownership: undefined }));
    expect(step.kind).toBe("create");
    if (step.kind !== "create") return;
    expect(step.request.ApplicationName).toBe("app");
    expect(step.request.RuntimeEnvironment).toBe("FLINK-1_20");
    expect(step.request.Tags).toContainEqual({ Key: ownerTag, Value: "ns/app" });
    expect(
      step.request.ApplicationConfiguration?.FlinkApplicationConfiguration?.ParallelismConfiguration,
    ).toEqual({
      ConfigurationType: "CUSTOM",
      Parallelism: 4,
      ParallelismPerKPU: 1,
      AutoScalingEnabled: false,
    });
    expect(
      step.request.ApplicationConfiguration?.ApplicationCodeConfiguration?.CodeContent?.S3ContentLocation,
    ).toEqual({ BucketARN: "arn:aws:s3:::jars", FileKey: "app.jar" });
  });

  it("reports a name conflict with an unowned application and leaves it alone", () => {
    const step = planNextStep(input({ ownership: { kind: "unowned" } }));
    expect(step).toMatchObject({ kind: "stalled", reason: "NameConflict" });
    expect(step.kind === "stalled" && step.message).toMatch(/managedflink.dev\/adopt/);
  });

  it("adopts an unowned application only with the opt-in", () => {
    expect(planNextStep(input({ ownership: { kind: "unowned" }, adopt: true })).kind).toBe("adopt");
  });

  it("never adopts an application another FlinkApplication owns", () => {
    const step = planNextStep(input({ ownership: { kind: "other", owner: "team-b/app" }, adopt: true }));
    expect(step).toMatchObject({ kind: "stalled", reason: "NameConflict" });
    expect(step.kind === "stalled" && step.message).toContain("team-b/app");
  });

  it("stalls when spec.region would move an existing application", () => {
    const step = planNextStep(input({ status: { region: "eu-west-1" } }));
    expect(step).toMatchObject({ kind: "stalled", reason: "RegionChanged" });
  });

  it("stalls on code it cannot resolve", () => {
    expect(planNextStep(input({ code: { error: "nope" } }))).toMatchObject({
      kind: "stalled",
      reason: "InvalidCode",
    });
  });
});

describe("planNextStep: desired state", () => {
  it("is steady when RUNNING matches the spec", () => {
    expect(planNextStep(input()).kind).toBe("steady");
  });

  it("starts a READY application whose desired state is Running, restoring as the spec says", () => {
    const step = planNextStep(input({ observed: observedFrom(spec, "READY") }));
    expect(step).toEqual({
      kind: "start",
      run: {
        ApplicationRestoreConfiguration: { ApplicationRestoreType: "RESTORE_FROM_LATEST_SNAPSHOT" },
        FlinkRunConfiguration: { AllowNonRestoredState: false },
      },
    });
  });

  it("honours restore from a named snapshot and allowNonRestoredState on start", () => {
    const s = {
      ...spec,
      restore: { type: "Snapshot" as const, snapshotName: "snap-1" },
      allowNonRestoredState: true,
    };
    const step = planNextStep(input({ spec: s, observed: observedFrom(s, "READY") }));
    expect(step).toMatchObject({
      kind: "start",
      run: {
        ApplicationRestoreConfiguration: {
          ApplicationRestoreType: "RESTORE_FROM_CUSTOM_SNAPSHOT",
          SnapshotName: "snap-1",
        },
        FlinkRunConfiguration: { AllowNonRestoredState: true },
      },
    });
  });

  it("honours SkipRestore on start", () => {
    const s = { ...spec, restore: { type: "SkipRestore" as const } };
    const step = planNextStep(input({ spec: s, observed: observedFrom(s, "READY") }));
    expect(step).toMatchObject({
      run: { ApplicationRestoreConfiguration: { ApplicationRestoreType: "SKIP_RESTORE_FROM_SNAPSHOT" } },
    });
  });

  it("stops a RUNNING application whose desired state is Stopped, with a snapshot (no force)", () => {
    const s = { ...spec, desiredState: "Stopped" as const };
    expect(planNextStep(input({ spec: s, observed: observedFrom(s, "RUNNING") }))).toMatchObject({
      kind: "stop",
      force: false,
    });
  });

  it("is steady when READY and desired Stopped", () => {
    const s = { ...spec, desiredState: "Stopped" as const };
    expect(planNextStep(input({ spec: s, observed: observedFrom(s, "READY") })).kind).toBe("steady");
  });

  it.each([
    "STARTING",
    "STOPPING",
    "UPDATING",
    "AUTOSCALING",
    "FORCE_STOPPING",
    "ROLLING_BACK",
    "MAINTENANCE",
    "DELETING",
  ])("waits while the application is %s", (state) => {
    expect(planNextStep(input({ observed: observedFrom(spec, state) })).kind).toBe("wait");
  });
});

describe("planNextStep: drift", () => {
  it("records an update operation, snapshot first, before calling anything for a RUNNING application", () => {
    const observed = observedFrom(
      { ...spec, parallelism: { parallelism: 2, parallelismPerKPU: 1, autoScaling: false } },
      "RUNNING",
      7,
    );
    const step = planNextStep(input({ observed, generation: 3 }));
    expect(step).toEqual({
      kind: "record",
      reason: "UpdateStarted",
      message: "updating parallelism after snapshot app-g3-20261126T120000Z",
      changes: {
        operation: {
          type: "Update",
          generation: 3,
          phase: "Snapshotting",
          snapshotName: "app-g3-20261126T120000Z",
          fromVersionId: 7,
          startedAt: "2026-11-26T12:00:00.000Z",
          fields: ["parallelism"],
        },
      },
    });
  });

  it("updates an application whose snapshots are off in AWS (adopted) without a snapshot first, and says so", () => {
    const observed = observedFrom(spec, "RUNNING");
    observed.ApplicationConfigurationDescription!.ApplicationSnapshotConfigurationDescription = {
      SnapshotsEnabled: false,
    };
    const step = planNextStep(input({ observed }));
    expect(step).toMatchObject({ kind: "record", changes: { operation: { phase: "Updating" } } });
    if (step.kind === "record")
      expect(step.message).toMatch(/snapshots are disabled on the application in AWS/);
  });

  it("does not fight autoscaling: a higher CurrentParallelism is not drift", () => {
    const s = { ...spec, parallelism: { parallelism: 4, parallelismPerKPU: 1, autoScaling: true } };
    const observed = observedFrom(s, "RUNNING");
    observed.ApplicationConfigurationDescription!.FlinkApplicationConfigurationDescription!
      .ParallelismConfigurationDescription!.CurrentParallelism = 12;
    expect(planNextStep(input({ spec: s, observed })).kind).toBe("steady");
  });

  it("updates code, environment properties, runtime and role in one operation", () => {
    const s: FlinkApplicationSpec = {
      ...spec,
      runtimeEnvironment: "FLINK-2_2",
      serviceExecutionRole: "arn:aws:iam::123456789012:role/other",
      code: { s3: { bucket: "jars", key: "app-2.jar" } },
      environmentProperties: { FlinkApplicationProperties: { "input.stream": "events" } },
    };
    // A stopped application: the update is applied in place, in one call.
    const step = planNextStep(
      input({
        spec: { ...s, desiredState: "Stopped" },
        code: s.code.s3!,
        observed: observedFrom(spec, "READY"),
      }),
    );
    expect(step.kind).toBe("update");
    if (step.kind !== "update") return;
    expect(step.fields.sort()).toEqual([
      "code",
      "environmentProperties",
      "runtimeEnvironment",
      "serviceExecutionRole",
    ]);
    expect(step.request.RuntimeEnvironmentUpdate).toBe("FLINK-2_2");
    expect(step.request.ApplicationConfigurationUpdate?.EnvironmentPropertyUpdates?.PropertyGroups).toEqual([
      { PropertyGroupId: "FlinkApplicationProperties", PropertyMap: { "input.stream": "events" } },
    ]);
  });

  it("updates a READY application in place, without a run configuration, before starting it", () => {
    const observed = observedFrom(
      { ...spec, parallelism: { parallelism: 2, parallelismPerKPU: 1, autoScaling: false } },
      "READY",
    );
    const step = planNextStep(input({ observed }));
    expect(step.kind).toBe("update");
    expect(step.kind === "update" && step.request.RunConfigurationUpdate).toBeUndefined();
  });

  it("treats an omitted checkpointing block as the service default", () => {
    const s = { ...spec, checkpointing: undefined };
    expect(planNextStep(input({ spec: s, observed: observedFrom(s, "RUNNING") })).kind).toBe("steady");
    const custom = { ...spec, checkpointing: { enabled: true, intervalMillis: 30000 } };
    const step = planNextStep(input({ spec: custom, observed: observedFrom(s, "RUNNING") }));
    expect(step).toMatchObject({ kind: "record", changes: { operation: { fields: ["checkpointing"] } } });
  });

  it("adds a VPC to a running application as a snapshot-first operation (issue 15)", () => {
    const s = { ...spec, vpc: { subnetIds: ["subnet-1"], securityGroupIds: ["sg-1"] } };
    const step = planNextStep(input({ spec: s, observed: observedFrom(spec, "RUNNING") }));
    expect(step).toMatchObject({
      kind: "record",
      changes: { operation: { type: "Update", phase: "Snapshotting", fields: ["vpc"] } },
    });
  });

  it.each([
    {
      field: "vpc",
      extra: { vpc: { subnetIds: ["subnet-1"], securityGroupIds: ["sg-1"] } },
      reason: "VpcChangeNeedsStop",
      what: "adding or removing spec.vpc",
    },
    {
      field: "logging",
      extra: {
        logging: { logStreamARN: "arn:aws:logs:us-east-1:123456789012:log-group:flink:log-stream:app" },
      },
      reason: "LoggingChangeNeedsStop",
      what: "adding spec.logging",
    },
  ])(
    "never adds $field to a running application whose restart would restore an older custom snapshot",
    ({ field, extra, reason, what }) => {
      const s = { ...spec, ...extra };
      const observed = observedFrom(spec, "RUNNING", 3);
      observed.ApplicationConfigurationDescription!.RunConfigurationDescription = {
        ApplicationRestoreConfigurationDescription: {
          ApplicationRestoreType: "RESTORE_FROM_CUSTOM_SNAPSHOT",
          SnapshotName: "app-g2-20261126T120000Z",
        },
      };
      const step = planNextStep(input({ spec: s, observed }));
      expect(step).toMatchObject({ kind: "stalled", reason });
      expect(step.kind === "stalled" && step.message).toContain(what);
      expect(step.kind === "stalled" && step.message).toContain("app-g2-20261126T120000Z");
      // Stopped, it is applied at rest.
      const stopped = planNextStep(
        input({
          spec: { ...s, desiredState: "Stopped" },
          observed: { ...observed, ApplicationStatus: "READY" },
        }),
      );
      expect(stopped).toMatchObject({ kind: "attach", change: { field, kind: "add" } });
    },
  );

  it("still reports a VPC change it will not retry after it failed for this generation", () => {
    const s = { ...spec, vpc: { subnetIds: ["subnet-1"], securityGroupIds: ["sg-1"] } };
    const failed = { generation: 1, message: "x", rolledBack: "None" as const };
    const step = planNextStep(
      input({ spec: s, observed: observedFrom(spec, "RUNNING"), status: { lastFailedUpdate: failed } }),
    );
    expect(step.kind).toBe("steady");
    expect(step.kind === "steady" && step.message).toMatch(
      /drift not corrected \(the change failed; change the spec to try again\): vpc/,
    );
  });

  const logStream = "arn:aws:logs:us-east-1:123456789012:log-group:flink:log-stream:app";

  it("adds logging to a running application as a snapshot-first operation, the Add call its one call", () => {
    const s = { ...spec, logging: { logStreamARN: logStream } };
    const step = planNextStep(input({ spec: s, observed: observedFrom(spec, "RUNNING") }));
    expect(step).toMatchObject({
      kind: "record",
      changes: { operation: { type: "Update", phase: "Snapshotting", fields: ["logging"] } },
    });
    // Once the snapshot is READY, the operation's call is AddApplicationCloudWatchLoggingOption.
    const op = step.changes!.operation!;
    const next = planNextStep(
      input({
        spec: s,
        observed: observedFrom(spec, "RUNNING"),
        status: { operation: op },
        observedSnapshot: { SnapshotName: op.snapshotName, SnapshotStatus: "READY", ApplicationVersionId: 1 },
      }),
    );
    expect(next).toMatchObject({
      kind: "attach",
      change: { field: "logging", kind: "add", logStreamARN: logStream },
      currentVersionId: 1,
      changes: { operation: { phase: "AwaitingRunning" } },
    });
  });

  it("leaves logging alone when the spec drops it, and reports an add it will not retry", () => {
    const observed = observedFrom({ ...spec, logging: { logStreamARN: logStream } }, "RUNNING");
    observed.CloudWatchLoggingOptionDescriptions = [
      { CloudWatchLoggingOptionId: "log-1", LogStreamARN: logStream },
    ];
    expect(planNextStep(input({ observed })).kind).toBe("steady");
    const failed = { generation: 1, message: "x", rolledBack: "None" as const };
    const step = planNextStep(
      input({
        spec: { ...spec, logging: { logStreamARN: logStream } },
        observed: observedFrom(spec, "RUNNING"),
        status: { lastFailedUpdate: failed },
      }),
    );
    expect(step.kind === "steady" && step.message).toMatch(
      /drift not corrected \(the change failed; change the spec to try again\): logging/,
    );
  });

  it("sets missing tags and removes undeclared ones when the spec changed", () => {
    const s = { ...spec, tags: { team: "data" } };
    const step = planNextStep(
      input({ spec: s, observedTags: { [ownerTag]: "ns/app", old: "x", "aws:cloudformation:stack": "y" } }),
    );
    expect(step).toMatchObject({ kind: "tag", add: { team: "data" }, remove: ["old"] });
  });
});

describe("planNextStep: deletion", () => {
  const deleting = (over: Partial<PlanInput> = {}) =>
    input({ deleting: true, spec: { ...spec, deletionPolicy: "Delete" }, ...over });

  it("releases the finalizer under Retain without touching AWS", () => {
    expect(planNextStep(input({ deleting: true, spec: { ...spec, deletionPolicy: "Retain" } })).kind).toBe(
      "removeFinalizer",
    );
  });

  it("defaults to Retain", () => {
    expect(planNextStep(input({ deleting: true, spec: { ...spec, deletionPolicy: undefined } })).kind).toBe(
      "removeFinalizer",
    );
  });

  it("force-stops a RUNNING application first under Delete", () => {
    expect(planNextStep(deleting())).toMatchObject({ kind: "stop", force: true });
  });

  it("deletes a READY application with its CreateTimestamp", () => {
    const step = planNextStep(deleting({ observed: observedFrom(spec, "READY") }));
    expect(step).toEqual({ kind: "delete", createTimestamp: new Date("2026-11-26T00:00:00Z") });
  });

  it("waits while the application is DELETING, and releases once it is gone", () => {
    expect(planNextStep(deleting({ observed: observedFrom(spec, "DELETING") })).kind).toBe("wait");
    expect(planNextStep(deleting({ observed: NotFound })).kind).toBe("removeFinalizer");
  });

  it("never deletes an application it does not own", () => {
    expect(planNextStep(deleting({ ownership: { kind: "unowned" } })).kind).toBe("removeFinalizer");
  });
});

describe("planNextStep: the snapshot-first update operation", () => {
  const before = { ...spec, parallelism: { parallelism: 2, parallelismPerKPU: 1, autoScaling: false } };
  const op = {
    type: "Update" as const,
    generation: 3,
    phase: "Snapshotting" as const,
    snapshotName: "app-g3-20261126T120000Z",
    fromVersionId: 7,
    startedAt: "2026-11-26T12:00:00.000Z",
    fields: ["parallelism"],
  };
  const snap = (status: string) => ({
    SnapshotName: op.snapshotName,
    SnapshotStatus: status as "READY",
    ApplicationVersionId: 7,
    SnapshotCreationTimestamp: new Date("2026-11-26T12:00:01Z"),
  });
  const at = (over: Partial<PlanInput>) => input({ generation: 3, status: { operation: op }, ...over });

  it("creates the recorded snapshot when it does not exist yet", () => {
    const step = planNextStep(
      at({ observed: observedFrom(before, "RUNNING", 7), observedSnapshot: NotFound }),
    );
    expect(step).toEqual({ kind: "snapshot", snapshotName: op.snapshotName, reason: "BeforeUpdate" });
  });

  it("waits while the snapshot is CREATING", () => {
    const step = planNextStep(
      at({ observed: observedFrom(before, "RUNNING", 7), observedSnapshot: snap("CREATING") }),
    );
    expect(step).toMatchObject({ kind: "wait", reason: "Snapshotting" });
  });

  it("updates from exactly that snapshot once it is READY, and records it", () => {
    const step = planNextStep(
      at({ observed: observedFrom(before, "RUNNING", 7), observedSnapshot: snap("READY") }),
    );
    expect(step).toMatchObject({
      kind: "update",
      request: {
        CurrentApplicationVersionId: 7,
        RunConfigurationUpdate: {
          ApplicationRestoreConfiguration: {
            ApplicationRestoreType: "RESTORE_FROM_CUSTOM_SNAPSHOT",
            SnapshotName: op.snapshotName,
          },
          FlinkRunConfiguration: { AllowNonRestoredState: false },
        },
      },
      changes: {
        operation: { phase: "AwaitingRunning", updateStartedAt: "2026-11-26T12:00:00.000Z" },
        snapshots: [
          { name: op.snapshotName, applicationVersionId: 7, generation: 3, reason: "BeforeUpdate" },
        ],
      },
    });
  });

  it("never updates twice: a version past fromVersionId means the update was already accepted", () => {
    // The controller died after UpdateApplication and before recording it.
    expect(
      planNextStep(at({ observed: observedFrom(spec, "UPDATING", 8), observedSnapshot: snap("READY") })),
    ).toMatchObject({
      kind: "wait",
    });
    expect(
      planNextStep(at({ observed: observedFrom(spec, "RUNNING", 8), observedSnapshot: snap("READY") })),
    ).toMatchObject({
      kind: "record",
      reason: "Updated",
      changes: { operation: null, lastFailedUpdate: null },
    });
  });

  it("updates without a snapshot when beforeUpdate is off, restoring as spec.restore says", () => {
    const s = { ...spec, snapshots: { enabled: true, beforeUpdate: false } };
    const first = planNextStep(input({ spec: s, observed: observedFrom(before, "RUNNING", 7) }));
    expect(first).toMatchObject({ kind: "record", changes: { operation: { phase: "Updating" } } });
    const operation = first.changes!.operation!;
    const next = planNextStep(
      input({ spec: s, status: { operation }, observed: observedFrom(before, "RUNNING", 7) }),
    );
    expect(next).toMatchObject({
      kind: "update",
      request: {
        RunConfigurationUpdate: {
          ApplicationRestoreConfiguration: { ApplicationRestoreType: "RESTORE_FROM_LATEST_SNAPSHOT" },
        },
      },
    });
  });

  const awaiting = { ...op, phase: "AwaitingRunning" as const, updateStartedAt: "2026-11-26T12:00:00.000Z" };

  it("reports a failed update when the application falls to READY on the new version", () => {
    const step = planNextStep(
      at({ status: { operation: awaiting }, observed: observedFrom(spec, "READY", 8) }),
    );
    expect(step).toMatchObject({
      kind: "updateFailed",
      failure: { generation: 3, snapshotName: op.snapshotName, rolledBack: "None" },
      changes: { operation: null },
    });
  });

  it("reports the service's rollback", () => {
    const step = planNextStep(
      at({ status: { operation: awaiting }, observed: observedFrom(before, "ROLLED_BACK", 9) }),
    );
    expect(step).toMatchObject({ kind: "updateFailed", failure: { rolledBack: "Service" } });
  });

  it("fails an update that is not RUNNING on the new version in time", () => {
    const late = new Date("2026-11-26T12:16:00Z");
    expect(
      planNextStep(at({ status: { operation: awaiting }, observed: observedFrom(spec, "UPDATING", 8) })),
    ).toMatchObject({ kind: "wait" });
    expect(
      planNextStep(
        at({ status: { operation: awaiting }, observed: observedFrom(spec, "UPDATING", 8), now: late }),
      ),
    ).toMatchObject({
      kind: "updateFailed",
      failure: { message: expect.stringContaining("within 900 s") },
    });
  });

  it("never retries a generation whose update failed", () => {
    const failed = { generation: 3, message: "boom", rolledBack: "None" as const };
    const step = planNextStep(
      input({
        generation: 3,
        status: { lastFailedUpdate: failed },
        observed: observedFrom(before, "RUNNING", 9),
      }),
    );
    expect(step).toMatchObject({ kind: "stalled", reason: "UpdateFailed" });
    // Nor is the failed version started again after it fell to READY.
    expect(
      planNextStep(
        input({
          generation: 3,
          status: { lastFailedUpdate: failed },
          observed: observedFrom(spec, "READY", 8),
        }),
      ),
    ).toMatchObject({ kind: "stalled", reason: "UpdateFailed" });
    // A new generation is a new attempt.
    expect(
      planNextStep(
        input({
          generation: 4,
          status: { lastFailedUpdate: failed },
          observed: observedFrom(before, "RUNNING", 9),
        }),
      ).kind,
    ).toBe("record");
  });

  it("drops an operation the spec superseded before it was applied", () => {
    const step = planNextStep(
      at({ generation: 4, observed: observedFrom(before, "RUNNING", 7), observedSnapshot: NotFound }),
    );
    expect(step).toMatchObject({ kind: "record", reason: "UpdateSuperseded", changes: { operation: null } });
  });

  describe("RestorePreviousVersion", () => {
    const s = { ...spec, rollback: { onFailure: "RestorePreviousVersion" as const } };
    it("turns a failure into a rollback operation", () => {
      const step = planNextStep(
        at({ spec: s, status: { operation: awaiting }, observed: observedFrom(s, "READY", 8) }),
      );
      expect(step).toMatchObject({
        kind: "updateFailed",
        changes: {
          operation: {
            type: "Rollback",
            phase: "RollingBack",
            snapshotName: op.snapshotName,
            fromVersionId: 7,
          },
        },
      });
    });
    const rolling = { ...op, type: "Rollback" as const, phase: "RollingBack" as const };
    it("restores the previous configuration in place, then starts from the pre-update snapshot", () => {
      const previous = observedFrom(before, "RUNNING", 7);
      const update = planNextStep(
        at({
          spec: s,
          status: { operation: rolling },
          observed: observedFrom(s, "READY", 8),
          previousVersion: previous,
        }),
      );
      expect(update).toMatchObject({
        kind: "update",
        request: {
          ApplicationConfigurationUpdate: {
            FlinkApplicationConfigurationUpdate: { ParallelismConfigurationUpdate: { ParallelismUpdate: 2 } },
          },
        },
      });
      expect(update.kind === "update" && update.request.RunConfigurationUpdate).toBeUndefined();
      const start = planNextStep(
        at({
          spec: s,
          status: { operation: rolling },
          observed: observedFrom(before, "READY", 9),
          previousVersion: previous,
        }),
      );
      expect(start).toMatchObject({
        kind: "start",
        run: {
          ApplicationRestoreConfiguration: {
            ApplicationRestoreType: "RESTORE_FROM_CUSTOM_SNAPSHOT",
            SnapshotName: op.snapshotName,
          },
        },
      });
      const done = planNextStep(
        at({
          spec: s,
          status: { operation: rolling, lastFailedUpdate: { generation: 3, rolledBack: "None" } },
          observed: observedFrom(before, "RUNNING", 9),
          previousVersion: previous,
        }),
      );
      expect(done).toMatchObject({
        kind: "record",
        reason: "RolledBack",
        changes: { operation: null, lastFailedUpdate: { rolledBack: "Operator" } },
      });
    });
    it("hands a stuck running application to RollbackApplication", () => {
      const previous = observedFrom(before, "RUNNING", 7);
      const step = planNextStep(
        at({
          spec: s,
          status: { operation: rolling },
          observed: observedFrom(s, "RUNNING", 8),
          previousVersion: previous,
        }),
      );
      expect(step).toEqual({ kind: "rollback", currentVersionId: 8 });
    });
  });
});

describe("planNextStep: snapshots at rest", () => {
  const records = Array.from({ length: 12 }, (_, i) => ({
    name: `app-g${i}-x`,
    createdAt: new Date(Date.UTC(2026, 10, 1 + i)).toISOString(),
    reason: "BeforeUpdate" as const,
  }));

  it("deletes the oldest operator snapshot beyond maxCount", () => {
    const step = planNextStep(input({ status: { snapshots: records } }));
    expect(step).toEqual({
      kind: "deleteSnapshot",
      snapshotName: "app-g0-x",
      createdAt: new Date(records[0]!.createdAt),
    });
  });

  it("never deletes the snapshot the running version restored from", () => {
    const observed = observedFrom(spec, "RUNNING");
    observed.ApplicationConfigurationDescription!.RunConfigurationDescription = {
      ApplicationRestoreConfigurationDescription: {
        ApplicationRestoreType: "RESTORE_FROM_CUSTOM_SNAPSHOT",
        SnapshotName: "app-g0-x",
      },
    };
    const step = planNextStep(input({ status: { snapshots: records }, observed }));
    expect(step).toMatchObject({ kind: "deleteSnapshot", snapshotName: "app-g1-x" });
  });

  it("applies maxAgeDays but keeps the newest", () => {
    const s = { ...spec, snapshots: { retention: { maxCount: 50, maxAgeDays: 20 } } };
    const step = planNextStep(input({ spec: s, status: { snapshots: records.slice(0, 3) } }));
    expect(step).toMatchObject({ kind: "deleteSnapshot", snapshotName: "app-g0-x" });
    expect(planNextStep(input({ spec: s, status: { snapshots: records.slice(0, 1) } })).kind).toBe("steady");
  });

  it("takes an on-demand snapshot once per request token", () => {
    const s = { ...spec, snapshots: { request: "before-migration" } };
    expect(planNextStep(input({ spec: s, observedSnapshot: NotFound }))).toEqual({
      kind: "snapshot",
      snapshotName: "app-ondemand-before-migration",
      reason: "OnDemand",
    });
    const ready = {
      SnapshotName: "app-ondemand-before-migration",
      SnapshotStatus: "READY" as const,
      ApplicationVersionId: 1,
      SnapshotCreationTimestamp: new Date(),
    };
    expect(planNextStep(input({ spec: s, observedSnapshot: ready }))).toMatchObject({
      kind: "record",
      changes: {
        lastSnapshotRequest: "before-migration",
        snapshots: [{ name: "app-ondemand-before-migration", reason: "OnDemand" }],
      },
    });
    expect(planNextStep(input({ spec: s, status: { lastSnapshotRequest: "before-migration" } })).kind).toBe(
      "steady",
    );
  });
});

describe("uncorrectableNote", () => {
  it("says which drift needs recreating and which only a spec change to try again", () => {
    expect(uncorrectableNote([])).toBe("");
    expect(uncorrectableNote(["applicationMode", "vpc"])).toBe(
      "; drift not corrected (would need recreating the application): applicationMode" +
        "; drift not corrected (the change failed; change the spec to try again): vpc",
    );
  });
});
