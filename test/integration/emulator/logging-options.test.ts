// AddApplicationCloudWatchLoggingOption / DeleteApplicationCloudWatchLoggingOption over HTTP with the
// unmodified AWS SDK, against an emulator of this file's own on a fake clock: the model's validation, the
// version/token check, one option per application, a new version each, and a RUNNING application
// redeployed on it (UPDATING, then RUNNING) with the service's own snapshot first.
import {
  AddApplicationCloudWatchLoggingOptionCommand,
  CreateApplicationCommand,
  DeleteApplicationCloudWatchLoggingOptionCommand,
  DescribeApplicationCommand,
  DescribeApplicationOperationCommand,
  KinesisAnalyticsV2Client,
  ListApplicationSnapshotsCommand,
  StartApplicationCommand,
} from "@aws-sdk/client-kinesis-analytics-v2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeClock } from "../../../src/emulator/fake-clock.js";
import { type RunningEmulator, startEmulator } from "../../../src/emulator/server.js";
import { errorName, eventually, rejection, waitForStatus } from "./helpers.js";

const credentials = { accessKeyId: "test", secretAccessKey: "test" };
const ROLE = "arn:aws:iam::123456789012:role/flink";
const STREAM = "arn:aws:logs:us-east-1:123456789012:log-group:flink:log-stream:orders";
/** Inline code: a ZIP signature is all the emulator checks, so no S3 object is needed. */
const ZIP = Buffer.from("PK\u0003\u0004not-really-a-jar");
const clock = new FakeClock();

let emulator: RunningEmulator;
let client: KinesisAnalyticsV2Client;
let seq = 0;

beforeAll(async () => {
  // No code lives in S3 here, so the code checker is never asked; the endpoint is only required.
  emulator = await startEmulator({
    s3Endpoint: "http://127.0.0.1:9",
    clock,
    timings: { startingMs: 80, updatingMs: 80, snapshotMs: 50 },
  });
  client = new KinesisAnalyticsV2Client({ endpoint: emulator.endpoint, region: "us-east-1", credentials });
});

afterAll(async () => {
  client?.destroy();
  await emulator?.close();
});

async function create(): Promise<string> {
  const name = `logging-${++seq}`;
  await client.send(
    new CreateApplicationCommand({
      ApplicationName: name,
      RuntimeEnvironment: "FLINK-1_20",
      ServiceExecutionRole: ROLE,
      ApplicationConfiguration: {
        ApplicationCodeConfiguration: { CodeContentType: "ZIPFILE", CodeContent: { ZipFileContent: ZIP } },
        ApplicationSnapshotConfiguration: { SnapshotsEnabled: true },
      },
    }),
  );
  return name;
}

const describeApp = async (name: string) =>
  (await client.send(new DescribeApplicationCommand({ ApplicationName: name }))).ApplicationDetail!;

const add = (name: string, version: { CurrentApplicationVersionId?: number; ConditionalToken?: string }) =>
  client.send(
    new AddApplicationCloudWatchLoggingOptionCommand({
      ApplicationName: name,
      CloudWatchLoggingOption: { LogStreamARN: STREAM },
      ...version,
    }),
  );

describe("CloudWatch logging options", () => {
  it("adds and deletes at rest: a new version each, stored at once", async () => {
    const name = await create();
    const added = await add(name, { CurrentApplicationVersionId: 1 });
    expect(added).toMatchObject({
      ApplicationARN: `arn:aws:kinesisanalytics:us-east-1:123456789012:application/${name}`,
      ApplicationVersionId: 2,
      CloudWatchLoggingOptionDescriptions: [{ LogStreamARN: STREAM }],
    });
    const id = added.CloudWatchLoggingOptionDescriptions![0]!.CloudWatchLoggingOptionId!;
    const op = await client.send(
      new DescribeApplicationOperationCommand({ ApplicationName: name, OperationId: added.OperationId }),
    );
    expect(op.ApplicationOperationInfoDetails).toMatchObject({
      Operation: "AddApplicationCloudWatchLoggingOption",
      OperationStatus: "SUCCESSFUL",
      ApplicationVersionChangeDetails: { ApplicationVersionUpdatedFrom: 1, ApplicationVersionUpdatedTo: 2 },
    });
    const detail = await describeApp(name);
    expect(detail).toMatchObject({ ApplicationStatus: "READY", ApplicationVersionId: 2 });
    expect(detail.CloudWatchLoggingOptionDescriptions).toEqual([
      { CloudWatchLoggingOptionId: id, LogStreamARN: STREAM },
    ]);

    const deleted = await client.send(
      new DeleteApplicationCloudWatchLoggingOptionCommand({
        ApplicationName: name,
        CloudWatchLoggingOptionId: id,
        ConditionalToken: detail.ConditionalToken,
      }),
    );
    expect(deleted).toMatchObject({ ApplicationVersionId: 3, CloudWatchLoggingOptionDescriptions: [] });
    expect(deleted.OperationId).toBeTruthy();
    expect((await describeApp(name)).CloudWatchLoggingOptionDescriptions).toBeUndefined();
  });

  it("refuses a second option, a stale version or token, no version at all, an unknown id, a bad ARN", async () => {
    const name = await create();
    const { ConditionalToken } = await describeApp(name);
    await add(name, { ConditionalToken });
    expect(await errorName(add(name, { CurrentApplicationVersionId: 2 }))).toBe("InvalidArgumentException");
    expect(await errorName(add(name, { CurrentApplicationVersionId: 1 }))).toBe(
      "ConcurrentModificationException",
    );
    expect(await errorName(add(name, { ConditionalToken }))).toBe("ConcurrentModificationException");
    expect(await rejection(add(name, {}))).toMatchObject({
      name: "InvalidArgumentException",
      message: expect.stringContaining("CurrentApplicationVersionId or ConditionalToken"),
    });
    const unknown = client.send(
      new DeleteApplicationCloudWatchLoggingOptionCommand({
        ApplicationName: name,
        CloudWatchLoggingOptionId: "log-unknown",
        CurrentApplicationVersionId: 2,
      }),
    );
    expect(await rejection(unknown)).toMatchObject({
      name: "InvalidArgumentException",
      message: expect.stringContaining("log-unknown"),
    });
    // The model's constraints apply as to every operation: LogStreamARN must match `arn:.*`.
    const other = await create();
    const bad = client.send(
      new AddApplicationCloudWatchLoggingOptionCommand({
        ApplicationName: other,
        CurrentApplicationVersionId: 1,
        CloudWatchLoggingOption: { LogStreamARN: "not-an-arn" },
      }),
    );
    expect(await rejection(bad)).toMatchObject({
      name: "InvalidArgumentException",
      message: expect.stringContaining("cloudWatchLoggingOption.logStreamARN"),
    });
    expect(await errorName(add("no-such-app", { CurrentApplicationVersionId: 1 }))).toBe(
      "ResourceNotFoundException",
    );
  });

  it("redeploys a RUNNING application on the new version: snapshot, UPDATING, then RUNNING", async () => {
    const name = await create();
    await client.send(new StartApplicationCommand({ ApplicationName: name }));
    await waitForStatus(clock, client, name, "RUNNING");
    const added = await add(name, { CurrentApplicationVersionId: 1 });
    expect((await describeApp(name)).ApplicationStatus).toBe("UPDATING");
    // Not again while UPDATING: the status forbids it as it forbids UpdateApplication.
    const meanwhile = client.send(
      new DeleteApplicationCloudWatchLoggingOptionCommand({
        ApplicationName: name,
        CloudWatchLoggingOptionId: added.CloudWatchLoggingOptionDescriptions![0]!.CloudWatchLoggingOptionId!,
        CurrentApplicationVersionId: 2,
      }),
    );
    expect(await errorName(meanwhile)).toBe("ResourceInUseException");
    await waitForStatus(clock, client, name, "RUNNING");
    const detail = await describeApp(name);
    expect(detail.ApplicationVersionId).toBe(2);
    expect(detail.CloudWatchLoggingOptionDescriptions?.[0]?.LogStreamARN).toBe(STREAM);
    const op = await eventually(
      clock,
      async () => {
        const r = await client.send(
          new DescribeApplicationOperationCommand({ ApplicationName: name, OperationId: added.OperationId }),
        );
        const status = r.ApplicationOperationInfoDetails?.OperationStatus;
        return status === "IN_PROGRESS" ? undefined : status;
      },
      "the operation to finish",
    );
    expect(op).toBe("SUCCESSFUL");
    // The service snapshots a running application before redeploying it, as on UpdateApplication.
    const snapshots = await client.send(new ListApplicationSnapshotsCommand({ ApplicationName: name }));
    expect(snapshots.SnapshotSummaries?.map((s) => s.SnapshotName)).toEqual([
      expect.stringMatching(/^update-/),
    ]);
  });
});
