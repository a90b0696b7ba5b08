import { mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  GetLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import {
  CreateApplicationCommand,
  DescribeApplicationCommand,
  KinesisAnalyticsV2Client,
  StartApplicationCommand,
} from "@aws-sdk/client-kinesis-analytics-v2";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { FlinkRuntime } from "../../../src/emulator/flink/runtime.js";
import { type RunningEmulator, startEmulator } from "../../../src/emulator/server.js";
import { waitFor } from "../../../src/localstack/processes.js";
import { metricValues } from "../../helpers/cloudwatch.js";
import { requireRealFlink, since, TEST_JOBS, testJobsJar } from "../flink/fixtures.js";
import { adminCall } from "./helpers.js";

// crashLoop on real Flink: the emulator takes the job's TaskManager away every few seconds, Flink's
// restart strategy restarts the job, and Flink's own fullRestarts reaches moto's CloudWatch; healthy
// again, the restarts stop. One cluster, the small CountingJob.
const credentials = { accessKeyId: "test", secretAccessKey: "test" };
const { s3Endpoint, region, workDir } = inject("localStack");
const BUCKET = "job-health-real-code";
const APP = `crash-${Date.now()}`;
const PERIOD_MS = 3_000;
const GROUP = `/aws/kinesis-analytics/${APP}`;
const STREAM = "kinesis-analytics-log-stream";

let emulator: RunningEmulator;
let runtime: FlinkRuntime;
let flink: KinesisAnalyticsV2Client;
let cw: CloudWatchClient;
let logs: CloudWatchLogsClient;

async function admin(method: string, path: string, body?: unknown) {
  const { status, json } = await adminCall(emulator.endpoint, method, path, body);
  expect(status).toBe(200);
  return json;
}

/** The highest fullRestarts CloudWatch holds for the application, after publishing now. */
async function publishedRestarts(): Promise<number | undefined> {
  await admin("POST", "metrics/publish");
  const from = new Date(Date.now() - 3_600_000);
  return (await metricValues(cw, APP, "fullRestarts", { from, periodSeconds: 3_600 }))[0];
}

/** Until the job has run `ms` without a restart (Flink's uptime resets when the job restarts). */
async function upFor(ms: number): Promise<void> {
  await waitFor(async () => ((await runtime.metrics(APP))?.uptime ?? 0) >= ms, {
    timeoutMs: 30_000,
    intervalMs: 250,
    description: `${APP}'s job up for ${ms} ms`,
  });
}

beforeAll(async () => {
  requireRealFlink([TEST_JOBS]);
  const s3 = new S3Client({ endpoint: s3Endpoint, region, forcePathStyle: true, credentials });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "jobs.jar", Body: readFileSync(testJobsJar) }));
  s3.destroy();
  logs = new CloudWatchLogsClient({ endpoint: s3Endpoint, region, credentials });
  await logs.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
  await logs.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: STREAM }));
  runtime = new FlinkRuntime({
    s3Endpoint,
    region,
    workRoot: mkdtempSync(join(workDir, "job-health-real-")),
    crashLoopPeriodMs: PERIOD_MS,
    cloudWatchLogsEndpoint: s3Endpoint,
  });
  emulator = await startEmulator({
    s3Endpoint,
    region,
    runtime,
    cloudWatchEndpoint: s3Endpoint,
    // Only the test's explicit publishes.
    metricsIntervalMs: 3_600_000,
  });
  flink = new KinesisAnalyticsV2Client({ endpoint: emulator.endpoint, region, credentials });
  cw = new CloudWatchClient({ endpoint: s3Endpoint, region, credentials });
}, 60_000);

afterAll(async () => {
  flink?.destroy();
  cw?.destroy();
  logs?.destroy();
  await emulator?.close();
});

describe("crashLoop on real Flink", () => {
  it("fails and restarts the real job until healthy again; fullRestarts in CloudWatch says so", async () => {
    const t0 = performance.now();
    await flink.send(
      new CreateApplicationCommand({
        ApplicationName: APP,
        RuntimeEnvironment: "FLINK-1_20",
        ServiceExecutionRole: "arn:aws:iam::123456789012:role/flink",
        ApplicationConfiguration: {
          ApplicationCodeConfiguration: {
            CodeContentType: "ZIPFILE",
            CodeContent: { S3ContentLocation: { BucketARN: `arn:aws:s3:::${BUCKET}`, FileKey: "jobs.jar" } },
          },
          EnvironmentProperties: {
            PropertyGroups: [{ PropertyGroupId: "CountingJob", PropertyMap: { "records-per-second": "5" } }],
          },
        },
        CloudWatchLoggingOptions: [
          { LogStreamARN: `arn:aws:logs:${region}:123456789012:log-group:${GROUP}:log-stream:${STREAM}` },
        ],
      }),
    );
    await flink.send(new StartApplicationCommand({ ApplicationName: APP }));
    await waitFor(
      async () =>
        (await flink.send(new DescribeApplicationCommand({ ApplicationName: APP }))).ApplicationDetail
          ?.ApplicationStatus === "RUNNING",
      { timeoutMs: 60_000, intervalMs: 250, description: `${APP} RUNNING` },
    );
    const started = since(t0);
    expect(await publishedRestarts()).toBe(0);

    await admin("PUT", `applications/${APP}/job`, { health: "crashLoop" });
    const restarts = await waitFor(
      async () => {
        const n = await publishedRestarts();
        return n !== undefined && n > 0 ? n : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, description: "fullRestarts > 0 in CloudWatch" },
    );
    expect(restarts).toBeGreaterThan(0);
    const looped = since(t0);
    // Still RUNNING: Managed Flink reports the application, not its job.
    const detail = await flink.send(new DescribeApplicationCommand({ ApplicationName: APP }));
    expect(detail.ApplicationDetail?.ApplicationStatus).toBe("RUNNING");

    // Flink's own account of the failure reaches the log stream as Managed Flink's JSON records: the
    // task failure with its exception (Flink logs it at WARN), then the job restarting.
    const records = await waitFor(
      async () => {
        const out = await logs.send(new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: STREAM }));
        const all = (out.events ?? []).map((e) => JSON.parse(e.message!) as Record<string, string>);
        return all.some((r) => / switched from state RUNNING to RESTARTING/.test(r.message ?? ""))
          ? all
          : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 500, description: "the job's restart in CloudWatch Logs" },
    );
    const failed = records.find(
      (r) => r.messageType === "WARN" && / switched from RUNNING to FAILED/.test(r.message ?? ""),
    );
    expect(failed).toMatchObject({ applicationVersionId: "1", messageSchemaVersion: "1" });
    expect(failed?.throwableInformation).toMatch(/^org\.apache\.flink\.\S+Exception: /);

    await admin("PUT", `applications/${APP}/job`, { health: "healthy" });
    // Up for two failure periods without a restart, then for two more: the count has not moved.
    await upFor(2 * PERIOD_MS);
    const settled = await publishedRestarts();
    await upFor(4 * PERIOD_MS);
    expect(await publishedRestarts()).toBe(settled);
    expect(settled).toBeGreaterThanOrEqual(restarts);
    console.log(
      `job-health-real: RUNNING after ${started} ms, first restart published after ${looped} ms, done after ${since(t0)} ms`,
    );
  }, 120_000);
});
