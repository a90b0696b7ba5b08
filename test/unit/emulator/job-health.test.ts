import { describe, expect, it } from "vitest";
import type { ApplicationMetrics } from "../../../src/emulator/flink/metrics.js";
import {
  FAILURE_PERIOD_MS,
  FALLING_BEHIND_BASE_MS,
  firstCheckpointAt,
  type JobHealthBook,
  jobEffects,
  setHealth,
} from "../../../src/emulator/job-health.js";
import { DEFAULT_TIMINGS } from "../../../src/emulator/lifecycle.js";
import {
  crashLoopRecords,
  simulatedMetrics,
  withInjectedHealth,
} from "../../../src/emulator/metrics-publisher.js";
import type { ApplicationRuntime, RunSpec } from "../../../src/emulator/runtime.js";
import { createInput, setup } from "./service-world.js";

const T = DEFAULT_TIMINGS;
const START = 1_000_000;

/** The metrics a publish at `now` reports for a job that started at START with `book`'s episodes of version 1. */
function at(now: number, book: JobHealthBook, checkpointIntervalMs?: number) {
  return simulatedMetrics({
    name: "a",
    parallelism: 2,
    parallelismPerKPU: 1,
    runningSince: START,
    now,
    episodes: book.get(1) ?? [],
    ...(checkpointIntervalMs !== undefined ? { checkpointIntervalMs } : {}),
  });
}

describe("simulated job health", () => {
  it("healthy: up since the start, nothing failed, no lag; checkpoint figures once an interval has passed", () => {
    const book: JobHealthBook = new Map();
    expect(at(START + 59_999, book, 60_000)).toMatchObject({
      uptime: 59_999,
      downtime: 0,
      fullRestarts: 0,
      numberOfFailedCheckpoints: 0,
      millisBehindLatest: 0,
      lastCheckpointDuration: undefined,
    });
    expect(at(START + 60_000, book, 60_000)).toMatchObject({
      lastCheckpointDuration: 250,
      lastCheckpointSize: 2 * 64 * 1024,
    });
    // Checkpointing off: never a checkpoint figure.
    expect(at(START + 600_000, book).lastCheckpointDuration).toBeUndefined();
  });

  it("crashLoop: a restart when it begins and one per period after, down since then; healthy again stops the count", () => {
    const book: JobHealthBook = new Map();
    setHealth(book, 1, "crashLoop", START + 10_000);
    expect(at(START + 10_000, book)).toMatchObject({ fullRestarts: 1, uptime: 0, downtime: 0 });
    const later = at(START + 10_000 + 5 * FAILURE_PERIOD_MS + 300, book);
    expect(later).toMatchObject({ fullRestarts: 6, uptime: 0, downtime: 5 * FAILURE_PERIOD_MS + 300 });
    setHealth(book, 1, "healthy", START + 20_000);
    const healthy = at(START + 20_000, book);
    const after = at(START + 80_000, book);
    expect(healthy.fullRestarts).toBe(11);
    // Counters are the job's, cumulative: they stop growing but do not go back.
    expect(after).toMatchObject({ fullRestarts: 11, downtime: 0, uptime: 60_000 });
  });

  it("checkpointsFailing: failed checkpoints grow per period; the last checkpoint's figures stay as they were", () => {
    const book: JobHealthBook = new Map();
    setHealth(book, 1, "checkpointsFailing", START + 90_000);
    const early = at(START + 90_000, book, 60_000);
    const late = at(START + 100_000, book, 60_000);
    expect(early.numberOfFailedCheckpoints).toBe(1);
    expect(late.numberOfFailedCheckpoints).toBe(11);
    expect(late).toMatchObject({ lastCheckpointDuration: 250, fullRestarts: 0, uptime: 100_000 });
    // Failing from before the first checkpoint: none has completed, none until an interval after it ends.
    const fresh: JobHealthBook = new Map();
    setHealth(fresh, 1, "checkpointsFailing", START);
    setHealth(fresh, 1, "healthy", START + 100_000);
    expect(firstCheckpointAt(fresh.get(1)!, START, 60_000, START + 159_999)).toBeUndefined();
    expect(firstCheckpointAt(fresh.get(1)!, START, 60_000, START + 160_000)).toBe(START + 160_000);
  });

  it("fallingBehind: more than 10 minutes behind and growing; healthy again is 0", () => {
    const book: JobHealthBook = new Map();
    setHealth(book, 1, "fallingBehind", START + 1_000);
    const a = at(START + 1_000, book).millisBehindLatest!;
    const b = at(START + 31_000, book).millisBehindLatest!;
    expect(a).toBe(FALLING_BEHIND_BASE_MS);
    expect(a).toBeGreaterThan(10 * 60_000);
    expect(b - a).toBe(30_000);
    setHealth(book, 1, "healthy", START + 40_000);
    expect(at(START + 41_000, book).millisBehindLatest).toBe(0);
  });

  it("a new job starts its counters at zero: episodes before its start do not count", () => {
    const book: JobHealthBook = new Map();
    setHealth(book, 1, "crashLoop", START - 10_000);
    setHealth(book, 1, "healthy", START - 5_000);
    expect(jobEffects(book.get(1)!, START, START + 1_000)).toMatchObject({ restarts: 0, upSince: START });
    // Still crash-looping when the job (re)starts: counted from the start.
    setHealth(book, 1, "crashLoop", START - 1_000);
    expect(jobEffects(book.get(1)!, START, START + 2_500)).toMatchObject({ restarts: 3, downSince: START });
  });

  it("real Flink's metrics get the simulated failed checkpoints and lag on top; its restarts stay its own", () => {
    const book: JobHealthBook = new Map();
    setHealth(book, 1, "checkpointsFailing", START);
    const measured: ApplicationMetrics = {
      uptime: 5,
      downtime: 0,
      fullRestarts: 2,
      numberOfFailedCheckpoints: 1,
      lastCheckpointDuration: 10,
      lastCheckpointSize: 100,
      numRecordsInPerSecond: 3,
      numRecordsOutPerSecond: 3,
      currentInputWatermark: undefined,
      millisBehindLatest: 7,
    };
    const app = {
      name: "a",
      parallelism: 1,
      parallelismPerKPU: 1,
      runningSince: START,
      now: START + 2_000,
      episodes: book.get(1)!,
    };
    expect(withInjectedHealth(measured, app)).toMatchObject({
      fullRestarts: 2,
      numberOfFailedCheckpoints: 4,
      millisBehindLatest: 7,
    });
  });

  it("writes crash-loop ERROR records in Managed Flink's JSON shape, at most three per publish", () => {
    const app = {
      applicationARN: "arn:aws:kinesisanalytics:r:1:application/a",
      applicationVersionId: 2,
      name: "a",
    };
    const records = crashLoopRecords(app, 0, 10).map((r) => JSON.parse(r));
    expect(records).toHaveLength(3);
    expect(records[2]).toMatchObject({
      messageType: "ERROR",
      applicationARN: app.applicationARN,
      applicationVersionId: "2",
      messageSchemaVersion: "1",
      logger: "org.apache.flink.runtime.taskmanager.Task",
    });
    expect(records[2].message).toContain(
      "java.lang.RuntimeException: emulator: job crash-looping (injected by PUT /_emulator/applications/a/job)",
    );
    expect(records[2].throwableInformation.split("\n")[1]).toMatch(/^\tat /);
    expect(crashLoopRecords(app, 10, 10)).toEqual([]);
  });
});

/** Records the runs it is given (start and redeploy) and answers at once. */
class RecordingRuntime implements ApplicationRuntime {
  runs: { cause: string; run: RunSpec }[] = [];
  health: [string, number, string][] = [];
  async start(run: RunSpec) {
    this.runs.push({ cause: "start", run });
  }
  async redeploy(run: RunSpec, cause: string) {
    this.runs.push({ cause, run });
  }
  async stop() {}
  snapshot(_app: string, name: string) {
    // A snapshot named in-progress… never completes: it stays CREATING.
    return name.startsWith("in-progress") ? new Promise<void>(() => {}) : Promise.resolve();
  }
  async deleteSnapshot() {}
  async rescale() {}
  async release() {}
  async shutdown() {}
  jobHealth(application: string, version: number, health: string) {
    this.health.push([application, version, health]);
  }
}

describe("job health per version, through the service", () => {
  it("the next version crash-loops once an update starts it; the rollback's version is healthy again", async () => {
    const runtime = new RecordingRuntime();
    const { clock, service, call } = setup(runtime);
    await call("CreateApplication", createInput("a"));
    await call("StartApplication", { ApplicationName: "a" });
    await clock.advance(T.startingMs);
    expect(service.setJobHealth("a", "crashLoop", 2).versions).toEqual([
      { version: 1, health: "healthy" },
      { version: 2, health: "crashLoop", since: new Date(clock.now()).toISOString() },
    ]);
    expect(runtime.health).toEqual([["a", 2, "crashLoop"]]);
    await clock.advance(5_000);
    expect(simulatedMetrics(service.runningApplications()[0]!).fullRestarts).toBe(0);
    await call("UpdateApplication", { ApplicationName: "a", CurrentApplicationVersionId: 1 });
    await clock.advance(T.snapshotMs + T.updatingMs);
    const updated = service.runningApplications()[0]!;
    expect(updated.versionId).toBe(2);
    await clock.advance(3_000);
    // Counted from when version 2's job started (this runtime starts it at once), not from when it was set.
    const looping = service.runningApplications()[0]!;
    const elapsed = looping.now - looping.runningSince;
    expect(simulatedMetrics(looping)).toMatchObject({
      fullRestarts: 1 + Math.floor(elapsed / 1_000),
      uptime: 0,
      downtime: elapsed,
    });
    await call("RollbackApplication", { ApplicationName: "a", CurrentApplicationVersionId: 2 });
    await clock.advance(T.rollingBackMs + T.rolledBackMs);
    const rolledBack = service.runningApplications()[0]!;
    expect(rolledBack.versionId).toBe(3);
    expect(simulatedMetrics(rolledBack)).toMatchObject({ fullRestarts: 0, downtime: 0 });
    expect(service.jobHealth("a")).toMatchObject({ currentVersion: 3, status: "RUNNING" });
  });

  it("RollbackApplication restores from the latest READY snapshot, whatever the target version's restore type", async () => {
    const runtime = new RecordingRuntime();
    const { clock, call } = setup(runtime);
    await call("CreateApplication", createInput("a"));
    // Version 1 starts without state, and its run configuration keeps saying so.
    await call("StartApplication", {
      ApplicationName: "a",
      RunConfiguration: {
        ApplicationRestoreConfiguration: { ApplicationRestoreType: "SKIP_RESTORE_FROM_SNAPSHOT" },
      },
    });
    await clock.advance(T.startingMs);
    await call("CreateApplicationSnapshot", { ApplicationName: "a", SnapshotName: "older" });
    await clock.advance(T.snapshotMs);
    await call("UpdateApplication", { ApplicationName: "a", CurrentApplicationVersionId: 1 });
    await clock.advance(T.snapshotMs + T.updatingMs);
    // A snapshot still CREATING is not a successful one.
    await call("CreateApplicationSnapshot", { ApplicationName: "a", SnapshotName: "in-progress" });
    await call("RollbackApplication", { ApplicationName: "a", CurrentApplicationVersionId: 2 });
    await clock.advance(0);
    const rollback = runtime.runs.find((r) => r.cause === "rollback")!;
    expect(rollback.run.versionId).toBe(3);
    expect(
      rollback.run.configuration.RunConfigurationDescription?.ApplicationRestoreConfigurationDescription,
    ).toMatchObject({ ApplicationRestoreType: "SKIP_RESTORE_FROM_SNAPSHOT" });
    // The update's own snapshot, taken after "older", is the latest READY one.
    expect(rollback.run.restoreFrom).toMatch(/^update-/);
  });

  it("a system rollback after a failed update restores from the latest READY snapshot too", async () => {
    const runtime = new RecordingRuntime();
    const { clock, call } = setup(runtime);
    await call(
      "CreateApplication",
      createInput("a", { ApplicationSystemRollbackConfiguration: { RollbackEnabled: true } }),
    );
    await call("StartApplication", {
      ApplicationName: "a",
      RunConfiguration: {
        ApplicationRestoreConfiguration: { ApplicationRestoreType: "SKIP_RESTORE_FROM_SNAPSHOT" },
      },
    });
    await clock.advance(T.startingMs);
    runtime.redeploy = async (run, cause) => {
      runtime.runs.push({ cause, run });
      if (cause === "update") throw new Error("the new job failed");
    };
    await call("UpdateApplication", { ApplicationName: "a", CurrentApplicationVersionId: 1 });
    await clock.advance(T.snapshotMs + T.updatingMs);
    const rollback = runtime.runs.find((r) => r.cause === "rollback")!;
    expect(rollback.run.restoreFrom).toMatch(/^update-/);
  });
});
