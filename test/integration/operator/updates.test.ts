// Safe updates on the local stack: snapshot first, restore from exactly that snapshot, failure
// reporting and rollback, retention of operator snapshots.
import {
  CreateApplicationSnapshotCommand,
  ListApplicationSnapshotsCommand,
  UpdateApplicationCommand,
} from "@aws-sdk/client-kinesis-analytics-v2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../../src/localstack/processes.js";
import { condition, Harness, isReady } from "./harness.js";

const h = new Harness();
const aws = h.awsClient();
const spec = (extra: Record<string, unknown> = {}) => ({
  runtimeEnvironment: "FLINK-1_20",
  serviceExecutionRole: "arn:aws:iam::123456789012:role/flink",
  code: { s3: { bucket: "upd-apps", key: "app.jar" } },
  parallelism: { parallelism: 4, parallelismPerKPU: 1, autoScaling: false },
  ...extra,
});
const running = (o: Parameters<typeof isReady>[0]) => isReady(o) && o.status?.applicationStatus === "RUNNING";

beforeAll(async () => {
  await h.setUp();
  await h.putCode("upd-apps", "app.jar");
  await h.startOperator();
});
afterAll(() => h.tearDown());

async function snapshotsOf(name: string) {
  const out = await aws.send(new ListApplicationSnapshotsCommand({ ApplicationName: name, Limit: 50 }));
  return out.SnapshotSummaries ?? [];
}

describe("snapshot before update", () => {
  const name = `${h.namespace}-scale`;

  it("parallelism 4 → 8: snapshot, READY, then UpdateApplication restoring from it, in that order", async () => {
    await h.apply(h.app(name, spec()));
    const first = await h.waitForApp(name, running, "running");
    const fromVersion = first.status!.applicationVersionId!;
    await h.emulator("DELETE", "/calls");

    await h.mergePatch(name, { spec: { parallelism: { parallelism: 8 } } });
    const app = await h.waitForApp(
      name,
      (o) => running(o) && o.status?.configuredParallelism === 8 && !o.status?.operation,
      "running with parallelism 8",
    );
    const calls = (await h.callsFor(name)).filter((c) => !c.error);
    const ops = calls.map((c) => c.operation);
    const create = ops.indexOf("CreateApplicationSnapshot");
    const update = ops.indexOf("UpdateApplication");
    expect(create).toBeGreaterThanOrEqual(0);
    expect(update).toBeGreaterThan(create);
    expect(ops.filter((o) => o === "CreateApplicationSnapshot")).toHaveLength(1);
    expect(ops.filter((o) => o === "UpdateApplication")).toHaveLength(1);
    const snapshotName = calls[create]!.input.SnapshotName as string;
    // Between the two, the operator read the snapshot until it was READY.
    expect(ops.slice(create, update)).toContain("DescribeApplicationSnapshot");
    const snap = (await snapshotsOf(name)).find((s) => s.SnapshotName === snapshotName)!;
    expect(snap.SnapshotStatus).toBe("READY");
    expect(snap.SnapshotCreationTimestamp!.getTime()).toBeLessThanOrEqual(Date.parse(calls[update]!.at));
    expect(calls[update]!.input).toMatchObject({
      CurrentApplicationVersionId: fromVersion,
      RunConfigurationUpdate: {
        ApplicationRestoreConfiguration: {
          ApplicationRestoreType: "RESTORE_FROM_CUSTOM_SNAPSHOT",
          SnapshotName: snapshotName,
        },
      },
      ApplicationConfigurationUpdate: {
        FlinkApplicationConfigurationUpdate: { ParallelismConfigurationUpdate: { ParallelismUpdate: 8 } },
      },
    });
    expect(app.status?.snapshots?.[0]).toMatchObject({
      name: snapshotName,
      reason: "BeforeUpdate",
      applicationVersionId: fromVersion,
    });
    expect(app.status?.applicationVersionId).toBeGreaterThan(fromVersion);
    expect(condition(app, "Ready")?.status).toBe("True");
  });

  it("takes an on-demand snapshot once per request token", async () => {
    await h.mergePatch(name, { spec: { snapshots: { request: "pre-migration" } } });
    const app = await h.waitForApp(
      name,
      (o) => running(o) && o.status?.lastSnapshotRequest === "pre-migration",
      "snapshot",
    );
    expect(app.status?.snapshots?.[0]).toMatchObject({
      name: `${name}-ondemand-pre-migration`,
      reason: "OnDemand",
    });
    expect((await snapshotsOf(name)).map((s) => s.SnapshotName)).toContain(`${name}-ondemand-pre-migration`);
  });
});

describe("drift", () => {
  it("corrects a change made in AWS behind its back, through the snapshot-first path", async () => {
    const name = `${h.namespace}-drift`;
    await h.apply(h.app(name, spec()));
    const first = await h.waitForApp(name, running, "running");
    // Someone scales the application by hand, outside git.
    await aws.send(
      new UpdateApplicationCommand({
        ApplicationName: name,
        CurrentApplicationVersionId: first.status!.applicationVersionId!,
        ApplicationConfigurationUpdate: {
          FlinkApplicationConfigurationUpdate: {
            ParallelismConfigurationUpdate: { ConfigurationTypeUpdate: "CUSTOM", ParallelismUpdate: 1 },
          },
        },
      }),
    );
    await h.tearDown();
    await h.startOperator({ resyncPeriodMs: 300 });
    const app = await h.waitForApp(
      name,
      (o) =>
        running(o) &&
        o.status?.configuredParallelism === 4 &&
        (o.status?.snapshots?.length ?? 0) === 1 &&
        !o.status?.operation,
      "drift corrected",
    );
    expect(app.status?.applicationVersionId).toBe(first.status!.applicationVersionId! + 2);
    const ours = (await h.callsFor(name))
      .filter((c) => c.operation === "UpdateApplication" && !c.error)
      .at(-1);
    expect(ours?.input).toMatchObject({
      RunConfigurationUpdate: {
        ApplicationRestoreConfiguration: { SnapshotName: app.status?.snapshots?.[0]?.name },
      },
    });
  });
});

describe("runtime, autoscaling and restore settings", () => {
  it("upgrades the runtime in place, snapshot first", async () => {
    const name = `${h.namespace}-upgrade`;
    await h.apply(h.app(name, spec()));
    await h.waitForApp(name, running, "running");
    await h.mergePatch(name, { spec: { runtimeEnvironment: "FLINK-2_2" } });
    await h.waitForApp(
      name,
      (o) => running(o) && !o.status?.operation && (o.status?.snapshots?.length ?? 0) > 0,
      "upgraded",
    );
    const calls = (await h.callsFor(name)).filter((c) => !c.error);
    const ops = calls.map((c) => c.operation);
    const update = calls.find((c) => c.operation === "UpdateApplication")!;
    expect(ops.indexOf("CreateApplicationSnapshot")).toBeLessThan(ops.indexOf("UpdateApplication"));
    expect(update.input).toMatchObject({
      RuntimeEnvironmentUpdate: "FLINK-2_2",
      RunConfigurationUpdate: {
        ApplicationRestoreConfiguration: { ApplicationRestoreType: "RESTORE_FROM_CUSTOM_SNAPSHOT" },
      },
    });
    const downgrade = await h.kubectl([
      "patch",
      "flinkapp",
      name,
      "-n",
      h.namespace,
      "--type=merge",
      "-p",
      JSON.stringify({ spec: { runtimeEnvironment: "FLINK-1_20" } }),
    ]);
    expect(downgrade.code).not.toBe(0);
    expect(downgrade.stderr).toMatch(/cannot be downgraded/);
  });

  it("reports autoscaled parallelism next to the configured one and never fights it", async () => {
    const name = `${h.namespace}-auto`;
    await h.apply(
      h.app(name, spec({ parallelism: { parallelism: 4, parallelismPerKPU: 1, autoScaling: true } })),
    );
    await h.waitForApp(name, running, "running");
    await h.tearDown();
    await h.startOperator({ resyncPeriodMs: 200 });
    const updatesBefore = (await h.callsFor(name)).filter((c) => c.operation === "UpdateApplication").length;
    await h.emulator("POST", `/applications/${name}/autoscale`, { parallelism: 12 });
    const app = await h.waitForApp(
      name,
      (o) => running(o) && o.status?.currentParallelism === 12,
      "autoscaled",
    );
    expect(app.status?.configuredParallelism).toBe(4);
    await h.waitForReconciles(name, 3);
    expect((await h.callsFor(name)).filter((c) => c.operation === "UpdateApplication").length).toBe(
      updatesBefore,
    );
  });

  it("honours restore and allowNonRestoredState on start and on an update without a snapshot", async () => {
    const name = `${h.namespace}-restore-cfg`;
    await h.apply(
      h.app(
        name,
        spec({
          restore: { type: "SkipRestore" },
          allowNonRestoredState: true,
          snapshots: { beforeUpdate: false },
        }),
      ),
    );
    await h.waitForApp(name, running, "running");
    const start = (await h.callsFor(name)).find((c) => c.operation === "StartApplication" && !c.error);
    expect(start?.input).toMatchObject({
      RunConfiguration: {
        ApplicationRestoreConfiguration: { ApplicationRestoreType: "SKIP_RESTORE_FROM_SNAPSHOT" },
        FlinkRunConfiguration: { AllowNonRestoredState: true },
      },
    });
    await h.mergePatch(name, { spec: { parallelism: { parallelism: 5 } } });
    await h.waitForApp(
      name,
      (o) => running(o) && o.status?.configuredParallelism === 5 && !o.status?.operation,
      "updated",
    );
    const calls = (await h.callsFor(name)).filter((c) => !c.error);
    expect(calls.filter((c) => c.operation === "CreateApplicationSnapshot")).toEqual([]);
    expect(calls.find((c) => c.operation === "UpdateApplication")?.input).toMatchObject({
      RunConfigurationUpdate: {
        ApplicationRestoreConfiguration: { ApplicationRestoreType: "SKIP_RESTORE_FROM_SNAPSHOT" },
        FlinkRunConfiguration: { AllowNonRestoredState: true },
      },
    });
  });
});

describe("failed updates", () => {
  it("reports a failed update with the operation's failure details and does not loop", async () => {
    const name = `${h.namespace}-fail`;
    await h.apply(h.app(name, spec()));
    await h.waitForApp(name, running, "running");
    await h.emulator("POST", `/applications/${name}/fail-next-update`, {
      reason: "job graph does not restore",
    });
    await h.mergePatch(name, { spec: { parallelism: { parallelism: 6 } } });
    const app = await h.waitForApp(name, (o) => condition(o, "Stalled")?.status === "True", "Stalled");
    expect(condition(app, "Stalled")?.reason).toBe("UpdateFailed");
    expect(app.status?.lastFailedUpdate).toMatchObject({
      generation: app.metadata.generation,
      rolledBack: "None",
    });
    expect(app.status?.lastFailedUpdate?.message).toMatch(/job graph does not restore/);
    const events = JSON.parse(await h.kubectlOk(["get", "events", "-n", h.namespace, "-o", "json"]))
      .items as {
      reason: string;
      involvedObject: { name: string };
    }[];
    expect(events.some((e) => e.reason === "UpdateFailed" && e.involvedObject.name === name)).toBe(true);
    // No loop: the same generation is not tried again — no second update, no start of the failed
    // version — across several resyncs.
    const count = async (op: string) => (await h.callsFor(name)).filter((c) => c.operation === op).length;
    const updates = await count("UpdateApplication");
    const starts = await count("StartApplication");
    await h.tearDown();
    await h.startOperator({ resyncPeriodMs: 200 });
    await h.waitForReconciles(name, 4);
    expect(await count("UpdateApplication")).toBe(updates);
    expect(await count("StartApplication")).toBe(starts);
    const after = await h.get(name);
    expect(condition(after, "Stalled")?.reason).toBe("UpdateFailed");
    expect(after?.status?.applicationStatus).toBe("READY");
  });

  it("RestorePreviousVersion reverts the configuration and restores the pre-update snapshot", async () => {
    const name = `${h.namespace}-restore`;
    await h.apply(h.app(name, spec({ rollback: { onFailure: "RestorePreviousVersion" } })));
    await h.waitForApp(name, running, "running");
    await h.emulator("POST", `/applications/${name}/fail-next-update`, { reason: "incompatible state" });
    await h.mergePatch(name, { spec: { parallelism: { parallelism: 6 } } });
    const app = await h.waitForApp(
      name,
      (o) =>
        o.status?.lastFailedUpdate?.rolledBack === "Operator" &&
        o.status?.applicationStatus === "RUNNING" &&
        condition(o, "Stalled")?.status === "True",
      "rolled back and running",
      60_000,
    );
    expect(app.status?.configuredParallelism).toBe(4);
    expect(condition(app, "Stalled")?.reason).toBe("UpdateFailed");
    const snapshotName = app.status?.lastFailedUpdate?.snapshotName;
    expect(snapshotName).toBeTruthy();
    const start = (await h.callsFor(name))
      .filter((c) => c.operation === "StartApplication" && !c.error)
      .at(-1);
    expect(start?.input).toMatchObject({
      RunConfiguration: {
        ApplicationRestoreConfiguration: {
          ApplicationRestoreType: "RESTORE_FROM_CUSTOM_SNAPSHOT",
          SnapshotName: snapshotName,
        },
      },
    });
  });

  it("with system rollback on, reports the service's rollback", async () => {
    const name = `${h.namespace}-sysrb`;
    await h.apply(h.app(name, spec({ rollback: { systemRollback: true } })));
    await h.waitForApp(name, running, "running");
    const created = (await h.callsFor(name)).find((c) => c.operation === "CreateApplication");
    expect(created?.input).toMatchObject({
      ApplicationConfiguration: { ApplicationSystemRollbackConfiguration: { RollbackEnabled: true } },
    });
    await h.emulator("POST", `/applications/${name}/fail-next-update`, { reason: "crash loop" });
    await h.mergePatch(name, { spec: { parallelism: { parallelism: 6 } } });
    const app = await h.waitForApp(
      name,
      (o) => o.status?.lastFailedUpdate?.rolledBack === "Service",
      "service rollback",
      60_000,
    );
    expect(condition(app, "Stalled")?.reason).toBe("UpdateFailed");
  });
});

describe("retention", () => {
  it("after N+3 updates exactly N operator snapshots remain; the user's own are untouched", async () => {
    const name = `${h.namespace}-ret`;
    const keep = 2;
    await h.apply(h.app(name, spec({ snapshots: { retention: { maxCount: keep } } })));
    await h.waitForApp(name, running, "running");
    await aws.send(
      new CreateApplicationSnapshotCommand({ ApplicationName: name, SnapshotName: "users-own" }),
    );
    for (let i = 1; i <= keep + 3; i++) {
      await h.mergePatch(name, { spec: { parallelism: { parallelism: 4 + i } } });
      await h.waitForApp(
        name,
        (o) => running(o) && o.status?.configuredParallelism === 4 + i && !o.status?.operation,
        `update ${i}`,
      );
    }
    const operatorMade = (s: { SnapshotName?: string }) => /-g\d+-\d{8}T\d{6}Z$/.test(s.SnapshotName ?? "");
    await waitFor(async () => (await snapshotsOf(name)).filter(operatorMade).length === keep, {
      timeoutMs: 20_000,
      description: `${keep} operator snapshots`,
    });
    const names = (await snapshotsOf(name)).map((s) => s.SnapshotName);
    expect(names).toContain("users-own");
    const app = await h.get(name);
    expect(app?.status?.snapshots?.map((s) => s.name).sort()).toEqual(
      (await snapshotsOf(name))
        .filter(operatorMade)
        .map((s) => s.SnapshotName)
        .sort(),
    );
  });
});
