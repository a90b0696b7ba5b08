// Throttling and 5xx are retried with backoff until the application runs; a terminal error stalls the
// resource with the AWS message and nothing is retried until the spec changes.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { condition, Harness, isReady } from "./harness.js";

const h = new Harness();
const spec = (key: string) => ({
  runtimeEnvironment: "FLINK-1_20",
  serviceExecutionRole: "arn:aws:iam::123456789012:role/flink",
  code: { s3: { bucket: "err-apps", key } },
});

beforeAll(async () => {
  await h.setUp();
  await h.putCode("err-apps", "app.jar");
  await h.startOperator({
    resyncPeriodMs: 300,
  });
});
afterEach(() => h.emulator("DELETE", "/faults"));
afterAll(() => h.tearDown());

describe("AWS errors", () => {
  it("retries throttling and 5xx with backoff and ends RUNNING", async () => {
    const name = `${h.namespace}-flaky`;
    await h.emulator("POST", "/faults", { operation: "CreateApplication", kind: "throttle", times: 3 });
    // More 5xx than the SDK's own attempts, so the controller's per-key backoff must carry it.
    await h.emulator("POST", "/faults", { operation: "StartApplication", kind: "internal", times: 7 });
    await h.apply(h.app(name, spec("app.jar")));
    await h.waitForApp(
      name,
      (o) => isReady(o) && o.status?.applicationStatus === "RUNNING",
      "RUNNING",
      60_000,
    );
    const calls = await h.callsFor(name);
    const errorsOf = (op: string, type: string) =>
      calls.filter((c) => c.operation === op && c.error === type).length;
    expect(errorsOf("CreateApplication", "ThrottlingException")).toBe(3);
    expect(errorsOf("StartApplication", "InternalFailure")).toBe(7);
    expect(calls.filter((c) => c.operation === "CreateApplication" && !c.error)).toHaveLength(1);
    expect(calls.filter((c) => c.operation === "StartApplication" && !c.error)).toHaveLength(1);
    const app = await h.get(name);
    expect(app?.status?.lastError).toBeUndefined();
  });

  it("stalls on a terminal error with the AWS message and stops retrying until the spec changes", async () => {
    const name = `${h.namespace}-broken`;
    await h.apply(h.app(name, spec("missing.jar")));
    const app = await h.waitForApp(name, (o) => condition(o, "Stalled")?.status === "True", "Stalled");
    expect(condition(app, "Stalled")?.reason).toBe("InvalidArgumentException");
    expect(condition(app, "Stalled")?.message).toMatch(/missing\.jar/);
    expect(app.status?.lastError).toMatchObject({
      type: "InvalidArgumentException",
      operation: "CreateApplication",
      terminal: true,
    });
    expect(condition(app, "Ready")?.status).toBe("False");

    await h.waitForReconciles(name, 3);
    const creates = (await h.callsFor(name)).filter((c) => c.operation === "CreateApplication");
    expect(creates).toHaveLength(1);

    await h.putCode("err-apps", "fixed.jar");
    await h.mergePatch(name, { spec: { code: { s3: { key: "fixed.jar" } } } });
    const fixed = await h.waitForApp(
      name,
      (o) => isReady(o) && o.status?.applicationStatus === "RUNNING",
      "RUNNING after fix",
    );
    expect(condition(fixed, "Stalled")?.status).toBe("False");
    expect(fixed.status?.lastError).toBeUndefined();
  });
});
