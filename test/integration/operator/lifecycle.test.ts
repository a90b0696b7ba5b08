import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../../src/controller/runtime/log.js";
import { waitFor } from "../../../src/localstack/processes.js";
import { condition, Harness, isReady } from "./harness.js";

const h = new Harness();
/** The first operator's log lines, as JSON objects. */
const logLines: Record<string, unknown>[] = [];
const logStream = new Writable({
  write(chunk, _enc, cb) {
    for (const l of chunk.toString().split("\n")) if (l) logLines.push(JSON.parse(l));
    cb();
  },
});

beforeAll(async () => {
  await h.setUp();
  await h.putCode("flink-apps", "engagement-metrics/engagement-metrics.jar");
  await h.startOperator({ log: createLogger("info", logStream) });
});
afterAll(() => h.tearDown());

describe("FlinkApplication lifecycle", () => {
  const name = "engagement-metrics";

  it("creates and starts the example application: RUNNING, Ready, ARN and version in status", async () => {
    await h.apply(h.example());
    const app = await h.waitForApp(
      name,
      (o) => isReady(o) && o.status?.applicationStatus === "RUNNING",
      "RUNNING and Ready",
    );
    expect(app.status?.applicationARN).toMatch(
      /^arn:aws:kinesisanalytics:us-east-1:\d{12}:application\/engagement-metrics$/,
    );
    expect(app.status?.applicationVersionId).toBeGreaterThanOrEqual(1);
    expect(app.status?.observedGeneration).toBe(app.metadata.generation);
    expect(condition(app, "Reconciling")?.status).toBe("False");
    expect(condition(app, "Stalled")?.status).toBe("False");
    expect(app.status?.configuredParallelism).toBe(4);
    expect(app.status?.codeLocation).toEqual({
      bucket: "flink-apps",
      key: "engagement-metrics/engagement-metrics.jar",
    });
    const ops = (await h.callsFor(name)).filter((c) => !c.error).map((c) => c.operation);
    expect(ops).toContain("CreateApplication");
    expect(ops.indexOf("StartApplication")).toBeGreaterThan(ops.indexOf("CreateApplication"));
  });

  it("shows the printer columns in kubectl get", async () => {
    const out = await h.kubectlOk(["get", "flinkapp", "-n", h.namespace]);
    const [header, row] = out.trim().split("\n");
    expect(header).toMatch(/^NAME\s+STATUS\s+READY\s+JOB\s+PARALLELISM\s+VERSION\s+AGE$/);
    // This operator reads no job health (no HEALTH_INTERVAL_SECONDS): the JOB column is empty.
    expect(row).toMatch(/^engagement-metrics\s+RUNNING\s+True\s+(<none>\s+)?4\s+\d+\s+\S+$/);
  });

  it("serves /metrics with a counter per AWS call by operation and outcome, and the probes", async () => {
    const port = h.operators[0]!.port;
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(text).toMatch(
      /managed_flink_operator_aws_api_calls_total\{operation="DescribeApplication",outcome="success"\} [1-9]/,
    );
    expect(text).toMatch(
      /managed_flink_operator_aws_api_calls_total\{operation="CreateApplication",outcome="success"\} 1/,
    );
    expect(text).toMatch(
      /controller_runtime_reconcile_total\{controller="flinkapplication",result="success"\} [1-9]/,
    );
    expect(text).toContain('workqueue_depth{name="flinkapplication",controller="flinkapplication"}');
    expect(text).toMatch(
      /workqueue_adds_total\{name="flinkapplication",controller="flinkapplication"\} [1-9]/,
    );
    expect(text).toMatch(
      /controller_runtime_reconcile_time_seconds_count\{controller="flinkapplication"\} [1-9]/,
    );
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
  });

  it("logs every line of a reconcile with controller, namespace, name and that reconcile's ID", async () => {
    // The reconciler's own lines name the step they are about.
    const reconcileLines = logLines.filter((l) => l.step !== undefined);
    expect(reconcileLines.length).toBeGreaterThan(0);
    for (const l of reconcileLines) {
      expect(l).toMatchObject({ controller: "flinkapplication", namespace: h.namespace, name });
      expect(l.reconcileID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
    // A fresh ID per reconcile: create and start are different reconciles.
    expect(new Set(reconcileLines.map((l) => l.reconcileID)).size).toBeGreaterThan(1);
  });

  it("records Events for its actions", async () => {
    const out = await h.kubectlOk(["get", "events", "-n", h.namespace, "-o", "json"]);
    const reasons = (JSON.parse(out).items as { reason: string }[]).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(["Created", "Starting"]));
  });

  it("stops on desiredState Stopped and starts again on Running", async () => {
    await h.mergePatch(name, { spec: { desiredState: "Stopped" } });
    await h.waitForApp(name, (o) => isReady(o) && o.status?.applicationStatus === "READY", "stopped");
    await h.mergePatch(name, { spec: { desiredState: "Running" } });
    await h.waitForApp(name, (o) => isReady(o) && o.status?.applicationStatus === "RUNNING", "running again");
    const ops = (await h.callsFor(name)).filter((c) => !c.error).map((c) => c.operation);
    const stop = ops.lastIndexOf("StopApplication");
    expect(stop).toBeGreaterThan(0);
    expect(ops.lastIndexOf("StartApplication")).toBeGreaterThan(stop);
  });

  it("starts an application again that fell to READY behind its back", async () => {
    const before = (await h.callsFor(name)).filter((c) => c.operation === "StartApplication").length;
    await h.emulator("POST", `/applications/${name}/force-status`, { status: "READY" });
    // The periodic resync notices; a short resync keeps this test quick.
    await h.tearDown();
    await h.startOperator({ resyncPeriodMs: 500 });
    const starts = async () =>
      (await h.callsFor(name)).filter((c) => c.operation === "StartApplication").length;
    await waitFor(async () => (await starts()) > before, {
      timeoutMs: 30_000,
      description: "a new StartApplication",
    });
    await h.waitForApp(name, (o) => isReady(o) && o.status?.applicationStatus === "RUNNING", "restarted");
    expect(await starts()).toBe(before + 1);
  });

  it("scales with kubectl scale through the scale subresource", async () => {
    await h.kubectlOk(["scale", "flinkapp", name, "-n", h.namespace, "--replicas=6"]);
    const app = await h.waitForApp(
      name,
      (o) => isReady(o) && o.status?.configuredParallelism === 6 && o.status?.applicationStatus === "RUNNING",
      "parallelism 6",
    );
    expect(app.spec.parallelism?.parallelism).toBe(6);
    const update = (await h.callsFor(name))
      .filter((c) => c.operation === "UpdateApplication" && !c.error)
      .at(-1);
    expect(update?.input).toMatchObject({
      ApplicationConfigurationUpdate: {
        FlinkApplicationConfigurationUpdate: { ParallelismConfigurationUpdate: { ParallelismUpdate: 6 } },
      },
    });
  });
});
