import { mkdtempSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requirePython } from "../../../src/emulator/flink/install.js";
import { FlinkRuntime } from "../../../src/emulator/flink/runtime.js";
import { type RunningEmulator, startEmulator } from "../../../src/emulator/server.js";
import { waitFor } from "../../../src/localstack/processes.js";
import { Harness, isReady } from "../operator/harness.js";
import { PYFLINK_JOB, pyflinkZip, requireRealFlink, since } from "./fixtures.js";
import { KinesisTestClient } from "./kinesis.js";

// The PyFlink twin of the reference job (flink-app/pyflink), deployed by the operator as Managed Flink
// runs it: the ZIP from S3, the run options naming the program and the connector jar, PythonDriver on
// real Flink. A window that spans `kubectl scale` must count each of its events exactly once.

interface Result {
  event_type: string;
  window_start: string;
  event_count: number;
}

const h = new Harness();
const timings: Record<string, number> = {};
let emulator: RunningEmulator;
let runtime: FlinkRuntime;
let kinesis: KinesisTestClient;
let workRoot: string;
const BUCKET = "real-pyflink-apps";
const SHARD_0 = "0";
const SHARD_1 = (2n ** 127n + 1n).toString();
// Event time far from the wall clock, on a minute boundary: the job's windows are whole minutes (UTC).
const W = 1_700_000_040_000;

function properties(input: string, output: string) {
  // What a local run adds beside a production manifest (shared notes, "Kinesis locally": the SQL
  // connector's own credential keys, and HTTP/1.1 for the sink).
  const local = {
    "aws.region": h.stack.region,
    "aws.endpoint": h.stack.s3Endpoint,
    "aws.credentials.provider": "BASIC",
    "aws.credentials.basic.accesskeyid": "test",
    "aws.credentials.basic.secretkey": "test",
  };
  return {
    "kinesis.analytics.flink.run.options": {
      python: "engagement_metrics.py",
      jarfile: "lib/pyflink-kinesis-connector.jar",
    },
    // LATEST, so that a restart without the snapshot's shard positions would not read the window's
    // earlier events again: only restored state can make the count whole.
    SourceTable: { ...local, stream: input, "scan.stream.initpos": "LATEST" },
    SinkTable: { ...local, stream: output, "sink.http-client.protocol.version": "HTTP1_1" },
    // Windows close on the events we send: no watermark delay; every shard gets a closing event.
    EngagementMetrics: {
      "window.minutes": "1",
      "watermark.delay.seconds": "0",
      "source.idle-timeout": "0 ms",
    },
  };
}

const running = (o: Parameters<typeof isReady>[0]) => isReady(o) && o.status?.applicationStatus === "RUNNING";

/** Records the running job's source operators have emitted (all subtasks), or -1 while it does not run. */
async function sourceRead(app: string): Promise<number> {
  const job = runtime.job(app);
  if (!job) return -1;
  const details = await job.cluster.rest.job(job.jobId).catch(() => undefined);
  const vertex = details?.vertices[0];
  if (details?.state !== "RUNNING" || !vertex) return -1;
  const names = await job.cluster.rest.subtaskMetricNames(job.jobId, vertex.id);
  const out = names.filter((n) => /^Source__.+\.numRecordsOut$/.test(n));
  if (out.length === 0) return -1;
  const metrics = await job.cluster.rest.subtaskMetrics(job.jobId, vertex.id, out);
  return metrics.reduce((sum, m) => sum + (m.sum ?? 0), 0);
}

/**
 * Puts one event of `type` at `at` on `shard` and waits until the running job has read it; with
 * `retry`, puts again until one is read (a job that started at LATEST may not hold its shard iterator
 * yet), for events no check counts.
 */
async function putAndWaitRead(
  app: string,
  input: string,
  type: string,
  at: number,
  shard = SHARD_0,
  retry = false,
) {
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (Date.now() > deadline)
      throw new Error(`${app} read none of the ${type} events put on shard ${shard}`);
    const before = await waitFor(
      async () => {
        const n = await sourceRead(app);
        return n >= 0 ? n : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250, description: `${app}'s job to run` },
    );
    await kinesis.put(input, { userId: "u1", eventType: type, timestamp: at }, "u1", shard);
    const read = waitFor(async () => (await sourceRead(app)) > before, {
      timeoutMs: retry ? 3_000 : 60_000,
      intervalMs: 250,
      description: `${app} to read ${type}@${at}`,
    });
    if (!retry) return read;
    if (
      await read.then(
        () => true,
        () => false,
      )
    )
      return;
  }
}

/** Processes whose working directory is inside `dir` (the cluster JVM, and any Python it started). */
function processesIn(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      if (cwd !== dir && !cwd.startsWith(`${dir}/`)) continue;
      found.push(
        `${pid}: ${readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").slice(0, 200)}`,
      );
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

beforeAll(async () => {
  requirePython(requireRealFlink([PYFLINK_JOB]));
  await h.setUp();
  kinesis = new KinesisTestClient(h.stack.s3Endpoint);
  workRoot = mkdtempSync(join(h.stack.workDir, "real-pyflink-"));
  emulator = await startEmulator({
    s3Endpoint: h.stack.s3Endpoint,
    region: h.stack.region,
    flink: "real",
    flinkWorkDir: workRoot,
  });
  runtime = emulator.runtime as FlinkRuntime;
  expect(runtime).toBeInstanceOf(FlinkRuntime);
  process.env.AWS_ENDPOINT_URL_KINESIS_ANALYTICS_V2 = emulator.endpoint;
  await h.putCode(BUCKET, "engagement-metrics-pyflink.zip", readFileSync(pyflinkZip));
  await h.startOperator();
}, 300_000);

afterAll(async () => {
  await h.tearDown();
  await emulator?.close();
  process.env.AWS_ENDPOINT_URL_KINESIS_ANALYTICS_V2 = h.stack.emulatorEndpoint;
  console.log(`PyFlink on real Flink through the operator, timings (ms): ${JSON.stringify(timings)}`);
});

describe("the operator on real Flink: the PyFlink example", { timeout: 300_000 }, () => {
  it("kubectl scale mid-window: the window counts all its events once; no Python process outlives it", async () => {
    const name = `${h.namespace}-pyflink`;
    const s = { input: `in-${h.namespace}-py`, output: `out-${h.namespace}-py` };
    await kinesis.createStream(s.input, 2);
    await kinesis.createStream(s.output, 1);
    let t = performance.now();
    await h.apply(
      h.app(name, {
        runtimeEnvironment: "FLINK-1_20",
        serviceExecutionRole: "arn:aws:iam::123456789012:role/flink",
        code: { s3: { bucket: BUCKET, key: "engagement-metrics-pyflink.zip" } },
        checkpointing: { enabled: true, intervalMillis: 10_000, minPauseBetweenCheckpointsMillis: 1_000 },
        parallelism: { parallelism: 1, parallelismPerKPU: 1, autoScaling: false },
        snapshots: { enabled: true },
        environmentProperties: properties(s.input, s.output),
        restore: { type: "LatestSnapshot" },
        deletionPolicy: "Delete",
      }),
    );
    await h.waitForApp(name, running, "running", 180_000);
    timings["apply to RUNNING"] = since(t);
    const job = runtime.job(name)!;
    timings["cluster memory while running (MiB)"] = Math.round(job.cluster.residentBytes() / 2 ** 20);
    // PythonDriver's Python process submits the job and ends; the SQL job runs no Python workers.
    const appDir = join(workRoot, name);
    expect(processesIn(appDir).filter((p) => p.includes("python"))).toEqual([]);

    for (const shard of [SHARD_0, SHARD_1])
      await putAndWaitRead(name, s.input, "warm-up", W - 1, shard, true);
    await putAndWaitRead(name, s.input, "scale", W);
    await putAndWaitRead(name, s.input, "scale", W + 500);
    t = performance.now();
    await h.kubectlOk(["scale", "flinkapp", name, "-n", h.namespace, "--replicas=2"]);
    await h.waitForApp(
      name,
      (o) => running(o) && o.status?.configuredParallelism === 2 && !o.status?.operation,
      "running at parallelism 2",
      180_000,
    );
    timings["kubectl scale to RUNNING at 2"] = since(t);
    const scaled = runtime.job(name)!;
    expect((await scaled.cluster.rest.job(scaled.jobId)).vertices.every((v) => v.parallelism === 2)).toBe(
      true,
    );

    await putAndWaitRead(name, s.input, "scale", W + 1_000);
    for (const shard of [SHARD_0, SHARD_1]) {
      await kinesis.put(s.input, { userId: "tick", eventType: "tick", timestamp: W + 70_000 }, "tick", shard);
    }
    const windowStart = new Date(W)
      .toISOString()
      .replace("T", " ")
      .replace(/\.000Z$/, "");
    const result = await waitFor(
      async () =>
        (await kinesis.readAll<Result>(s.output)).find(
          (r) => r.event_type === "scale" && r.window_start.startsWith(windowStart),
        ),
      { timeoutMs: 90_000, intervalMs: 500, description: `the scale window ${windowStart} on ${s.output}` },
    );
    expect(result.event_count).toBe(3);

    await h.kubectlOk(["delete", "flinkapp", name, "-n", h.namespace, "--wait=true", "--timeout=120s"]);
    expect(runtime.job(name)).toBeUndefined();
    expect(processesIn(appDir)).toEqual([]);
  });
});
