import { afterEach, describe, expect, it } from "vitest";
import { startHealthServer } from "../../../src/controller/runtime/http.js";
import { createMetrics, METRIC_PREFIX, metrics } from "../../../src/controller/runtime/metrics.js";

describe("metrics", () => {
  it("exposes every operator metric with the prefix, plus default process metrics", async () => {
    const m = createMetrics();
    m.observeReconcile("success", 0.2);
    m.observeReconcile("requeue", 0.1);
    m.observeReconcile("error", 1.5, "Throttling");
    m.observeAwsCall("DescribeApplication", "success", 0.05);
    m.trackQueue({ depth: 3 });
    m.trackQueue({ depth: 4 });
    m.setLeader(true);
    const text = await m.registry.metrics();
    expect(text).toContain(`${METRIC_PREFIX}reconcile_total{result="success"} 1`);
    expect(text).toContain(`${METRIC_PREFIX}reconcile_total{result="requeue"} 1`);
    expect(text).toContain(`${METRIC_PREFIX}reconcile_total{result="error"} 1`);
    expect(text).toContain(`${METRIC_PREFIX}reconcile_errors_total{reason="Throttling"} 1`);
    expect(text).toContain(`${METRIC_PREFIX}reconcile_duration_seconds_count 3`);
    expect(text).toContain(
      `${METRIC_PREFIX}aws_api_calls_total{operation="DescribeApplication",outcome="success"} 1`,
    );
    expect(text).toContain(
      `${METRIC_PREFIX}aws_api_call_duration_seconds_count{operation="DescribeApplication"} 1`,
    );
    expect(text).toContain(`${METRIC_PREFIX}workqueue_depth 7`);
    expect(text).toContain(`${METRIC_PREFIX}leader 1`);
    expect(text).toContain(`${METRIC_PREFIX}process_cpu_user_seconds_total`);
    const names = [...text.matchAll(/^# TYPE (\S+)/gm)].map((x) => x[1]!);
    expect(names.every((n) => n.startsWith(METRIC_PREFIX))).toBe(true);
  });

  it("the shared metrics object is usable", async () => {
    expect(await metrics.registry.metrics()).toContain(`${METRIC_PREFIX}leader 0`);
  });
});

describe("startHealthServer", () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it("serves /healthz, /readyz following isReady, /metrics, and 404 elsewhere", async () => {
    const m = createMetrics({ defaultMetrics: false });
    let ready = false;
    const server = await startHealthServer({
      port: 0,
      host: "127.0.0.1",
      isReady: () => ready,
      registry: m.registry,
    });
    close = server.close;
    const base = `http://127.0.0.1:${server.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    ready = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    expect(await res.text()).toContain(`${METRIC_PREFIX}leader 0`);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/healthz`, { method: "POST" })).status).toBe(405);
  });

  it("reports not ready when isReady throws", async () => {
    const m = createMetrics({ defaultMetrics: false });
    const server = await startHealthServer({
      port: 0,
      host: "127.0.0.1",
      isReady: () => {
        throw new Error("x");
      },
      registry: m.registry,
    });
    close = server.close;
    expect((await fetch(`http://127.0.0.1:${server.port}/readyz`)).status).toBe(503);
  });

  it("fails to start on a port in use", async () => {
    const m = createMetrics({ defaultMetrics: false });
    const a = await startHealthServer({
      port: 0,
      host: "127.0.0.1",
      isReady: () => true,
      registry: m.registry,
    });
    close = a.close;
    await expect(
      startHealthServer({ port: a.port, host: "127.0.0.1", isReady: () => true, registry: m.registry }),
    ).rejects.toThrow(/EADDRINUSE/);
  });
});
