// Efficiency: once applications are settled, a resync costs exactly one DescribeApplication per
// application and writes nothing — not to AWS, not to Kubernetes (no status, no events).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../../src/localstack/processes.js";
import { Harness, isReady } from "./harness.js";

const h = new Harness();
const names = ["a", "b", "c"].map((n) => `${h.namespace}-steady-${n}`);

beforeAll(async () => {
  await h.setUp();
  await h.putCode("steady-apps", "app.jar");
});
afterAll(() => h.tearDown());

const reconciles = h.reconciles;

describe("steady state", () => {
  it("costs one DescribeApplication per application per resync and no writes", async () => {
    const resyncPeriodMs = 400;
    await h.startOperator({ resyncPeriodMs });
    for (const name of names) {
      await h.apply(
        h.app(name, {
          runtimeEnvironment: "FLINK-1_20",
          serviceExecutionRole: "arn:aws:iam::123456789012:role/flink",
          code: { s3: { bucket: "steady-apps", key: "app.jar" } },
          parallelism: { parallelism: 2, autoScaling: true },
          environmentProperties: { App: { "input.stream": "events" } },
          tags: { team: "data" },
        }),
      );
    }
    for (const name of names) {
      await h.waitForApp(name, (o) => isReady(o) && o.status?.applicationStatus === "RUNNING", "settled");
    }
    // Once every application has been reconciled once more after settling, nothing is in flight.
    const settled = new Map(reconciles);
    await waitFor(async () => names.every((n) => (reconciles.get(n) ?? 0) > (settled.get(n) ?? 0)), {
      timeoutMs: 10_000,
      description: "one more reconcile of each application",
    });
    const before = new Map<string, string>();
    for (const name of names) before.set(name, (await h.get(name))!.metadata.resourceVersion!);
    const eventsBefore = JSON.parse(await h.kubectlOk(["get", "events", "-n", h.namespace, "-o", "json"]))
      .items.length;
    await h.emulator("DELETE", "/calls");
    reconciles.clear();

    await waitFor(async () => names.every((n) => (reconciles.get(n) ?? 0) >= 3), {
      timeoutMs: 20_000,
      description: "three resyncs of every application",
    });
    // Stopping waits for reconciles in flight, so the counts below are final and exact.
    await h.tearDown();
    const calls = await h.emulator<{ operation: string; input: { ApplicationName?: string } }[]>(
      "GET",
      "/calls",
    );
    const counted = new Map(names.map((n) => [n, reconciles.get(n) ?? 0]));

    expect(calls.filter((c) => c.operation !== "DescribeApplication")).toEqual([]);
    for (const name of names) {
      const describes = calls.filter((c) => c.input.ApplicationName === name).length;
      expect(describes).toBe(counted.get(name));
    }
    for (const name of names) expect((await h.get(name))!.metadata.resourceVersion).toBe(before.get(name));
    const eventsAfter = JSON.parse(await h.kubectlOk(["get", "events", "-n", h.namespace, "-o", "json"]))
      .items.length;
    expect(eventsAfter).toBe(eventsBefore);
  });
});
