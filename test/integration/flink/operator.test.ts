import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlinkRuntime } from "../../../src/emulator/flink/runtime.js";
import { type RunningEmulator, startEmulator } from "../../../src/emulator/server.js";
import { builtInThresholds } from "../../../src/health/judge.js";
import { waitFor } from "../../../src/localstack/processes.js";
import { metricValues } from "../../helpers/cloudwatch.js";
import { argoHealth } from "../../unit/install/tools.js";
import { condition, Harness, isReady, restartingWithinTwoReads } from "../operator/harness.js";
import {
  ENGAGEMENT_JOB,
  engagementJar,
  requireRealFlink,
  since,
  TEST_JOBS,
  testJobsJar,
} from "./fixtures.js";
import { KinesisTestClient } from "./kinesis.js";

// The operator against the emulator in real mode: the unmodified reference job on real Flink, reading
// and writing moto's Kinesis, with its runtime properties delivered the Managed Flink way. (This file
// also covers what engagement.test.ts did on a bare cluster — a window across stop-with-savepoint and a
// restore at parallelism 2, job metrics — folded in to keep real mode's CI time under five minutes.) Each scenario counts one user's events in one event-time window that
// spans an operator-driven change; the window's result must count every event exactly once.

interface Result {
  userId: string;
  windowStart: number;
  eventCount: number;
}

const h = new Harness();
const timings: Record<string, number> = {};
let emulator: RunningEmulator;
let runtime: FlinkRuntime;
let kinesis: KinesisTestClient;
const BUCKET = "real-flink-apps";
const SHARD_0 = "0";
const SHARD_1 = (2n ** 127n + 1n).toString();
// Event time far from the wall clock: windows close only on the events we send. Each scenario has its
// own window, later than the previous scenario's.
const T0 = 1_700_000_000_000;

function properties(input: string, output: string, initpos: "TRIM_HORIZON" | "LATEST") {
  // What a local run adds beside a production manifest (shared notes, "Kinesis locally").
  const local = {
    "aws.region": h.stack.region,
    "aws.endpoint": h.stack.s3Endpoint,
    "aws.credentials.provider": "BASIC",
    "aws.credentials.provider.basic.accesskeyid": "test",
    "aws.credentials.provider.basic.secretkey": "test",
  };
  return {
    InputStream0: { ...local, "stream.name": input, "flink.stream.initpos": initpos },
    OutputStream0: { ...local, "stream.name": output, "aws.http.protocol.version": "HTTP1_1" },
    EngagementMetrics: {
      "window.size": "PT2S",
      "watermark.max-out-of-orderness": "PT0S",
      "watermark.emit-per-event": "true",
      "watermark.idleness": "PT0S",
    },
  };
}

function spec(streams: { input: string; output: string }, extra: Record<string, unknown> = {}) {
  return {
    runtimeEnvironment: "FLINK-1_20",
    serviceExecutionRole: "arn:aws:iam::123456789012:role/flink",
    code: { s3: { bucket: BUCKET, key: "engagement-metrics.jar" } },
    checkpointing: { enabled: true, intervalMillis: 10_000, minPauseBetweenCheckpointsMillis: 1_000 },
    parallelism: { parallelism: 1, parallelismPerKPU: 1, autoScaling: false },
    snapshots: { enabled: true },
    environmentProperties: properties(streams.input, streams.output, "TRIM_HORIZON"),
    restore: { type: "LatestSnapshot" },
    deletionPolicy: "Delete",
    ...extra,
  };
}

const running = (o: Parameters<typeof isReady>[0]) => isReady(o) && o.status?.applicationStatus === "RUNNING";

function event(userId: string, at: number) {
  return { userId, eventType: "page_view", timestamp: at };
}

/** Records the running job's sources have read (the source chain's write-records, all subtasks). */
async function sourceRead(app: string): Promise<number> {
  const job = runtime.job(app);
  if (!job) return -1;
  const details = await job.cluster.rest.job(job.jobId).catch(() => undefined);
  if (details?.state !== "RUNNING") return -1;
  return Number(details.vertices[0]?.metrics?.["write-records"] ?? 0);
}

/**
 * Puts `userId`'s event at `at` on shard 0 and waits until the running job has read it: a job that
 * started at LATEST may not hold its shard iterator yet, so the put is repeated until one is read
 * (only for `retry` events, which count for nobody's checked window).
 */
async function putAndWaitRead(app: string, input: string, userId: string, at: number, shard = SHARD_0) {
  const before = await waitFor(
    async () => {
      const n = await sourceRead(app);
      return n >= 0 ? n : undefined;
    },
    {
      timeoutMs: 90_000,
      intervalMs: 250,
      description: `${app}'s job to run`,
    },
  );
  await kinesis.put(input, event(userId, at), userId, shard);
  await waitFor(async () => (await sourceRead(app)) > before, {
    timeoutMs: 60_000,
    intervalMs: 250,
    description: `${app} to read ${userId}@${at}`,
  });
}

/** Warms a fresh LATEST consumer on both shards with events of a user no check looks at. */
async function warmUp(app: string, input: string, at: number) {
  for (const shard of [SHARD_0, SHARD_1]) {
    await waitFor(
      async () => {
        const before = await sourceRead(app);
        if (before < 0) return false;
        await kinesis.put(input, event("warm-up", at), "warm-up", shard);
        return waitFor(async () => (await sourceRead(app)) > before, {
          timeoutMs: 3_000,
          intervalMs: 200,
          description: "a warm-up event read",
        }).then(
          () => true,
          () => false,
        );
      },
      { timeoutMs: 90_000, intervalMs: 0, description: `${app} to read shard ${shard}` },
    );
  }
}

/** Moves event time past the window on both shards and returns the window's result. */
async function windowResult(
  input: string,
  output: string,
  userId: string,
  windowStart: number,
): Promise<Result> {
  await kinesis.put(input, event("tick", windowStart + 10_000), "tick", SHARD_0);
  await kinesis.put(input, event("tick", windowStart + 10_000), "tick", SHARD_1);
  return waitFor(
    async () =>
      (await kinesis.readAll<Result>(output)).find(
        (r) => r.userId === userId && r.windowStart === windowStart,
      ),
    { timeoutMs: 90_000, intervalMs: 500, description: `${userId}'s window ${windowStart} on ${output}` },
  );
}

async function streams(tag: string) {
  const s = { input: `in-${h.namespace}-${tag}`, output: `out-${h.namespace}-${tag}` };
  await kinesis.createStream(s.input, 2);
  await kinesis.createStream(s.output, 1);
  return s;
}

beforeAll(async () => {
  requireRealFlink([ENGAGEMENT_JOB, TEST_JOBS]);
  await h.setUp();
  kinesis = new KinesisTestClient(h.stack.s3Endpoint);
  emulator = await startEmulator({
    s3Endpoint: h.stack.s3Endpoint,
    region: h.stack.region,
    flink: "real",
    flinkWorkDir: mkdtempSync(join(h.stack.workDir, "real-flink-")),
    metricsIntervalMs: 60_000,
  });
  runtime = emulator.runtime as FlinkRuntime;
  expect(runtime).toBeInstanceOf(FlinkRuntime);
  // The operator (started in this process) talks to this emulator, not the stack's simulated one.
  process.env.AWS_ENDPOINT_URL_KINESIS_ANALYTICS_V2 = emulator.endpoint;
  // …and reads job metrics from this emulator's CloudWatch, where its real jobs' metrics are published.
  process.env.AWS_ENDPOINT_URL_CLOUDWATCH = emulator.endpoint;
  await h.putCode(BUCKET, "engagement-metrics.jar", readFileSync(engagementJar) as unknown as string);
  // A jar whose main() throws: the test jobs jar with FailingJob as its Main-Class.
  const failing = join(mkdtempSync(join(h.stack.workDir, "failing-jar-")), "failing.jar");
  copyFileSync(testJobsJar, failing);
  execFileSync("jar", [
    "--update",
    "--file",
    failing,
    "--main-class",
    "dev.managedflink.fixtures.FailingJob",
  ]);
  await h.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "failing.jar", Body: readFileSync(failing) }));
  await h.s3.send(
    new PutObjectCommand({ Bucket: BUCKET, Key: "counting.jar", Body: readFileSync(testJobsJar) }),
  );
  await h.startOperator();
}, 300_000);

afterAll(async () => {
  await h.tearDown();
  await emulator?.close();
  process.env.AWS_ENDPOINT_URL_KINESIS_ANALYTICS_V2 = h.stack.emulatorEndpoint;
  process.env.AWS_ENDPOINT_URL_CLOUDWATCH = h.stack.emulatorEndpoint;
  console.log(`real Flink through the operator, timings (ms): ${JSON.stringify(timings)}`);
});

describe("the operator on real Flink: state survives every change", { timeout: 240_000 }, () => {
  const name = `${h.namespace}-engagement`;
  let s: { input: string; output: string };

  it("kubectl scale mid-window: the window counts all its events once; metrics reach CloudWatch", async () => {
    s = await streams("a");
    let t = performance.now();
    await h.apply(h.app(name, spec(s)));
    await h.waitForApp(name, running, "running", 120_000);
    timings["apply to RUNNING"] = since(t);

    const T = T0;
    await putAndWaitRead(name, s.input, "u1", T);
    await putAndWaitRead(name, s.input, "u1", T + 500);
    t = performance.now();
    await h.kubectlOk(["scale", "flinkapp", name, "-n", h.namespace, "--replicas=2"]);
    const scaled = await h.waitForApp(
      name,
      (o) => running(o) && o.status?.configuredParallelism === 2 && !o.status?.operation,
      "running at parallelism 2",
      120_000,
    );
    timings["kubectl scale to RUNNING at 2"] = since(t);
    expect(scaled.status?.applicationStatus).toBe("RUNNING");
    const job = runtime.job(name)!;
    expect((await job.cluster.rest.job(job.jobId)).vertices.every((v) => v.parallelism === 2)).toBe(true);
    timings["cluster RSS at parallelism 2 (MiB)"] = Math.round(job.cluster.residentBytes() / 2 ** 20);

    await putAndWaitRead(name, s.input, "u1", T + 1_000);
    const result = await windowResult(s.input, s.output, "u1", T);
    expect(result.eventCount).toBe(3);

    // The emulator publishes the job's metrics the Managed Flink way; the writer's rate is a one-minute
    // average, so it is above 0 right after the window was written.
    const cw = new CloudWatchClient({
      endpoint: emulator.endpoint,
      region: h.stack.region,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    const names = ["numRecordsOutPerSecond", "numRecordsInPerSecond", "uptime", "KPUs"];
    const values = await waitFor(
      async () => {
        await emulator.publishMetrics();
        const out = await cw.send(
          new GetMetricDataCommand({
            StartTime: new Date(Date.now() - 10 * 60_000),
            EndTime: new Date(Date.now() + 60_000),
            MetricDataQueries: names.map((n, i) => ({
              Id: `m${i}`,
              MetricStat: {
                Metric: {
                  Namespace: "AWS/KinesisAnalytics",
                  MetricName: n,
                  Dimensions: [{ Name: "Application", Value: name }],
                },
                Period: 60,
                Stat: "Maximum",
              },
            })),
          }),
        );
        const v = Object.fromEntries(
          names.map((n, i) => [
            n,
            Math.max(0, ...(out.MetricDataResults?.find((r) => r.Id === `m${i}`)?.Values ?? [])),
          ]),
        );
        return v.numRecordsOutPerSecond! > 0 ? v : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 2_000, description: "numRecordsOutPerSecond > 0 in CloudWatch" },
    );
    expect(values.numRecordsInPerSecond).toBeGreaterThan(0);
    expect(values.uptime).toBeGreaterThan(0);
    expect(values.KPUs).toBe(2);
    cw.destroy();
  });

  it("desiredState Stopped, then Running, resumes from the snapshot taken at stop", async () => {
    const T = T0 + 100_000;
    await putAndWaitRead(name, s.input, "u2", T);
    let t = performance.now();
    await h.mergePatch(name, { spec: { desiredState: "Stopped" } });
    await h.waitForApp(
      name,
      (o) => isReady(o) && o.status?.applicationStatus === "READY",
      "stopped",
      120_000,
    );
    timings["stop with snapshot"] = since(t);
    expect(runtime.job(name)).toBeUndefined();
    t = performance.now();
    await h.mergePatch(name, { spec: { desiredState: "Running" } });
    await h.waitForApp(name, running, "running again", 120_000);
    timings["start from the stop snapshot"] = since(t);
    await putAndWaitRead(name, s.input, "u2", T + 1_000);
    expect((await windowResult(s.input, s.output, "u2", T)).eventCount).toBe(2);
  });

  it("a jar that throws at start: Stalled UpdateFailed with Flink's text; the previous jar runs again from the pre-update snapshot", async () => {
    const T = T0 + 200_000;
    await putAndWaitRead(name, s.input, "u3", T);
    const t = performance.now();
    await h.mergePatch(name, {
      spec: {
        code: { s3: { bucket: BUCKET, key: "failing.jar" } },
        rollback: { onFailure: "RestorePreviousVersion" },
      },
    });
    const failed = await h.waitForApp(
      name,
      (o) => condition(o, "Stalled")?.reason === "UpdateFailed" && o.status?.applicationStatus === "RUNNING",
      "Stalled UpdateFailed, running the previous version",
      180_000,
    );
    timings["failed update + rollback to RUNNING"] = since(t);
    expect(condition(failed, "Stalled")?.message).toContain(
      "java.lang.IllegalStateException: FailingJob refuses to start: missing property group Input0",
    );
    await putAndWaitRead(name, s.input, "u3", T + 1_000);
    expect((await windowResult(s.input, s.output, "u3", T)).eventCount).toBe(2);
    await h.kubectlOk(["delete", "flinkapp", name, "-n", h.namespace, "--wait=true", "--timeout=120s"]);
    expect(runtime.job(name)).toBeUndefined();
  });

  it("the same scale with restore.type SkipRestore starts the count again", async () => {
    const skip = `${h.namespace}-skip`;
    const st = await streams("b");
    const props = properties(st.input, st.output, "LATEST");
    await h.apply(
      h.app(
        skip,
        spec(st, {
          environmentProperties: props,
          restore: { type: "SkipRestore" },
          snapshots: { enabled: true, beforeUpdate: false },
        }),
      ),
    );
    await h.waitForApp(skip, running, "running", 120_000);
    const T = T0;
    await warmUp(skip, st.input, T - 1);
    await putAndWaitRead(skip, st.input, "u1", T);
    await putAndWaitRead(skip, st.input, "u1", T + 500);
    await h.kubectlOk(["scale", "flinkapp", skip, "-n", h.namespace, "--replicas=2"]);
    await h.waitForApp(
      skip,
      (o) => running(o) && o.status?.configuredParallelism === 2 && !o.status?.operation,
      "running at parallelism 2",
      120_000,
    );
    await warmUp(skip, st.input, T - 1);
    await putAndWaitRead(skip, st.input, "u1", T + 1_000);
    // Without the window's state the restarted job counts only what it read itself.
    expect((await windowResult(st.input, st.output, "u1", T)).eventCount).toBe(1);
    await h.kubectlOk(["delete", "flinkapp", skip, "-n", h.namespace, "--wait=true", "--timeout=120s"]);
  });
});

describe("job health on real Flink (issue 11)", { timeout: 240_000 }, () => {
  it("a job that starts crash-looping turns Ready=False reason Restarting within two health intervals, and back", async () => {
    // The same stack, now with job health read every 2 s and metrics published every second.
    for (const o of h.operators) await o.stop();
    h.operators = [];
    await fetch(`${emulator.endpoint}/_emulator/config`, {
      method: "PUT",
      body: JSON.stringify({ metricsIntervalMs: 1000 }),
    });
    const op = await h.startOperator({
      health: { intervalSeconds: 2, periodSeconds: 1, defaults: { ...builtInThresholds, windowSeconds: 10 } },
    });
    const name = `${h.namespace}-crash`;
    const healthy = (o: Parameters<typeof isReady>[0]) => running(o) && o.status?.job?.verdict === "Healthy";
    const t = performance.now();
    await h.apply(
      h.app(name, {
        runtimeEnvironment: "FLINK-1_20",
        serviceExecutionRole: "arn:aws:iam::123456789012:role/flink",
        code: { s3: { bucket: BUCKET, key: "counting.jar" } },
        parallelism: { parallelism: 1, autoScaling: false },
        deletionPolicy: "Delete",
      }),
    );
    await h.waitForApp(name, healthy, "RUNNING with a Healthy job", 120_000);
    timings["job health: apply → Healthy"] = since(t);

    // crashLoop terminates the cluster's TaskManager every few seconds: Flink fails and restarts the job.
    await fetch(`${emulator.endpoint}/_emulator/applications/${name}/job`, {
      method: "PUT",
      body: JSON.stringify({ health: "crashLoop" }),
    });
    const cw = new CloudWatchClient({ endpoint: emulator.endpoint, region: h.stack.region });
    await waitFor(
      async () => {
        const from = new Date(Date.now() - 60_000);
        return (await metricValues(cw, name, "fullRestarts", { from, periodSeconds: 1 })).some((v) => v > 0);
      },
      { timeoutMs: 60_000, intervalMs: 250, description: "a real restart in CloudWatch" },
    );
    cw.destroy();
    const loop = await restartingWithinTwoReads(h, name, op.port);
    timings["job health: crash loop → Restarting"] = since(t);
    expect(condition(loop, "Stalled")).toMatchObject({ status: "True", reason: "Restarting" });
    expect(argoHealth(loop).status).toBe("Degraded");
    await expect.poll(async () => (await h.events(name)).map((e) => e.reason)).toContain("JobRestarting");

    await fetch(`${emulator.endpoint}/_emulator/applications/${name}/job`, {
      method: "PUT",
      body: JSON.stringify({ health: "healthy" }),
    });
    const back = await h.waitForApp(name, healthy, "Ready again with a Healthy job", 90_000);
    expect(back.metadata.generation).toBe(loop.metadata.generation);
    timings["job health: healthy again"] = since(t);
    await h.kubectlOk(["delete", "flinkapp", name, "-n", h.namespace, "--wait=true", "--timeout=120s"]);
  });
});
