// spec.restartNonce on the local stack: one snapshot, one UpdateApplication restoring exactly it and
// changing no configuration, then RUNNING on the new version.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Harness, isReady } from "./harness.js";

const h = new Harness();
const spec = {
  runtimeEnvironment: "FLINK-1_20",
  serviceExecutionRole: "arn:aws:iam::123456789012:role/flink",
  code: { s3: { bucket: "restart-apps", key: "app.jar" } },
  parallelism: { parallelism: 2, parallelismPerKPU: 1, autoScaling: false },
};
const running = (o: Parameters<typeof isReady>[0]) => isReady(o) && o.status?.applicationStatus === "RUNNING";

beforeAll(async () => {
  await h.setUp();
  await h.putCode("restart-apps", "app.jar");
  await h.startOperator();
});
afterAll(() => h.tearDown());

describe("spec.restartNonce", () => {
  it("restarts snapshot-first with no configuration change, then RUNNING", async () => {
    const name = `${h.namespace}-restart`;
    await h.apply(h.app(name, spec));
    const first = await h.waitForApp(name, running, "running");
    const fromVersion = first.status!.applicationVersionId!;
    await h.emulator("DELETE", "/calls");

    await h.mergePatch(name, { spec: { restartNonce: "r1" } });
    const app = await h.waitForApp(
      name,
      (o) => running(o) && o.status?.restartNonce === "r1" && !o.status?.operation,
      "restarted",
    );
    const calls = (await h.callsFor(name)).filter((c) => !c.error);
    const writes = calls
      .map((c) => c.operation)
      .filter((op) => !op.startsWith("Describe") && !op.startsWith("List"));
    expect(writes).toEqual(["CreateApplicationSnapshot", "UpdateApplication"]);
    const snapshotName = calls.find((c) => c.operation === "CreateApplicationSnapshot")!.input.SnapshotName;
    const update = calls.find((c) => c.operation === "UpdateApplication")!.input;
    expect(update).toEqual({
      ApplicationName: name,
      CurrentApplicationVersionId: fromVersion,
      RunConfigurationUpdate: {
        ApplicationRestoreConfiguration: {
          ApplicationRestoreType: "RESTORE_FROM_CUSTOM_SNAPSHOT",
          SnapshotName: snapshotName,
        },
        FlinkRunConfiguration: { AllowNonRestoredState: false },
      },
    });
    expect(app.status).toMatchObject({
      applicationStatus: "RUNNING",
      applicationVersionId: fromVersion + 1,
      configuredParallelism: 2,
    });
    expect(app.status?.snapshots?.[0]).toMatchObject({ name: snapshotName, reason: "BeforeUpdate" });
  });
});
