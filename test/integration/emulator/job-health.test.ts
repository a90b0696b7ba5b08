import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  GetLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { KinesisAnalyticsV2Client } from "@aws-sdk/client-kinesis-analytics-v2";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { FakeClock } from "../../../src/emulator/fake-clock.js";
import { type RunningEmulator, startEmulator } from "../../../src/emulator/server.js";
import { metricValues } from "../../helpers/cloudwatch.js";
import { adminCall, runningApplication } from "./helpers.js";

// The job health admin API end to end: an in-process emulator on a fake clock publishes to the shared
// stack's moto (CloudWatch and CloudWatch Logs), read back with the unmodified AWS SDK, as the operator
// reads them.
const credentials = { accessKeyId: "test", secretAccessKey: "test" };
const { s3Endpoint, region } = inject("localStack");
const BUCKET = "job-health-test-code";
const run = Date.now();
const APP = `health-${run}`;
const GROUP = `/aws/kinesis-analytics/${APP}`;
const STREAM = "kinesis-analytics-log-stream";
const clock = new FakeClock();

let emulator: RunningEmulator;
let flink: KinesisAnalyticsV2Client;
let cw: CloudWatchClient;
let logs: CloudWatchLogsClient;

const admin = (method: string, path: string, body?: unknown) =>
  adminCall(emulator.endpoint, method, path, body);

/** The newest value CloudWatch holds for the application's metric since `from`. */
async function latest(metric: string, from: Date): Promise<number | undefined> {
  return (await metricValues(cw, APP, metric, { from, periodSeconds: 60 }))[0];
}

beforeAll(async () => {
  logs = new CloudWatchLogsClient({ endpoint: s3Endpoint, region, credentials });
  await logs.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
  await logs.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: STREAM }));
  cw = new CloudWatchClient({ endpoint: s3Endpoint, region, credentials });
  emulator = await startEmulator({
    s3Endpoint,
    region,
    clock,
    timings: { startingMs: 100 },
    cloudWatchEndpoint: s3Endpoint,
    cloudWatchLogsEndpoint: s3Endpoint,
    // Only the test's explicit publishes count: the timer would publish at wall-clock moments.
    metricsIntervalMs: 3_600_000,
  });
  flink = new KinesisAnalyticsV2Client({ endpoint: emulator.endpoint, region, credentials });
  await runningApplication({ clock, flink, s3Endpoint, region }, APP, BUCKET, {
    CloudWatchLoggingOptions: [
      { LogStreamARN: `arn:aws:logs:${region}:123456789012:log-group:${GROUP}:log-stream:${STREAM}` },
    ],
  });
});

afterAll(async () => {
  flink?.destroy();
  cw?.destroy();
  logs?.destroy();
  await emulator?.close();
});

describe("job health through the admin API, CloudWatch and CloudWatch Logs", () => {
  it("refuses a bad body naming the field and its values, and an unknown application with 404", async () => {
    const bad = await admin("PUT", `applications/${APP}/job`, { health: "sick" });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toBe(
      'health must be one of healthy, crashLoop, checkpointsFailing, fallingBehind; got "sick"',
    );
    const version = await admin("PUT", `applications/${APP}/job`, { health: "crashLoop", version: 0 });
    expect(version.status).toBe(400);
    expect(version.json.error).toMatch(/^version must be an ApplicationVersionId/);
    expect((await admin("PUT", "applications/nope/job", { health: "healthy" })).status).toBe(404);
    expect((await admin("GET", "applications/nope/job")).status).toBe(404);
    expect((await admin("PUT", "config", { metricsIntervalMs: 10 })).json.error).toBe(
      "metricsIntervalMs must be an integer >= 1000",
    );
  });

  it("crashLoop: fullRestarts grows and downtime > 0 in CloudWatch, ERROR lines in the log stream; healthy stops it", async () => {
    const t0 = new Date(Date.now() - 1_000);
    expect((await admin("POST", "metrics/publish")).json).toEqual({ published: [APP] });
    expect(await latest("fullRestarts", t0)).toBe(0);

    const set = await admin("PUT", `applications/${APP}/job`, { health: "crashLoop" });
    expect(set.status).toBe(200);
    expect(set.json).toMatchObject({
      application: APP,
      currentVersion: 1,
      status: "RUNNING",
      versions: [{ version: 1, health: "crashLoop" }],
    });
    await clock.advance(2_500);
    await admin("POST", "metrics/publish");
    expect(await latest("fullRestarts", t0)).toBe(3);
    expect(await latest("downtime", t0)).toBe(2_500);

    const events = await logs.send(new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: STREAM }));
    const records = (events.events ?? []).map((e) => JSON.parse(e.message!));
    expect(records).toHaveLength(3);
    expect(records[0]).toMatchObject({ messageType: "ERROR", applicationVersionId: "1" });
    expect(records[0].throwableInformation).toContain(
      `java.lang.RuntimeException: emulator: job crash-looping (injected by PUT /_emulator/applications/${APP}/job)`,
    );

    await admin("PUT", `applications/${APP}/job`, { health: "healthy" });
    await clock.advance(10_000);
    await admin("POST", "metrics/publish");
    // The maximum over everything published is still the crash loop's count: no further restart.
    expect(await latest("fullRestarts", t0)).toBe(3);
    const after = await logs.send(new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: STREAM }));
    expect(after.events).toHaveLength(3);
    expect((await admin("GET", `applications/${APP}/job`)).json.versions).toEqual([
      { version: 1, health: "healthy", since: new Date(clock.now() - 10_000).toISOString() },
    ]);
  });

  it("changes the publish interval at run time", async () => {
    const put = await admin("PUT", "config", { metricsIntervalMs: 5_000 });
    expect(put.json.metricsIntervalMs).toBe(5_000);
    expect((await admin("GET", "config")).json.metricsIntervalMs).toBe(5_000);
    await admin("PUT", "config", { metricsIntervalMs: 3_600_000 });
  });
});
