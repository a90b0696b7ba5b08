import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { FlinkCluster } from "../../../src/emulator/flink/cluster.js";
import type { PropertyGroup } from "../../../src/emulator/flink/config.js";
import { waitFor } from "../../../src/localstack/processes.js";
import { ENGAGEMENT_JOB, engagementJar, requireRealFlink, since } from "./fixtures.js";
import { KinesisTestClient } from "./kinesis.js";

// The unmodified reference job (flink-app) on real Flink, reading and writing moto's Kinesis, with its
// runtime properties delivered the Managed Flink way. A window that spans a stop-with-savepoint and a
// restore at another parallelism must count every one of its events exactly once.

interface Result {
  userId: string;
  windowStart: number;
  eventCount: number;
}

const timings: Record<string, number> = {};
let cluster: FlinkCluster;
let kinesis: KinesisTestClient;
const suffix = randomUUID().slice(0, 8);
const input = `user-events-${suffix}`;
const output = `engagement-metrics-${suffix}`;
// Two input shards, addressed by hash key, so each source subtask at parallelism 2 reads one.
const SHARD_0 = "0";
const SHARD_1 = (2n ** 127n + 1n).toString();
// Event time far from the wall clock: windows close only on the events we send.
const T = 1_700_000_000_000;

function properties(endpoint: string): PropertyGroup[] {
  // What a local run adds beside the production manifest (shared notes, "Kinesis locally").
  const local = {
    "aws.region": "us-east-1",
    "aws.endpoint": endpoint,
    "aws.credentials.provider": "BASIC",
    "aws.credentials.provider.basic.accesskeyid": "test",
    "aws.credentials.provider.basic.secretkey": "test",
  };
  return [
    {
      PropertyGroupId: "InputStream0",
      PropertyMap: { ...local, "stream.name": input, "flink.stream.initpos": "TRIM_HORIZON" },
    },
    {
      PropertyGroupId: "OutputStream0",
      PropertyMap: { ...local, "stream.name": output, "aws.http.protocol.version": "HTTP1_1" },
    },
    {
      PropertyGroupId: "EngagementMetrics",
      PropertyMap: {
        "window.size": "PT2S",
        "watermark.max-out-of-orderness": "PT0S",
        "watermark.emit-per-event": "true",
        "watermark.idleness": "PT0S",
      },
    },
  ];
}

function event(userId: string, at: number) {
  return { userId, eventType: "page_view", timestamp: at };
}

async function sourceRecordsRead(jobId: string): Promise<number> {
  // The first vertex is the source chain; its write-records total what it sent to the window.
  const job = await cluster.rest.job(jobId);
  return Number(job.vertices[0]?.metrics?.["write-records"] ?? 0);
}

describe("the reference job on real Flink and moto's Kinesis", () => {
  beforeAll(async () => {
    const install = requireRealFlink([ENGAGEMENT_JOB]);
    const stack = inject("localStack");
    kinesis = new KinesisTestClient(stack.s3Endpoint);
    await kinesis.createStream(input, 2);
    await kinesis.createStream(output, 1);
    const t = performance.now();
    cluster = await FlinkCluster.start({
      applicationName: "engagement-test",
      workDir: mkdtempSync(join(stack.workDir, "flink-engagement-")),
      install,
      checkpointIntervalMs: 5_000,
    });
    timings["cluster start (ms)"] = since(t);
    cluster.writeApplicationProperties(properties(stack.s3Endpoint));
  });

  afterAll(async () => {
    await cluster?.stop();
    console.log(`real Flink timings (engagement-metrics jar): ${JSON.stringify(timings)}`);
  });

  it("keeps a window's count exact across stop-with-savepoint and a restore at parallelism 2", async () => {
    let t = performance.now();
    const first = await cluster.run({ jarPath: engagementJar, parallelism: 1 });
    await cluster.waitUntilRunning(first, 90_000);
    timings["upload + run to all tasks RUNNING (ms)"] = since(t);

    // Two events of u1's window [T, T+2s) are consumed before the stop...
    await kinesis.put(input, event("u1", T), "u1", SHARD_0);
    await kinesis.put(input, event("u1", T + 500), "u1", SHARD_0);
    await waitFor(async () => (await sourceRecordsRead(first)) >= 2, {
      timeoutMs: 60_000,
      intervalMs: 500,
      description: "the source to read the first two events",
    });

    t = performance.now();
    const savepoint = await cluster.stopWithSavepoint(first);
    timings["stop with savepoint (ms)"] = since(t);

    t = performance.now();
    const second = await cluster.run({ jarPath: engagementJar, parallelism: 2, savepointPath: savepoint });
    const job = await cluster.waitUntilRunning(second, 90_000);
    timings["restore at parallelism 2 to all tasks RUNNING (ms)"] = since(t);
    expect(job.vertices.every((v) => v.parallelism === 2)).toBe(true);

    // ...the third after the restore; then event time moves past the window on both shards. The
    // ticks wait until u1's event is read: two shards are read concurrently, and a tick read first
    // would make it late.
    await kinesis.put(input, event("u1", T + 1_000), "u1", SHARD_0);
    await waitFor(async () => (await sourceRecordsRead(second)) >= 1, {
      timeoutMs: 60_000,
      intervalMs: 500,
      description: "the restored source to read the third event",
    });
    await kinesis.put(input, event("tick", T + 10_000), "tick", SHARD_0);
    await kinesis.put(input, event("tick", T + 10_000), "tick", SHARD_1);

    const result = await waitFor(
      async () =>
        (await kinesis.readAll<Result>(output)).find((r) => r.userId === "u1" && r.windowStart === T),
      { timeoutMs: 60_000, intervalMs: 500, description: "u1's window result on the output stream" },
    );
    expect(result.eventCount).toBe(3);

    const metrics = await waitFor(
      async () => {
        const m = await cluster.metrics(second);
        return m.numRecordsOutPerSecond > 0 ? m : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 1_000, description: "numRecordsOutPerSecond above 0" },
    );
    expect(metrics.numRecordsInPerSecond).toBeGreaterThan(0);
    timings["RSS with the job running (MiB)"] = Math.round(cluster.residentBytes() / 2 ** 20);
    await cluster.cancel(second);
  });
});
