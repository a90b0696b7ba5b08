// spec.restartNonce: a restart of a running application, snapshot first, with no configuration change.
import { describe, expect, it } from "vitest";
import { flinkApp } from "./fakes.js";
import { world } from "./world.js";

describe("spec.restartNonce", () => {
  it("restarts a running application: one snapshot, one UpdateApplication restoring it, then RUNNING", async () => {
    const w = world(flinkApp({ parallelism: { parallelism: 2 } }));
    await w.untilReady();
    w.aws.calls.length = 0;
    w.bump({ restartNonce: "2026-11-29T12:00:00Z" });
    await w.reconcile();
    const op = w.kube.obj.status?.operation;
    expect(op).toMatchObject({
      phase: "Snapshotting",
      fields: ["restartNonce"],
      restartNonce: "2026-11-29T12:00:00Z",
    });
    await w.untilReady();
    expect(w.writes()).toEqual(["CreateApplicationSnapshot", "UpdateApplication"]);
    const [update] = w.aws.updates;
    // No configuration change: only the version guard and the restore of exactly our snapshot.
    expect(update).toEqual({
      ApplicationName: "orders",
      CurrentApplicationVersionId: 1,
      RunConfigurationUpdate: {
        ApplicationRestoreConfiguration: {
          ApplicationRestoreType: "RESTORE_FROM_CUSTOM_SNAPSHOT",
          SnapshotName: op?.snapshotName,
        },
        FlinkRunConfiguration: { AllowNonRestoredState: false },
      },
    });
    expect(w.kube.obj.status).toMatchObject({
      applicationStatus: "RUNNING",
      applicationVersionId: 2,
      restartNonce: "2026-11-29T12:00:00Z",
    });
    expect(w.kube.obj.status?.operation).toBeUndefined();
    // Served: further passes restart nothing.
    const calls = w.aws.calls.length;
    await w.reconcile();
    await w.reconcile();
    expect(w.aws.calls.slice(calls)).toEqual(["DescribeApplication", "DescribeApplication"]);
  });

  it("is served by the configuration update when both change together: still one restart", async () => {
    const w = world(flinkApp({ parallelism: { parallelism: 2 } }));
    await w.untilReady();
    w.aws.calls.length = 0;
    w.bump({ restartNonce: "a", parallelism: { parallelism: 3 } });
    await w.untilReady();
    expect(w.writes()).toEqual(["CreateApplicationSnapshot", "UpdateApplication"]);
    expect(w.kube.obj.status?.restartNonce).toBe("a");
  });

  it("restarts without a snapshot when snapshots.beforeUpdate is false", async () => {
    const w = world(flinkApp({ snapshots: { beforeUpdate: false } }));
    await w.untilReady();
    w.aws.calls.length = 0;
    w.bump({ restartNonce: "b" });
    await w.untilReady();
    expect(w.writes()).toEqual(["UpdateApplication"]);
  });

  it("records the nonce of a stopped application without calling AWS, and on the start of a new one", async () => {
    const w = world(flinkApp({ desiredState: "Stopped", restartNonce: "first" }));
    await w.untilReady();
    expect(w.writes()).toEqual(["CreateApplication"]);
    expect(w.kube.obj.status?.restartNonce).toBe("first");
    w.bump({ desiredState: "Running", restartNonce: "second" });
    await w.untilReady();
    expect(w.writes()).toEqual(["CreateApplication", "StartApplication"]);
    expect(w.kube.obj.status?.restartNonce).toBe("second");
  });

  it("does not try a failed restart again for the same generation", async () => {
    const w = world();
    await w.untilReady();
    w.bump({ restartNonce: "c" });
    for (let i = 0; i < 3 && w.aws.updates.length === 0; i++) {
      await w.reconcile();
      w.aws.settle();
    }
    // The update was called; the service rolled it back behind our back (RUNNING on version 1 again).
    const app = w.aws.apps.get("orders")!;
    app.detail.ApplicationStatus = "ROLLED_BACK";
    for (let i = 0; i < 4; i++) await w.reconcile();
    expect(w.kube.obj.status?.lastFailedUpdate?.generation).toBe(2);
    app.detail.ApplicationStatus = "RUNNING";
    const updates = w.aws.updates.length;
    for (let i = 0; i < 3; i++) await w.reconcile();
    expect(w.aws.updates.length).toBe(updates);
  });

  it("restore.redeployNonce: snapshots the current state, then redeploys from the requested snapshot", async () => {
    const w = world();
    await w.untilReady();
    await w.aws.createSnapshot("orders", "yesterday");
    w.aws.settle();
    w.aws.calls.length = 0;
    w.bump({ restore: { type: "Snapshot", snapshotName: "yesterday", redeployNonce: "n1" } });
    await w.reconcile();
    const op = w.kube.obj.status?.operation;
    expect(op).toMatchObject({ fields: ["restore"], restoreFrom: "yesterday", redeployNonce: "n1" });
    await w.untilReady();
    expect(w.writes()).toEqual(["CreateApplicationSnapshot", "UpdateApplication"]);
    expect(w.aws.apps.get("orders")!.snapshots.has(op!.snapshotName!)).toBe(true);
    expect(w.aws.updates[0]?.RunConfigurationUpdate?.ApplicationRestoreConfiguration).toEqual({
      ApplicationRestoreType: "RESTORE_FROM_CUSTOM_SNAPSHOT",
      SnapshotName: "yesterday",
    });
    expect(w.kube.obj.status?.restoreRedeployNonce).toBe("n1");
    // A later restart restores its own snapshot again, not the one of the old redeploy.
    w.bump({ restartNonce: "later" });
    await w.untilReady();
    const name = w.kube.obj.status?.snapshots?.[0]?.name;
    expect(w.aws.updates[1]?.RunConfigurationUpdate?.ApplicationRestoreConfiguration?.SnapshotName).toBe(
      name,
    );
  });
});
