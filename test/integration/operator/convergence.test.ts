// Convergence is bounded (issue 14): against a service that describes less than it was sent, with
// DEFAULT configuration types, and when AWS applies a call but its response is lost, every application
// settles with at most one write of each kind per generation.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { EmulatorCall } from "./harness.js";
import { condition, Harness, isReady } from "./harness.js";

const h = new Harness();
const running = (o: Parameters<typeof isReady>[0]) => isReady(o) && o.status?.applicationStatus === "RUNNING";
const spec = (over: Record<string, unknown> = {}) => ({
  runtimeEnvironment: "FLINK-1_20",
  serviceExecutionRole: "arn:aws:iam::123456789012:role/flink",
  code: { s3: { bucket: "conv-apps", key: "app.jar" } },
  ...over,
});
const succeeded = (calls: EmulatorCall[], op: string) => calls.filter((c) => c.operation === op && !c.error);

beforeAll(async () => {
  await h.setUp();
  await h.putCode("conv-apps", "app.jar");
  await h.startOperator({ resyncPeriodMs: 200 });
});
afterEach(async () => {
  await h.emulator("DELETE", "/faults");
  await h.emulator("PUT", "/config", { describe: "complete" });
});
afterAll(() => h.tearDown());

describe("bounded convergence", () => {
  it("settles against a service that describes configuration incompletely: one update per generation", async () => {
    await h.emulator("PUT", "/config", { describe: "sparse" });
    const name = `${h.namespace}-sparse`;
    const custom = {
      checkpointing: { intervalMillis: 30_000 },
      monitoring: { logLevel: "WARN" },
      parallelism: { parallelism: 2, parallelismPerKPU: 2 },
    };
    await h.apply(h.app(name, spec(custom)));
    await h.waitForApp(name, running, "running");
    await h.mergePatch(name, { spec: { parallelism: { parallelism: 3 } } });
    const app = await h.waitForApp(
      name,
      (o) => running(o) && o.status?.configuredParallelism === 3 && !o.status?.operation,
      "running on parallelism 3",
    );
    // Many resyncs later: still exactly one update for generation 2, and a clear, steady status.
    await h.waitForReconciles(name, 10);
    expect(succeeded(await h.callsFor(name), "UpdateApplication")).toHaveLength(1);
    const now = await h.get(name);
    expect(condition(now, "Ready")).toMatchObject({ status: "True" });
    expect(now?.status?.applicationVersionId).toBe(app.status?.applicationVersionId);
  });

  it("never updates for values AWS reports as implied by DEFAULT configuration types", async () => {
    const name = `${h.namespace}-defaults`;
    await h.apply(h.app(name, spec()));
    await h.waitForApp(name, running, "running");
    await h.waitForReconciles(name, 10);
    expect(succeeded(await h.callsFor(name), "UpdateApplication")).toHaveLength(0);
  });

  it("applied calls whose responses are lost (30% of creates, snapshots, updates): no duplicates", async () => {
    for (const [operation, seed] of [
      ["CreateApplication", 11],
      ["CreateApplicationSnapshot", 12],
      ["UpdateApplication", 13],
    ] as const) {
      await h.emulator("POST", "/faults", { operation, kind: "lost", probability: 0.3, seed });
    }
    const names = Array.from({ length: 10 }, (_, i) => `${h.namespace}-lost-${i}`);
    for (const name of names) await h.apply(h.app(name, spec({ parallelism: { parallelism: 2 } })));
    for (const name of names) await h.waitForApp(name, running, `${name} running`, 90_000);
    for (const name of names) await h.mergePatch(name, { spec: { parallelism: { parallelism: 3 } } });
    for (const name of names) {
      await h.waitForApp(
        name,
        (o) => running(o) && o.status?.configuredParallelism === 3 && !o.status?.operation,
        `${name} on parallelism 3`,
        90_000,
      );
    }
    const all = await h.emulator<EmulatorCall[]>("GET", "/calls");
    expect(all.filter((c) => (c as { responseLost?: boolean }).responseLost).length).toBeGreaterThan(0);
    for (const name of names) {
      const calls = await h.callsFor(name);
      expect(succeeded(calls, "CreateApplication"), name).toHaveLength(1);
      expect(succeeded(calls, "CreateApplicationSnapshot"), name).toHaveLength(1);
      expect(succeeded(calls, "UpdateApplication"), name).toHaveLength(1);
      expect((await h.get(name))?.status?.applicationVersionId, name).toBe(2);
    }
  });
});
