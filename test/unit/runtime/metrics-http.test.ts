import { afterEach, describe, expect, it } from "vitest";
import { startHealthServer } from "../../../src/controller/runtime/http.js";
import { createMetrics, METRIC_PREFIX, metrics } from "../../../src/controller/runtime/metrics.js";

describe("metrics", () => {
  it("exposes controller-runtime's and client-go's names, ours under the prefix, and process metrics", async () => {
    const m = createMetrics();
    const c = m.controller("flinkapplication", 4);
    c.observeReconcile("success", 0.2);
    c.observeReconcile("requeue_after", 0.1);
    c.observeReconcile("error", 1.5, "Throttling");
    m.observeAwsCall("DescribeApplication", "success", 0.05);
    const q = m.workqueue("flinkapplication");
    for (const key of ["a", "b", "c", "a"]) q.add(key);
    m.leaderElection("managed-flink-operator").set(true);
    const text = await m.registry.metrics();
    const ctl = 'controller="flinkapplication"';
    expect(text).toContain(`controller_runtime_reconcile_total{${ctl},result="success"} 1`);
    expect(text).toContain(`controller_runtime_reconcile_total{${ctl},result="requeue_after"} 1`);
    expect(text).toContain(`controller_runtime_reconcile_total{${ctl},result="error"} 1`);
    // Every result exists from the start, as controller-runtime's initMetrics makes them.
    expect(text).toContain(`controller_runtime_reconcile_total{${ctl},result="requeue"} 0`);
    expect(text).toContain(`controller_runtime_reconcile_errors_total{${ctl}} 1`);
    expect(text).toContain(`${METRIC_PREFIX}reconcile_errors_total{${ctl},reason="Throttling"} 1`);
    expect(text).toContain(`controller_runtime_reconcile_time_seconds_count{${ctl}} 3`);
    expect(text).toContain(`controller_runtime_reconcile_time_seconds_bucket{le="0.15",${ctl}} 1`);
    expect(text).toContain(`controller_runtime_max_concurrent_reconciles{${ctl}} 4`);
    expect(text).toContain(`controller_runtime_active_workers{${ctl}} 0`);
    expect(text).toContain(
      `${METRIC_PREFIX}aws_api_calls_total{operation="DescribeApplication",outcome="success"} 1`,
    );
    expect(text).toContain(
      `${METRIC_PREFIX}aws_api_call_duration_seconds_count{operation="DescribeApplication"} 1`,
    );
    const queue = 'name="flinkapplication",controller="flinkapplication"';
    expect(text).toContain(`workqueue_depth{${queue}} 3`);
    expect(text).toContain(`workqueue_adds_total{${queue}} 4`);
    expect(text).toContain('leader_election_master_status{name="managed-flink-operator"} 1');
    expect(text).toContain("process_cpu_user_seconds_total");
    const names = [...text.matchAll(/^# TYPE (\S+)/gm)].map((x) => x[1]!);
    // managedflink_job_*: per-application job figures, named for what they describe (src/health/prometheus.ts).
    const families =
      /^(controller_runtime_|workqueue_|leader_election_|managed_flink_operator_|managedflink_job_|process_|nodejs_)/;
    expect(names.filter((n) => !families.test(n))).toEqual([]);
    for (const n of [
      "controller_runtime_reconcile_total",
      "controller_runtime_reconcile_errors_total",
      "controller_runtime_reconcile_time_seconds",
      "controller_runtime_max_concurrent_reconciles",
      "controller_runtime_active_workers",
      "workqueue_depth",
      "workqueue_adds_total",
      "workqueue_retries_total",
      "workqueue_queue_duration_seconds",
      "workqueue_work_duration_seconds",
      "workqueue_unfinished_work_seconds",
      "workqueue_longest_running_processor_seconds",
      "leader_election_master_status",
    ]) {
      expect(names).toContain(n);
    }
  });

  it("the shared metrics object is usable", async () => {
    expect(await metrics.registry.metrics()).toContain("# TYPE leader_election_master_status gauge");
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
    m.leaderElection("lock");
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
    expect(await res.text()).toContain('leader_election_master_status{name="lock"} 0');
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
