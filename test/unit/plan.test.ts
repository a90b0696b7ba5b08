import type { ApplicationDetail } from "@aws-sdk/client-kinesis-analytics-v2";
import { describe, expect, it } from "vitest";
import { NotFound } from "../../src/aws/managed-flink.js";
import { createApplicationRequest, ownerTag } from "../../src/controller/desired.js";
import { type PlanInput, planNextStep } from "../../src/controller/plan.js";
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
  it("updates a RUNNING application whose parallelism differs, with the version id and restore settings", () => {
    const observed = observedFrom(
      { ...spec, parallelism: { parallelism: 2, parallelismPerKPU: 1, autoScaling: false } },
      "RUNNING",
      7,
    );
    const step = planNextStep(input({ observed }));
    expect(step).toMatchObject({
      kind: "update",
      fields: ["parallelism"],
      request: {
        ApplicationName: "app",
        CurrentApplicationVersionId: 7,
        ApplicationConfigurationUpdate: {
          FlinkApplicationConfigurationUpdate: {
            ParallelismConfigurationUpdate: { ConfigurationTypeUpdate: "CUSTOM", ParallelismUpdate: 4 },
          },
        },
        RunConfigurationUpdate: {
          ApplicationRestoreConfiguration: { ApplicationRestoreType: "RESTORE_FROM_LATEST_SNAPSHOT" },
        },
      },
    });
  });

  it("does not fight autoscaling: a higher CurrentParallelism is not drift", () => {
    const s = { ...spec, parallelism: { parallelism: 4, parallelismPerKPU: 1, autoScaling: true } };
    const observed = observedFrom(s, "RUNNING");
    observed.ApplicationConfigurationDescription!.FlinkApplicationConfigurationDescription!
      .ParallelismConfigurationDescription!.CurrentParallelism = 12;
    expect(planNextStep(input({ spec: s, observed })).kind).toBe("steady");
  });

  it("updates code, environment properties, runtime and role", () => {
    const s: FlinkApplicationSpec = {
      ...spec,
      runtimeEnvironment: "FLINK-2_2",
      serviceExecutionRole: "arn:aws:iam::123456789012:role/other",
      code: { s3: { bucket: "jars", key: "app-2.jar" } },
      environmentProperties: { FlinkApplicationProperties: { "input.stream": "events" } },
    };
    const step = planNextStep(input({ spec: s, code: s.code.s3!, observed: observedFrom(spec, "RUNNING") }));
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
    expect(step).toMatchObject({ kind: "update", fields: ["checkpointing"] });
  });

  it("reports adding a VPC as drift it does not correct", () => {
    const s = { ...spec, vpc: { subnetIds: ["subnet-1"], securityGroupIds: ["sg-1"] } };
    const step = planNextStep(input({ spec: s, observed: observedFrom(spec, "RUNNING") }));
    expect(step.kind).toBe("steady");
    expect(step.kind === "steady" && step.message).toMatch(/drift not corrected.*vpc/);
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
