import { describe, expect, it } from "vitest";
import { DEFAULT_TIMINGS } from "../../../src/emulator/lifecycle.js";
import { type ApplicationRuntime, type RunSpec, RuntimeFailure } from "../../../src/emulator/runtime.js";
import { createInput, setup } from "./service-world.js";

const T = DEFAULT_TIMINGS;

/** A runtime that records what it is asked and answers at once, or fails starts with `failStart`. */
class RecordingRuntime implements ApplicationRuntime {
  starts: RunSpec[] = [];
  snapshots: string[] = [];
  failStart: string | undefined;
  async start(run: RunSpec) {
    this.starts.push(run);
    if (this.failStart) throw new RuntimeFailure(this.failStart);
  }
  async redeploy() {}
  async stop() {}
  async snapshot(_app: string, name: string) {
    this.snapshots.push(name);
  }
  deleted: string[] = [];
  async deleteSnapshot(_app: string, name: string) {
    this.deleted.push(name);
  }
  async rescale() {}
  async release() {}
  async shutdown() {}
}

describe("ManagedFlinkService on a fake clock", () => {
  it("moves STARTING → RUNNING exactly when startingMs has passed, and times the operation by the clock", async () => {
    const { clock, call, status, operation } = setup();
    await call("CreateApplication", createInput("a"));
    const t0 = clock.now();
    const { OperationId } = await call("StartApplication", { ApplicationName: "a" });
    await clock.advance(T.startingMs - 1);
    expect(await status("a")).toBe("STARTING");
    await clock.advance(1);
    expect(await status("a")).toBe("RUNNING");
    expect(await operation("a", OperationId)).toMatchObject({
      OperationStatus: "SUCCESSFUL",
      StartTime: t0 / 1000,
      EndTime: (t0 + T.startingMs) / 1000,
    });
  });

  it("a force stop supersedes a start: CANCELLED, and an injected start failure waits for the next start", async () => {
    const { clock, service, call, status, operation } = setup();
    await call("CreateApplication", createInput("a"));
    service.failNextStart("a", "main() threw");
    const first = await call("StartApplication", { ApplicationName: "a" });
    await call("StopApplication", { ApplicationName: "a", Force: true });
    expect(await status("a")).toBe("FORCE_STOPPING");
    await clock.advance(T.startingMs);
    expect(await status("a")).toBe("READY");
    expect((await operation("a", first.OperationId)).OperationStatus).toBe("CANCELLED");
    const second = await call("StartApplication", { ApplicationName: "a" });
    await clock.advance(T.startingMs);
    expect(await status("a")).toBe("READY");
    expect((await operation("a", second.OperationId)).OperationFailureDetails).toEqual({
      ErrorInfo: { ErrorString: "main() threw" },
    });
  });

  it("a failed update with system rollback goes ROLLING_BACK → ROLLED_BACK → RUNNING within one advance", async () => {
    const { clock, service, call, status } = setup();
    await call(
      "CreateApplication",
      createInput("a", { ApplicationSystemRollbackConfiguration: { RollbackEnabled: true } }),
    );
    await call("StartApplication", { ApplicationName: "a" });
    await clock.advance(T.startingMs);
    service.failNextUpdate("a");
    await call("UpdateApplication", { ApplicationName: "a", CurrentApplicationVersionId: 1 });
    await clock.advance(T.updatingMs);
    expect(await status("a")).toBe("ROLLING_BACK");
    await clock.advance(T.rollingBackMs);
    expect(await status("a")).toBe("ROLLED_BACK");
    await clock.advance(T.rolledBackMs);
    expect(await status("a")).toBe("RUNNING");
    await call("StopApplication", { ApplicationName: "a" });
    await clock.advance(T.stoppingMs + T.startingMs + T.updatingMs + T.rollingBackMs);
    expect(await status("a")).toBe("READY");
  });

  it("hands the runtime the run: code, configuration, the restore snapshot resolved, AllowNonRestoredState", async () => {
    const runtime = new RecordingRuntime();
    const { clock, call, status } = setup(runtime);
    await call("CreateApplication", createInput("a"));
    await call("StartApplication", { ApplicationName: "a" });
    await clock.advance(0);
    expect(runtime.starts[0]).toMatchObject({
      application: "a",
      versionId: 1,
      runtimeEnvironment: "FLINK-1_20",
      code: { BucketARN: "arn:aws:s3:::code", FileKey: "app.jar" },
      allowNonRestoredState: false,
    });
    expect(runtime.starts[0]!.restoreFrom).toBeUndefined();
    await call("CreateApplicationSnapshot", { ApplicationName: "a", SnapshotName: "keep" });
    await clock.advance(0);
    await call("StopApplication", { ApplicationName: "a" });
    await clock.advance(0);
    expect(runtime.snapshots).toEqual(["keep", `stop-${clock.now()}`]);
    await call("StartApplication", {
      ApplicationName: "a",
      RunConfiguration: {
        ApplicationRestoreConfiguration: {
          ApplicationRestoreType: "RESTORE_FROM_CUSTOM_SNAPSHOT",
          SnapshotName: "keep",
        },
        FlinkRunConfiguration: { AllowNonRestoredState: true },
      },
    });
    await clock.advance(0);
    expect(runtime.starts[1]).toMatchObject({ restoreFrom: "keep", allowNonRestoredState: true });
    await call("StopApplication", { ApplicationName: "a", Force: true });
    await clock.advance(0);
    await call("StartApplication", { ApplicationName: "a" });
    await clock.advance(0);
    // The stored run configuration still says custom; LATEST would have picked the stop snapshot.
    expect(runtime.starts[2]!.restoreFrom).toBe("keep");
    expect(await status("a")).toBe("RUNNING");
    const snap = await call("DescribeApplicationSnapshot", { ApplicationName: "a", SnapshotName: "keep" });
    await call("DeleteApplicationSnapshot", {
      ApplicationName: "a",
      SnapshotName: "keep",
      SnapshotCreationTimestamp: snap.SnapshotDetails.SnapshotCreationTimestamp,
    });
    expect(runtime.deleted).toEqual(["keep"]);
  });

  it("reports the runtime's failure text on the operation and falls back to READY", async () => {
    const runtime = new RecordingRuntime();
    runtime.failStart = "ClassNotFoundException: com.example.Job";
    const { clock, call, status, operation } = setup(runtime);
    await call("CreateApplication", createInput("a"));
    const { OperationId } = await call("StartApplication", { ApplicationName: "a" });
    await clock.advance(0);
    expect(await status("a")).toBe("READY");
    expect(await operation("a", OperationId)).toMatchObject({
      OperationStatus: "FAILED",
      OperationFailureDetails: { ErrorInfo: { ErrorString: "ClassNotFoundException: com.example.Job" } },
    });
  });

  it("cuts a failure text longer than ErrorString's 512 characters", async () => {
    const runtime = new RecordingRuntime();
    runtime.failStart = `java.lang.IllegalStateException: ${"x".repeat(600)}`;
    const { clock, call, operation } = setup(runtime);
    await call("CreateApplication", createInput("a"));
    const { OperationId } = await call("StartApplication", { ApplicationName: "a" });
    await clock.advance(0);
    const text = (await operation("a", OperationId)).OperationFailureDetails.ErrorInfo.ErrorString as string;
    expect(text).toHaveLength(512);
    expect(text.startsWith("java.lang.IllegalStateException: xxx")).toBe(true);
  });

  it("reset cancels every pending transition and removes the applications", async () => {
    const { clock, service, call } = setup();
    await call("CreateApplication", createInput("a"));
    await call("StartApplication", { ApplicationName: "a" });
    await service.reset();
    expect(clock.pending).toBe(0);
    expect((await call("ListApplications", {})).ApplicationSummaries).toEqual([]);
  });
});
