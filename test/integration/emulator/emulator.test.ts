import {
  CreateApplicationCommand,
  type CreateApplicationCommandInput,
  CreateApplicationSnapshotCommand,
  DeleteApplicationCommand,
  DeleteApplicationSnapshotCommand,
  DescribeApplicationCommand,
  DescribeApplicationOperationCommand,
  DescribeApplicationSnapshotCommand,
  DescribeApplicationVersionCommand,
  KinesisAnalyticsV2Client,
  ListApplicationOperationsCommand,
  ListApplicationSnapshotsCommand,
  ListApplicationsCommand,
  ListApplicationVersionsCommand,
  ListTagsForResourceCommand,
  RollbackApplicationCommand,
  StartApplicationCommand,
  StopApplicationCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateApplicationCommand,
} from "@aws-sdk/client-kinesis-analytics-v2";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { FakeClock } from "../../../src/emulator/fake-clock.js";
import { type RunningEmulator, startEmulator } from "../../../src/emulator/server.js";
import { errorName, eventually, rejection, waitForStatus } from "./helpers.js";

const credentials = { accessKeyId: "test", secretAccessKey: "test" };
const ROLE = "arn:aws:iam::123456789012:role/flink";
/** Its own bucket in the shared S3, so nothing else in the run can change it. */
const BUCKET = "emulator-test-code";
const { s3Endpoint } = inject("localStack");
const clock = new FakeClock();

let emulator: RunningEmulator;
let client: KinesisAnalyticsV2Client;
/** The SDK classifies LimitExceededException as throttling and retries it; this client asserts it at once. */
let noRetry: KinesisAnalyticsV2Client;
let seq = 0;

async function admin(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${emulator.endpoint}/_emulator/${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: await res.json() };
}

function appInput(
  name: string,
  extra: Partial<CreateApplicationCommandInput> = {},
): CreateApplicationCommandInput {
  return {
    ApplicationName: name,
    RuntimeEnvironment: "FLINK-1_20",
    ServiceExecutionRole: ROLE,
    ApplicationConfiguration: {
      ApplicationCodeConfiguration: {
        CodeContentType: "ZIPFILE",
        CodeContent: { S3ContentLocation: { BucketARN: `arn:aws:s3:::${BUCKET}`, FileKey: "app.jar" } },
      },
      ApplicationSnapshotConfiguration: { SnapshotsEnabled: true },
      FlinkApplicationConfiguration: {
        ParallelismConfiguration: {
          ConfigurationType: "CUSTOM",
          Parallelism: 2,
          ParallelismPerKPU: 1,
          AutoScalingEnabled: true,
        },
      },
      EnvironmentProperties: { PropertyGroups: [{ PropertyGroupId: "app", PropertyMap: { mode: "test" } }] },
    },
    ...extra,
  };
}

async function create(extra: Partial<CreateApplicationCommandInput> = {}, base = "app") {
  const name = `${base}-${++seq}`;
  const r = await client.send(new CreateApplicationCommand(appInput(name, extra)));
  return { name, detail: r.ApplicationDetail! };
}

async function describeApp(name: string) {
  return (await client.send(new DescribeApplicationCommand({ ApplicationName: name }))).ApplicationDetail!;
}

async function running(extra: Partial<CreateApplicationCommandInput> = {}) {
  const app = await create(extra);
  await client.send(new StartApplicationCommand({ ApplicationName: app.name }));
  await waitForStatus(clock, client, app.name, "RUNNING");
  return app;
}

async function snapshotReady(name: string, snapshot: string) {
  await eventually(
    clock,
    async () => {
      const r = await client.send(
        new DescribeApplicationSnapshotCommand({ ApplicationName: name, SnapshotName: snapshot }),
      );
      return r.SnapshotDetails?.SnapshotStatus === "READY" ? r.SnapshotDetails : undefined;
    },
    `snapshot ${snapshot} READY`,
  );
}

async function operation(name: string, id: string) {
  return (
    await client.send(new DescribeApplicationOperationCommand({ ApplicationName: name, OperationId: id }))
  ).ApplicationOperationInfoDetails!;
}

async function operationSettled(name: string, id: string) {
  return eventually(
    clock,
    async () => {
      const op = await operation(name, id);
      return op.OperationStatus === "IN_PROGRESS" ? undefined : op;
    },
    `operation ${id} to finish`,
  );
}

beforeAll(async () => {
  // The shared stack's moto S3 holds the code objects; the emulator under test is this file's own, on a
  // fake clock, so every transition happens exactly when the test advances time.
  const s3client = new S3Client({
    endpoint: s3Endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials,
  });
  await s3client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await s3client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "app.jar", Body: "PK-not-really-a-jar" }));
  s3client.destroy();
  emulator = await startEmulator({
    s3Endpoint,
    clock,
    timings: {
      startingMs: 80,
      stoppingMs: 80,
      forceStoppingMs: 60,
      updatingMs: 80,
      autoscalingMs: 80,
      rollingBackMs: 80,
      rolledBackMs: 60,
      deletingMs: 60,
      snapshotMs: 50,
    },
  });
  client = new KinesisAnalyticsV2Client({ endpoint: emulator.endpoint, region: "us-east-1", credentials });
  noRetry = new KinesisAnalyticsV2Client({
    endpoint: emulator.endpoint,
    region: "us-east-1",
    credentials,
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client?.destroy();
  noRetry?.destroy();
  await emulator?.close();
});

beforeEach(async () => {
  await admin("DELETE", "faults");
});

describe("CreateApplication / DescribeApplication / ListApplications", () => {
  it("creates a READY application with a full ApplicationDetail", async () => {
    const { name, detail } = await create({
      ApplicationDescription: "demo",
      Tags: [{ Key: "team", Value: "data" }],
    });
    expect(detail).toMatchObject({
      ApplicationARN: `arn:aws:kinesisanalytics:us-east-1:123456789012:application/${name}`,
      ApplicationName: name,
      ApplicationDescription: "demo",
      RuntimeEnvironment: "FLINK-1_20",
      ServiceExecutionRole: ROLE,
      ApplicationStatus: "READY",
      ApplicationVersionId: 1,
      ApplicationMode: "STREAMING",
    });
    expect(detail.CreateTimestamp).toBeInstanceOf(Date);
    expect(detail.ConditionalToken).toMatch(/^[a-zA-Z0-9-_+/=]+$/);
    const cfg = detail.ApplicationConfigurationDescription!;
    expect(
      cfg.ApplicationCodeConfigurationDescription?.CodeContentDescription
        ?.S3ApplicationCodeLocationDescription,
    ).toEqual({
      BucketARN: `arn:aws:s3:::${BUCKET}`,
      FileKey: "app.jar",
    });
    expect(cfg.FlinkApplicationConfigurationDescription?.ParallelismConfigurationDescription).toMatchObject({
      Parallelism: 2,
      CurrentParallelism: 2,
    });
    expect(
      cfg.FlinkApplicationConfigurationDescription?.CheckpointConfigurationDescription?.CheckpointInterval,
    ).toBe(60000);
    expect(cfg.EnvironmentPropertyDescriptions?.PropertyGroupDescriptions).toEqual([
      { PropertyGroupId: "app", PropertyMap: { mode: "test" } },
    ]);
    expect(cfg.ApplicationSnapshotConfigurationDescription?.SnapshotsEnabled).toBe(true);
    expect(cfg.ApplicationSystemRollbackConfigurationDescription?.RollbackEnabled).toBe(false);
    const described = await client.send(
      new DescribeApplicationCommand({ ApplicationName: name, IncludeAdditionalDetails: true }),
    );
    expect(described.ApplicationDetail?.CreateTimestamp?.getTime()).toBe(detail.CreateTimestamp?.getTime());
    expect(described.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("rejects duplicates (ResourceInUseException), too many tags, a missing code object, and the application cap", async () => {
    const { name } = await create();
    expect(await errorName(client.send(new CreateApplicationCommand(appInput(name))))).toBe(
      "ResourceInUseException",
    );
    const tags = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: "v" }));
    expect(
      (await rejection(client.send(new CreateApplicationCommand(appInput(`tags-${++seq}`, { Tags: tags })))))
        .name,
    ).toBe("TooManyTagsException");
    const missing = appInput(`missing-${++seq}`);
    missing.ApplicationConfiguration!.ApplicationCodeConfiguration!.CodeContent!.S3ContentLocation!.FileKey =
      "nope.jar";
    const e = await rejection(client.send(new CreateApplicationCommand(missing)));
    expect(e.name).toBe("InvalidArgumentException");
    expect(e.message).toContain("nope.jar");
    const count = (await client.send(new ListApplicationsCommand({}))).ApplicationSummaries!.length;
    await admin("PUT", "config", { applicationCap: count });
    try {
      expect(await errorName(noRetry.send(new CreateApplicationCommand(appInput(`cap-${++seq}`))))).toBe(
        "LimitExceededException",
      );
    } finally {
      await admin("PUT", "config", { applicationCap: 100 });
    }
  });

  it("answers CodeValidationException for inline ZIPFILE code that is not a ZIP archive, on create and update", async () => {
    const inline = (bytes: Uint8Array) =>
      appInput(`zip-${++seq}`, {
        ApplicationConfiguration: {
          ApplicationCodeConfiguration: {
            CodeContentType: "ZIPFILE",
            CodeContent: { ZipFileContent: bytes },
          },
        },
      });
    const e = await rejection(client.send(new CreateApplicationCommand(inline(Buffer.from("not a jar")))));
    expect(e.name).toBe("CodeValidationException");
    const ok = inline(Buffer.from([0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0)]));
    const created = await client.send(new CreateApplicationCommand(ok));
    const u = await rejection(
      client.send(
        new UpdateApplicationCommand({
          ApplicationName: ok.ApplicationName,
          CurrentApplicationVersionId: created.ApplicationDetail!.ApplicationVersionId,
          ApplicationConfigurationUpdate: {
            ApplicationCodeConfigurationUpdate: {
              CodeContentUpdate: { ZipFileContentUpdate: Buffer.from("plain text") },
            },
          },
        }),
      ),
    );
    expect(u.name).toBe("CodeValidationException");
  });

  it("rejects an unknown RuntimeEnvironment as a model violation", async () => {
    const e = await rejection(
      client.send(
        new CreateApplicationCommand(appInput(`rt-${++seq}`, { RuntimeEnvironment: "FLINK-0_9" as never })),
      ),
    );
    expect(e.name).toBe("InvalidArgumentException");
    expect(e.$metadata?.httpStatusCode).toBe(400);
    expect(e.message).toMatch(
      /^1 validation error detected: Value 'FLINK-0_9' at 'runtimeEnvironment' failed to satisfy constraint: Member must satisfy enum value set: \[/,
    );
  });

  it("paginates ListApplications with NextToken", async () => {
    for (let i = 0; i < 3; i++) await create({}, "page");
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const r = await client.send(
        new ListApplicationsCommand({ Limit: 2, ...(token ? { NextToken: token } : {}) }),
      );
      expect(r.ApplicationSummaries!.length).toBeLessThanOrEqual(2);
      seen.push(...r.ApplicationSummaries!.map((s) => s.ApplicationName!));
      token = r.NextToken;
    } while (token);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((n) => n.startsWith("page-")).length).toBe(3);
  });

  it("answers UnknownOperationException for a target that names an Object.prototype member", async () => {
    const res = await fetch(emulator.endpoint, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "KinesisAnalytics_20180523.constructor",
      },
      body: "{}",
    });
    expect([res.status, res.headers.get("x-amzn-errortype")]).toEqual([400, "UnknownOperationException"]);
  });

  it("answers ResourceNotFoundException for an unknown application", async () => {
    expect(await errorName(client.send(new DescribeApplicationCommand({ ApplicationName: "ghost" })))).toBe(
      "ResourceNotFoundException",
    );
  });
});

describe("start, stop and the lifecycle", () => {
  it("goes READY → STARTING → RUNNING and refuses a second start", async () => {
    const { name } = await create();
    const r = await client.send(new StartApplicationCommand({ ApplicationName: name }));
    expect(r.OperationId).toBeTruthy();
    expect((await describeApp(name)).ApplicationStatus).toBe("STARTING");
    await waitForStatus(clock, client, name, "RUNNING");
    expect(await errorName(client.send(new StartApplicationCommand({ ApplicationName: name })))).toBe(
      "ResourceInUseException",
    );
    const op = await operationSettled(name, r.OperationId!);
    expect(op).toMatchObject({ Operation: "StartApplication", OperationStatus: "SUCCESSFUL" });
    expect((await describeApp(name)).ApplicationVersionId).toBe(1);
  });

  it("a normal stop takes a snapshot when snapshots are enabled; a forced stop does not", async () => {
    const { name } = await running();
    await client.send(new StopApplicationCommand({ ApplicationName: name }));
    expect((await describeApp(name)).ApplicationStatus).toBe("STOPPING");
    await waitForStatus(clock, client, name, "READY");
    const afterStop = (await client.send(new ListApplicationSnapshotsCommand({ ApplicationName: name })))
      .SnapshotSummaries!;
    expect(afterStop).toHaveLength(1);

    await client.send(new StartApplicationCommand({ ApplicationName: name }));
    await waitForStatus(clock, client, name, "RUNNING");
    await client.send(new StopApplicationCommand({ ApplicationName: name, Force: true }));
    expect((await describeApp(name)).ApplicationStatus).toBe("FORCE_STOPPING");
    await waitForStatus(clock, client, name, "READY");
    const afterForce = (await client.send(new ListApplicationSnapshotsCommand({ ApplicationName: name })))
      .SnapshotSummaries!;
    expect(afterForce).toHaveLength(1);
  });

  it("refuses an unforced stop outside RUNNING and a forced stop of a READY application", async () => {
    const { name } = await create();
    expect(await errorName(client.send(new StopApplicationCommand({ ApplicationName: name })))).toBe(
      "ResourceInUseException",
    );
    expect(
      await errorName(client.send(new StopApplicationCommand({ ApplicationName: name, Force: true }))),
    ).toBe("ResourceInUseException");
  });

  it("force-stops a STARTING application and cancels the start operation", async () => {
    const { name } = await create();
    const start = await client.send(new StartApplicationCommand({ ApplicationName: name }));
    await client.send(new StopApplicationCommand({ ApplicationName: name, Force: true }));
    await waitForStatus(clock, client, name, "READY");
    expect((await operation(name, start.OperationId!)).OperationStatus).toBe("CANCELLED");
  });

  it("answers UnsupportedOperationException for a forced stop of a SQL application", async () => {
    const name = `sql-${++seq}`;
    await client.send(
      new CreateApplicationCommand({
        ApplicationName: name,
        RuntimeEnvironment: "SQL-1_0",
        ServiceExecutionRole: ROLE,
      }),
    );
    expect(
      await errorName(client.send(new StopApplicationCommand({ ApplicationName: name, Force: true }))),
    ).toBe("UnsupportedOperationException");
  });

  it("fails a start whose code object is gone with InvalidApplicationConfigurationException", async () => {
    const { name, detail } = await create();
    await client.send(
      new UpdateApplicationCommand({
        ApplicationName: name,
        CurrentApplicationVersionId: detail.ApplicationVersionId,
        ApplicationConfigurationUpdate: {
          ApplicationCodeConfigurationUpdate: { CodeContentUpdate: { TextContentUpdate: "ignored" } },
        },
      }),
    );
    // Point at a missing object through the update path first: that is an invalid argument.
    const stale = await rejection(
      client.send(
        new UpdateApplicationCommand({
          ApplicationName: name,
          CurrentApplicationVersionId: 2,
          ApplicationConfigurationUpdate: {
            ApplicationCodeConfigurationUpdate: {
              CodeContentUpdate: { S3ContentLocationUpdate: { FileKeyUpdate: "gone.jar" } },
            },
          },
        }),
      ),
    );
    expect(stale.name).toBe("InvalidArgumentException");
    const sql = `nocode-${++seq}`;
    await client.send(
      new CreateApplicationCommand({
        ApplicationName: sql,
        RuntimeEnvironment: "FLINK-1_20",
        ServiceExecutionRole: ROLE,
      }),
    );
    expect(await errorName(client.send(new StartApplicationCommand({ ApplicationName: sql })))).toBe(
      "InvalidApplicationConfigurationException",
    );
  });

  it("a failed start (injected) ends READY with a FAILED operation carrying ErrorInfo", async () => {
    const { name } = await create();
    expect(
      (await admin("POST", `applications/${name}/fail-next-start`, { reason: "main() threw" })).status,
    ).toBe(200);
    const r = await client.send(new StartApplicationCommand({ ApplicationName: name }));
    const op = await operationSettled(name, r.OperationId!);
    expect(op.OperationStatus).toBe("FAILED");
    expect(op.OperationFailureDetails?.ErrorInfo?.ErrorString).toBe("main() threw");
    expect((await describeApp(name)).ApplicationStatus).toBe("READY");
  });

  it("records restore configuration and AllowNonRestoredState; a missing custom snapshot is not found", async () => {
    const { name } = await running();
    await client.send(new CreateApplicationSnapshotCommand({ ApplicationName: name, SnapshotName: "keep" }));
    await snapshotReady(name, "keep");
    await client.send(new StopApplicationCommand({ ApplicationName: name, Force: true }));
    await waitForStatus(clock, client, name, "READY");
    const missing = await rejection(
      client.send(
        new StartApplicationCommand({
          ApplicationName: name,
          RunConfiguration: {
            ApplicationRestoreConfiguration: {
              ApplicationRestoreType: "RESTORE_FROM_CUSTOM_SNAPSHOT",
              SnapshotName: "nope",
            },
          },
        }),
      ),
    );
    expect(missing.name).toBe("ResourceNotFoundException");
    const noName = await rejection(
      client.send(
        new StartApplicationCommand({
          ApplicationName: name,
          RunConfiguration: {
            ApplicationRestoreConfiguration: { ApplicationRestoreType: "RESTORE_FROM_CUSTOM_SNAPSHOT" },
          },
        }),
      ),
    );
    expect(noName.name).toBe("InvalidArgumentException");
    await client.send(
      new StartApplicationCommand({
        ApplicationName: name,
        RunConfiguration: {
          ApplicationRestoreConfiguration: {
            ApplicationRestoreType: "RESTORE_FROM_CUSTOM_SNAPSHOT",
            SnapshotName: "keep",
          },
          FlinkRunConfiguration: { AllowNonRestoredState: true },
        },
      }),
    );
    await waitForStatus(clock, client, name, "RUNNING");
    const run = (await describeApp(name)).ApplicationConfigurationDescription?.RunConfigurationDescription;
    expect(run).toEqual({
      ApplicationRestoreConfigurationDescription: {
        ApplicationRestoreType: "RESTORE_FROM_CUSTOM_SNAPSHOT",
        SnapshotName: "keep",
      },
      FlinkRunConfigurationDescription: { AllowNonRestoredState: true },
    });
  });
});

describe("UpdateApplication", () => {
  it("needs CurrentApplicationVersionId or ConditionalToken", async () => {
    const { name } = await create();
    const e = await rejection(client.send(new UpdateApplicationCommand({ ApplicationName: name })));
    expect(e.name).toBe("InvalidArgumentException");
    expect(e.$metadata?.httpStatusCode).toBe(400);
  });

  it("updates a READY application in place and a RUNNING one through UPDATING; versions and tokens advance", async () => {
    const { name, detail } = await create();
    const u1 = await client.send(
      new UpdateApplicationCommand({
        ApplicationName: name,
        CurrentApplicationVersionId: 1,
        ApplicationConfigurationUpdate: {
          EnvironmentPropertyUpdates: {
            PropertyGroups: [{ PropertyGroupId: "app", PropertyMap: { mode: "v2" } }],
          },
        },
      }),
    );
    expect(u1.ApplicationDetail).toMatchObject({
      ApplicationStatus: "READY",
      ApplicationVersionId: 2,
      ApplicationVersionUpdatedFrom: 1,
    });
    expect(u1.ApplicationDetail?.ConditionalToken).not.toBe(detail.ConditionalToken);

    await client.send(new StartApplicationCommand({ ApplicationName: name }));
    await waitForStatus(clock, client, name, "RUNNING");
    const u2 = await client.send(
      new UpdateApplicationCommand({
        ApplicationName: name,
        ConditionalToken: u1.ApplicationDetail!.ConditionalToken!,
        ApplicationConfigurationUpdate: {
          FlinkApplicationConfigurationUpdate: { ParallelismConfigurationUpdate: { ParallelismUpdate: 4 } },
        },
        RunConfigurationUpdate: {
          ApplicationRestoreConfiguration: { ApplicationRestoreType: "SKIP_RESTORE_FROM_SNAPSHOT" },
        },
      }),
    );
    expect(u2.ApplicationDetail).toMatchObject({ ApplicationStatus: "UPDATING", ApplicationVersionId: 3 });
    expect(
      await errorName(
        client.send(new UpdateApplicationCommand({ ApplicationName: name, CurrentApplicationVersionId: 3 })),
      ),
    ).toBe("ResourceInUseException");
    await waitForStatus(clock, client, name, "RUNNING");
    const d = await describeApp(name);
    expect(
      d.ApplicationConfigurationDescription?.FlinkApplicationConfigurationDescription
        ?.ParallelismConfigurationDescription?.Parallelism,
    ).toBe(4);
    expect(
      d.ApplicationConfigurationDescription?.RunConfigurationDescription
        ?.ApplicationRestoreConfigurationDescription?.ApplicationRestoreType,
    ).toBe("SKIP_RESTORE_FROM_SNAPSHOT");
    const op = await operationSettled(name, u2.OperationId!);
    expect(op).toMatchObject({
      Operation: "UpdateApplication",
      OperationStatus: "SUCCESSFUL",
      ApplicationVersionChangeDetails: { ApplicationVersionUpdatedFrom: 2, ApplicationVersionUpdatedTo: 3 },
    });
    // The running update took an automatic snapshot (snapshots are enabled).
    expect(
      (await client.send(new ListApplicationSnapshotsCommand({ ApplicationName: name }))).SnapshotSummaries!
        .length,
    ).toBe(1);
  });

  it("answers ConcurrentModificationException for a stale version or token, ResourceNotFoundException for no app", async () => {
    const { name, detail } = await create();
    await client.send(
      new UpdateApplicationCommand({ ApplicationName: name, CurrentApplicationVersionId: 1 }),
    );
    expect(
      await errorName(
        client.send(new UpdateApplicationCommand({ ApplicationName: name, CurrentApplicationVersionId: 1 })),
      ),
    ).toBe("ConcurrentModificationException");
    expect(
      await errorName(
        client.send(
          new UpdateApplicationCommand({
            ApplicationName: name,
            ConditionalToken: detail.ConditionalToken!,
          }),
        ),
      ),
    ).toBe("ConcurrentModificationException");
    expect(
      await errorName(
        client.send(
          new UpdateApplicationCommand({ ApplicationName: "ghost", CurrentApplicationVersionId: 1 }),
        ),
      ),
    ).toBe("ResourceNotFoundException");
  });

  it("with system rollback on, a failed update rolls back to the previous version", async () => {
    const { name } = await create({
      ApplicationConfiguration: {
        ...appInput("x").ApplicationConfiguration,
        ApplicationSystemRollbackConfiguration: { RollbackEnabled: true },
      },
    });
    await client.send(new StartApplicationCommand({ ApplicationName: name }));
    await waitForStatus(clock, client, name, "RUNNING");
    await admin("POST", `applications/${name}/fail-next-update`);
    const u = await client.send(
      new UpdateApplicationCommand({
        ApplicationName: name,
        CurrentApplicationVersionId: 1,
        ApplicationConfigurationUpdate: {
          FlinkApplicationConfigurationUpdate: { ParallelismConfigurationUpdate: { ParallelismUpdate: 64 } },
        },
      }),
    );
    await waitForStatus(clock, client, name, "ROLLING_BACK");
    await waitForStatus(clock, client, name, "RUNNING");
    const d = await describeApp(name);
    expect(d).toMatchObject({
      ApplicationVersionId: 3,
      ApplicationVersionRolledBackFrom: 2,
      ApplicationVersionRolledBackTo: 1,
    });
    expect(
      d.ApplicationConfigurationDescription?.FlinkApplicationConfigurationDescription
        ?.ParallelismConfigurationDescription?.Parallelism,
    ).toBe(2);
    const op = await operation(name, u.OperationId!);
    expect(op.OperationStatus).toBe("FAILED");
    expect(op.OperationFailureDetails?.ErrorInfo?.ErrorString).toBeTruthy();
    const rollbackOp = await operationSettled(name, op.OperationFailureDetails!.RollbackOperationId!);
    expect(rollbackOp).toMatchObject({ Operation: "RollbackApplication", OperationStatus: "SUCCESSFUL" });
  });

  it("without system rollback, a failed update leaves the application READY", async () => {
    const { name } = await running();
    await admin("POST", `applications/${name}/fail-next-update`);
    const u = await client.send(
      new UpdateApplicationCommand({ ApplicationName: name, CurrentApplicationVersionId: 1 }),
    );
    await waitForStatus(clock, client, name, "READY");
    expect((await operation(name, u.OperationId!)).OperationStatus).toBe("FAILED");
    expect((await describeApp(name)).ApplicationVersionId).toBe(2);
  });
});

describe("RollbackApplication, versions and operations", () => {
  it("rolls a RUNNING application back: ROLLING_BACK → ROLLED_BACK → RUNNING on a new version", async () => {
    const { name } = await running();
    await client.send(new CreateApplicationSnapshotCommand({ ApplicationName: name, SnapshotName: "s1" }));
    await snapshotReady(name, "s1");
    await client.send(
      new UpdateApplicationCommand({
        ApplicationName: name,
        CurrentApplicationVersionId: 1,
        ServiceExecutionRoleUpdate: `${ROLE}-2`,
      }),
    );
    await waitForStatus(clock, client, name, "RUNNING");
    expect(
      await errorName(
        client.send(
          new RollbackApplicationCommand({ ApplicationName: name, CurrentApplicationVersionId: 1 }),
        ),
      ),
    ).toBe("ConcurrentModificationException");
    const r = await client.send(
      new RollbackApplicationCommand({ ApplicationName: name, CurrentApplicationVersionId: 2 }),
    );
    expect(r.ApplicationDetail).toMatchObject({ ApplicationStatus: "ROLLING_BACK", ApplicationVersionId: 3 });
    await waitForStatus(clock, client, name, "ROLLED_BACK");
    await waitForStatus(clock, client, name, "RUNNING");
    const d = await describeApp(name);
    expect(d).toMatchObject({
      ServiceExecutionRole: ROLE,
      ApplicationVersionRolledBackFrom: 2,
      ApplicationVersionRolledBackTo: 1,
    });
    expect((await operationSettled(name, r.OperationId!)).OperationStatus).toBe("SUCCESSFUL");

    const versions = await client.send(new ListApplicationVersionsCommand({ ApplicationName: name }));
    expect(versions.ApplicationVersionSummaries!.map((v) => v.ApplicationVersionId)).toEqual([3, 2, 1]);
    const v2 = await client.send(
      new DescribeApplicationVersionCommand({ ApplicationName: name, ApplicationVersionId: 2 }),
    );
    expect(v2.ApplicationVersionDetail).toMatchObject({
      ApplicationVersionId: 2,
      ServiceExecutionRole: `${ROLE}-2`,
      ApplicationVersionUpdatedFrom: 1,
    });
    expect(
      await errorName(
        client.send(
          new DescribeApplicationVersionCommand({ ApplicationName: name, ApplicationVersionId: 99 }),
        ),
      ),
    ).toBe("ResourceNotFoundException");

    const ops = await client.send(new ListApplicationOperationsCommand({ ApplicationName: name, Limit: 2 }));
    expect(ops.ApplicationOperationInfoList).toHaveLength(2);
    expect(ops.NextToken).toBeTruthy();
    const rest = await client.send(
      new ListApplicationOperationsCommand({ ApplicationName: name, NextToken: ops.NextToken! }),
    );
    expect(rest.ApplicationOperationInfoList!.length).toBe(1);
    const onlyStarts = await client.send(
      new ListApplicationOperationsCommand({ ApplicationName: name, Operation: "StartApplication" }),
    );
    expect(onlyStarts.ApplicationOperationInfoList!.map((o) => o.Operation)).toEqual(["StartApplication"]);
    expect(
      await errorName(
        client.send(
          new DescribeApplicationOperationCommand({ ApplicationName: name, OperationId: "op-none" }),
        ),
      ),
    ).toBe("ResourceNotFoundException");
  });

  it("refuses a rollback of a READY application, of version 1, and with no snapshots", async () => {
    const { name } = await create();
    expect(
      await errorName(
        client.send(
          new RollbackApplicationCommand({ ApplicationName: name, CurrentApplicationVersionId: 1 }),
        ),
      ),
    ).toBe("ResourceInUseException");
    const r = await running();
    expect(
      await errorName(
        client.send(
          new RollbackApplicationCommand({ ApplicationName: r.name, CurrentApplicationVersionId: 1 }),
        ),
      ),
    ).toBe("InvalidRequestException");
    const noSnap = await running({
      ApplicationConfiguration: {
        ...appInput("x").ApplicationConfiguration,
        ApplicationSnapshotConfiguration: { SnapshotsEnabled: false },
      },
    });
    await client.send(
      new UpdateApplicationCommand({ ApplicationName: noSnap.name, CurrentApplicationVersionId: 1 }),
    );
    await waitForStatus(clock, client, noSnap.name, "RUNNING");
    expect(
      await errorName(
        client.send(
          new RollbackApplicationCommand({ ApplicationName: noSnap.name, CurrentApplicationVersionId: 2 }),
        ),
      ),
    ).toBe("InvalidRequestException");
    expect(
      await errorName(client.send(new ListApplicationVersionsCommand({ ApplicationName: "ghost" }))),
    ).toBe("ResourceNotFoundException");
  });
});

describe("snapshots", () => {
  it("goes CREATING → READY, lists with pagination, and deletes with the right timestamp only", async () => {
    const { name } = await running();
    await client.send(new CreateApplicationSnapshotCommand({ ApplicationName: name, SnapshotName: "a" }));
    const creating = await client.send(
      new DescribeApplicationSnapshotCommand({ ApplicationName: name, SnapshotName: "a" }),
    );
    expect(creating.SnapshotDetails).toMatchObject({
      SnapshotStatus: "CREATING",
      ApplicationVersionId: 1,
      RuntimeEnvironment: "FLINK-1_20",
    });
    await snapshotReady(name, "a");
    await client.send(new CreateApplicationSnapshotCommand({ ApplicationName: name, SnapshotName: "b" }));
    expect(
      await errorName(
        client.send(new CreateApplicationSnapshotCommand({ ApplicationName: name, SnapshotName: "b" })),
      ),
    ).toBe("ResourceInUseException");
    const page1 = await client.send(new ListApplicationSnapshotsCommand({ ApplicationName: name, Limit: 1 }));
    expect(page1.SnapshotSummaries!.map((s) => s.SnapshotName)).toEqual(["a"]);
    const page2 = await client.send(
      new ListApplicationSnapshotsCommand({ ApplicationName: name, Limit: 1, NextToken: page1.NextToken! }),
    );
    expect(page2.SnapshotSummaries!.map((s) => s.SnapshotName)).toEqual(["b"]);
    expect(page2.NextToken).toBeUndefined();

    const a = creating.SnapshotDetails!;
    const wrong = new Date(a.SnapshotCreationTimestamp!.getTime() - 1000);
    expect(
      await errorName(
        client.send(
          new DeleteApplicationSnapshotCommand({
            ApplicationName: name,
            SnapshotName: "a",
            SnapshotCreationTimestamp: wrong,
          }),
        ),
      ),
    ).toBe("InvalidArgumentException");
    await client.send(
      new DeleteApplicationSnapshotCommand({
        ApplicationName: name,
        SnapshotName: "a",
        SnapshotCreationTimestamp: a.SnapshotCreationTimestamp!,
      }),
    );
    expect(
      await errorName(
        client.send(new DescribeApplicationSnapshotCommand({ ApplicationName: name, SnapshotName: "a" })),
      ),
    ).toBe("ResourceNotFoundException");
    expect(
      await errorName(
        client.send(
          new DeleteApplicationSnapshotCommand({
            ApplicationName: name,
            SnapshotName: "a",
            SnapshotCreationTimestamp: wrong,
          }),
        ),
      ),
    ).toBe("ResourceNotFoundException");
  });

  it("rejects a 257-character SnapshotName as AWS does", async () => {
    const { name } = await running();
    const e = await rejection(
      client.send(
        new CreateApplicationSnapshotCommand({ ApplicationName: name, SnapshotName: "s".repeat(257) }),
      ),
    );
    expect(e.name).toBe("InvalidArgumentException");
    expect(e.message).toBe(
      `1 validation error detected: Value '${"s".repeat(257)}' at 'snapshotName' failed to satisfy constraint: Member must have length less than or equal to 256`,
    );
  });

  it("needs a RUNNING application with snapshots enabled, and stops at the per-application cap", async () => {
    const ready = await create();
    expect(
      await errorName(
        client.send(new CreateApplicationSnapshotCommand({ ApplicationName: ready.name, SnapshotName: "x" })),
      ),
    ).toBe("ResourceInUseException");
    const off = await running({
      ApplicationConfiguration: {
        ...appInput("x").ApplicationConfiguration,
        ApplicationSnapshotConfiguration: { SnapshotsEnabled: false },
      },
    });
    expect(
      await errorName(
        client.send(new CreateApplicationSnapshotCommand({ ApplicationName: off.name, SnapshotName: "x" })),
      ),
    ).toBe("InvalidApplicationConfigurationException");
    const { name } = await running();
    await admin("PUT", "config", { snapshotCap: 2 });
    try {
      await client.send(new CreateApplicationSnapshotCommand({ ApplicationName: name, SnapshotName: "one" }));
      await client.send(new CreateApplicationSnapshotCommand({ ApplicationName: name, SnapshotName: "two" }));
      expect(
        await errorName(
          noRetry.send(
            new CreateApplicationSnapshotCommand({ ApplicationName: name, SnapshotName: "three" }),
          ),
        ),
      ).toBe("LimitExceededException");
    } finally {
      await admin("PUT", "config", { snapshotCap: 1000 });
    }
    expect(
      await errorName(client.send(new ListApplicationSnapshotsCommand({ ApplicationName: "ghost" }))),
    ).toBe("InvalidArgumentException");
    expect(
      await errorName(
        client.send(new CreateApplicationSnapshotCommand({ ApplicationName: "ghost", SnapshotName: "x" })),
      ),
    ).toBe("ResourceNotFoundException");
  });
});

describe("DeleteApplication", () => {
  it("needs the right CreateTimestamp, refuses transitional statuses, then goes DELETING → gone", async () => {
    const { name, detail } = await create();
    expect(
      await errorName(
        client.send(new DeleteApplicationCommand({ ApplicationName: name, CreateTimestamp: new Date(0) })),
      ),
    ).toBe("InvalidArgumentException");
    await client.send(new StartApplicationCommand({ ApplicationName: name }));
    expect(
      await errorName(
        client.send(
          new DeleteApplicationCommand({ ApplicationName: name, CreateTimestamp: detail.CreateTimestamp! }),
        ),
      ),
    ).toBe("ResourceInUseException");
    await waitForStatus(clock, client, name, "RUNNING");
    await client.send(
      new DeleteApplicationCommand({ ApplicationName: name, CreateTimestamp: detail.CreateTimestamp! }),
    );
    expect((await describeApp(name)).ApplicationStatus).toBe("DELETING");
    await eventually(
      clock,
      () =>
        client.send(new DescribeApplicationCommand({ ApplicationName: name })).then(
          () => undefined,
          (e: { name: string }) => (e.name === "ResourceNotFoundException" ? true : undefined),
        ),
      "application deleted",
    );
    expect(
      await errorName(
        client.send(new DeleteApplicationCommand({ ApplicationName: name, CreateTimestamp: new Date() })),
      ),
    ).toBe("ResourceNotFoundException");
  });
});

describe("tags", () => {
  it("tags, lists and untags without changing the version", async () => {
    const { detail } = await create({ Tags: [{ Key: "a", Value: "1" }] });
    const arn = detail.ApplicationARN!;
    await client.send(new TagResourceCommand({ ResourceARN: arn, Tags: [{ Key: "b", Value: "2" }] }));
    expect((await client.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags).toEqual([
      { Key: "a", Value: "1" },
      { Key: "b", Value: "2" },
    ]);
    await client.send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: ["a"] }));
    expect((await client.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags).toEqual([
      { Key: "b", Value: "2" },
    ]);
    expect((await describeApp(detail.ApplicationName!)).ApplicationVersionId).toBe(1);
    const many = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: "v" }));
    expect(await errorName(client.send(new TagResourceCommand({ ResourceARN: arn, Tags: many })))).toBe(
      "TooManyTagsException",
    );
    const ghost = "arn:aws:kinesisanalytics:us-east-1:123456789012:application/ghost";
    for (const p of [
      client.send(new TagResourceCommand({ ResourceARN: ghost, Tags: [{ Key: "a", Value: "b" }] })),
      client.send(new UntagResourceCommand({ ResourceARN: ghost, TagKeys: ["a"] })),
      client.send(new ListTagsForResourceCommand({ ResourceARN: ghost })),
    ]) {
      expect(await errorName(p)).toBe("ResourceNotFoundException");
    }
  });
});

describe("admin API", () => {
  it("records every call in order with error names", async () => {
    await admin("DELETE", "calls");
    await client.send(new ListApplicationsCommand({}));
    await rejection(client.send(new DescribeApplicationCommand({ ApplicationName: "ghost" })));
    const { json } = await admin("GET", "calls");
    const calls = json as {
      operation: string;
      input: unknown;
      error?: string;
      at: string;
      accessKeyId?: string;
    }[];
    expect(calls.map((c) => [c.operation, c.error])).toEqual([
      ["ListApplications", undefined],
      ["DescribeApplication", "ResourceNotFoundException"],
    ]);
    expect(calls[1]!.input).toEqual({ ApplicationName: "ghost" });
    expect(Number.isNaN(Date.parse(calls[0]!.at))).toBe(false);
    // Who called: the key id of the SigV4 credential scope, failed calls included; never the secret.
    expect(calls.map((c) => c.accessKeyId)).toEqual([credentials.accessKeyId, credentials.accessKeyId]);
    expect(JSON.stringify(calls)).not.toContain("Signature");
  });

  it("injects throttling the SDK retries, 500 InternalFailure and 503 ServiceUnavailable", async () => {
    await admin("DELETE", "calls");
    await admin("POST", "faults", { operation: "ListApplications", kind: "throttle", times: 1 });
    await client.send(new ListApplicationsCommand({}));
    const calls = (await admin("GET", "calls")).json as { operation: string; error?: string }[];
    expect(calls.map((c) => c.error)).toEqual(["ThrottlingException", undefined]);

    const once = new KinesisAnalyticsV2Client({
      endpoint: emulator.endpoint,
      region: "us-east-1",
      credentials,
      maxAttempts: 1,
    });
    try {
      await admin("POST", "faults", { kind: "internal", times: 1 });
      const internal = await rejection(once.send(new ListApplicationsCommand({})));
      expect([internal.name, internal.$metadata?.httpStatusCode]).toEqual(["InternalFailure", 500]);
      await admin("POST", "faults", { kind: "unavailable", times: 1 });
      const unavailable = await rejection(once.send(new ListApplicationsCommand({})));
      expect([unavailable.name, unavailable.$metadata?.httpStatusCode]).toEqual(["ServiceUnavailable", 503]);
      await admin("POST", "faults", { kind: "latency", latencyMs: 150, times: 1 });
      const t0 = Date.now();
      await once.send(new ListApplicationsCommand({}));
      expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    } finally {
      once.destroy();
    }
  });

  it("autoscales only AutoScalingEnabled applications, through AUTOSCALING", async () => {
    const { name } = await running();
    expect((await admin("POST", `applications/${name}/autoscale`, { parallelism: 6 })).status).toBe(200);
    await waitForStatus(clock, client, name, "AUTOSCALING");
    await waitForStatus(clock, client, name, "RUNNING");
    expect(
      (await describeApp(name)).ApplicationConfigurationDescription?.FlinkApplicationConfigurationDescription
        ?.ParallelismConfigurationDescription?.CurrentParallelism,
    ).toBe(6);
    const fixed = await running({
      ApplicationConfiguration: {
        ...appInput("x").ApplicationConfiguration,
        FlinkApplicationConfiguration: {
          ParallelismConfiguration: {
            ConfigurationType: "CUSTOM",
            Parallelism: 1,
            AutoScalingEnabled: false,
          },
        },
      },
    });
    expect((await admin("POST", `applications/${fixed.name}/autoscale`, { parallelism: 6 })).status).toBe(
      409,
    );
  });

  it("forces a status behind the operator's back, and reads and writes config", async () => {
    const { name } = await running();
    expect((await admin("POST", `applications/${name}/force-status`, { status: "READY" })).status).toBe(200);
    expect((await describeApp(name)).ApplicationStatus).toBe("READY");
    expect((await admin("POST", `applications/${name}/force-status`, { status: "BROKEN" })).status).toBe(400);
    expect((await admin("POST", "applications/ghost/force-status", { status: "READY" })).status).toBe(404);
    const cfg = (await admin("GET", "config")).json as {
      timings: { startingMs: number };
      snapshotCap: number;
    };
    expect(cfg).toMatchObject({ timings: { startingMs: 80 }, snapshotCap: 1000 });
    expect((await admin("PUT", "config", { timings: { nope: 1 } })).status).toBe(400);
  });

  it("reset clears applications, calls and faults", async () => {
    await create();
    await admin("POST", "faults", { operation: "DescribeApplication", kind: "throttle" });
    expect((await admin("POST", "reset")).status).toBe(200);
    expect((await client.send(new ListApplicationsCommand({}))).ApplicationSummaries).toEqual([]);
    expect((await admin("GET", "faults")).json).toEqual([]);
    expect((await admin("GET", "calls")).json).toHaveLength(1);
  });
});
