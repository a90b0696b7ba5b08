import { existsSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { FlinkCluster, FlinkJobError } from "../../../src/emulator/flink/cluster.js";
import { waitFor } from "../../../src/localstack/processes.js";
import { groupAlive } from "../../helpers/processes.js";
import { requireRealFlink, since, TEST_JOBS, testJobsJar } from "./fixtures.js";

// One real Flink cluster (one JVM) for the whole file: the lifecycle the emulator drives, on the
// small CountingJob (test/fixtures/flink-jobs). Steps build on each other, in order.
const timings: Record<string, number | string> = {};
let cluster: FlinkCluster;
let jobId: string;
let savepointAtStop: string;

async function rejection(p: Promise<unknown>): Promise<FlinkJobError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof FlinkJobError) return err;
    throw err;
  }
  throw new Error("expected Flink to refuse");
}

describe("FlinkCluster on real Flink", () => {
  beforeAll(async () => {
    const install = requireRealFlink([TEST_JOBS]);
    const workDir = mkdtempSync(join(inject("localStack").workDir, "flink-cluster-"));
    const t = performance.now();
    cluster = await FlinkCluster.start({
      applicationName: "counting-test",
      workDir,
      install,
      checkpointIntervalMs: 2_000,
      minPauseBetweenCheckpointsMs: 1_000,
    });
    timings["cluster start (ms)"] = since(t);
    timings["RSS idle (MiB)"] = Math.round(cluster.residentBytes() / 2 ** 20);
  });

  afterAll(async () => {
    const pid = cluster?.process.pid;
    const t = performance.now();
    await cluster?.stop();
    timings["cluster stop (ms)"] = since(t);
    console.log(`real Flink timings: ${JSON.stringify(timings)}`);
    if (pid)
      await waitFor(async () => !groupAlive(pid), {
        timeoutMs: 10_000,
        description: "Flink's process group to exit",
      });
  });

  it("runs a job whose runtime properties come from application_properties.json", async () => {
    cluster.writeApplicationProperties([
      { PropertyGroupId: "CountingJob", PropertyMap: { label: "from-properties" } },
    ]);
    const t = performance.now();
    jobId = await cluster.run({ jarPath: testJobsJar, parallelism: 2 });
    timings["upload + run (ms)"] = since(t);
    const job = await cluster.waitUntilRunning(jobId);
    timings["run to all tasks RUNNING (ms)"] = since(t);
    timings["RSS job running (MiB)"] = Math.round(cluster.residentBytes() / 2 ** 20);
    // CountingJob names itself after the property: it read the file through KinesisAnalyticsRuntime.
    expect(job.name).toBe("counting-job from-properties");
    expect(job.vertices.map((v) => v.parallelism)).toEqual([2, 2]);
  });

  it("reports the job's metrics under Managed Flink's names", async () => {
    const m = await waitFor(
      async () => {
        const m = await cluster.metrics(jobId);
        return m.numRecordsInPerSecond > 0 && m.lastCheckpointDuration !== undefined ? m : undefined;
      },
      { timeoutMs: 40_000, intervalMs: 1_000, description: "records and a checkpoint in the metrics" },
    );
    expect(m.uptime).toBeGreaterThan(0);
    expect(m.downtime).toBe(0);
    expect(m.fullRestarts).toBe(0);
    // Not 0: at a 2 s interval the first checkpoint can be declined while tasks are still deploying.
    expect(m.numberOfFailedCheckpoints).toBeGreaterThanOrEqual(0);
    expect(m.lastCheckpointSize).toBeGreaterThan(0);
    expect(m.currentInputWatermark).toBeGreaterThan(Date.now() - 120_000);
  });

  it("takes a savepoint of the running job into the application's savepoint directory", async () => {
    const t = performance.now();
    const path = await cluster.savepoint(jobId);
    timings["savepoint (ms)"] = since(t);
    expect(path).toMatch(new RegExp(`^file:${cluster.savepointsDir}/savepoint-`));
    expect(existsSync(join(path.replace(/^file:/, ""), "_metadata"))).toBe(true);
    expect(await cluster.jobState(jobId)).toBe("RUNNING");
  });

  it("stops with a savepoint and restores it at another parallelism", async () => {
    let t = performance.now();
    savepointAtStop = await cluster.stopWithSavepoint(jobId);
    timings["stop with savepoint (ms)"] = since(t);
    expect(await cluster.jobState(jobId)).toBe("FINISHED");

    t = performance.now();
    const restored = await cluster.run({
      jarPath: testJobsJar,
      parallelism: 3,
      savepointPath: savepointAtStop,
    });
    const job = await cluster.waitUntilRunning(restored);
    timings["restore to all tasks RUNNING (ms)"] = since(t);
    expect(job.vertices.map((v) => v.parallelism)).toEqual([3, 3]);
    expect(await cluster.rest.restoredFrom(restored)).toEqual({
      externalPath: savepointAtStop,
      isSavepoint: true,
    });
    await cluster.cancel(restored);
    expect(await cluster.jobState(restored)).toBe("CANCELED");
  });

  it("refuses state it cannot map unless allowNonRestoredState, with Flink's own words", async () => {
    // Without the counter the savepoint's keyed state belongs to no operator of the new job.
    cluster.writeApplicationProperties([
      { PropertyGroupId: "CountingJob", PropertyMap: { label: "no-counter", counter: "false" } },
    ]);
    const refused = await rejection(
      cluster.run({ jarPath: testJobsJar, parallelism: 2, savepointPath: savepointAtStop }),
    );
    expect(refused.rootCause).toMatch(
      /^java\.lang\.IllegalStateException: Failed to rollback to checkpoint\/savepoint/,
    );
    expect(refused.rootCause).toContain("Cannot map checkpoint/savepoint state for operator");
    expect(refused.rootCause).toContain("allowNonRestoredState");

    const allowed = await cluster.run({
      jarPath: testJobsJar,
      parallelism: 2,
      savepointPath: savepointAtStop,
      allowNonRestoredState: true,
    });
    const job = await cluster.waitUntilRunning(allowed);
    expect(job.name).toBe("counting-job no-counter");
    await cluster.cancel(allowed);
  });

  it("surfaces the exception of a job whose main method throws", async () => {
    const refused = await rejection(
      cluster.run({
        jarPath: testJobsJar,
        entryClass: "dev.managedflink.fixtures.FailingJob",
        parallelism: 1,
      }),
    );
    expect(refused.rootCause).toBe(
      "java.lang.IllegalStateException: FailingJob refuses to start: missing property group Input0",
    );
    expect(refused.detail).toContain("ProgramInvocationException: The main method caused an error");
  });

  it("surfaces a missing main class", async () => {
    const refused = await rejection(
      cluster.run({
        jarPath: testJobsJar,
        entryClass: "dev.managedflink.fixtures.NoSuchJob",
        parallelism: 1,
      }),
    );
    expect(refused.rootCause).toContain("dev.managedflink.fixtures.NoSuchJob");
  });

  it("deletes one savepoint, and nothing outside the application's savepoint directory", async () => {
    const before = cluster.listSavepoints();
    expect(before).toContain(savepointAtStop);
    cluster.deleteSavepoint(savepointAtStop);
    expect(cluster.listSavepoints()).toEqual(before.filter((p) => p !== savepointAtStop));
    expect(() => cluster.deleteSavepoint(`file:${cluster.workDir}/conf`)).toThrow(/not a savepoint/);
    expect(() => cluster.deleteSavepoint(`file:${cluster.savepointsDir}/../conf`)).toThrow(/not a savepoint/);
    expect(existsSync(join(cluster.workDir, "conf"))).toBe(true);
  });
});
