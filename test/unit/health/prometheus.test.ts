import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { gaugeName, jobHealthMetrics } from "../../../src/health/prometheus.js";
import type { JobHealth } from "../../../src/health/types.js";

const health = (verdict: JobHealth["verdict"]): JobHealth => ({
  verdict,
  message: "m",
  figures: {
    fullRestarts: { value: 3, timestamp: "2026-11-30T12:00:00Z" },
    KPUs: { value: 2, timestamp: "2026-11-30T12:00:00Z" },
  },
  checkedAt: "2026-11-30T12:00:00Z",
  restarts: 3,
  failedCheckpoints: 0,
  checkpointCompleted: false,
});

describe("job health metrics", () => {
  it("names gauges managedflink_job_<metric> in snake case", () => {
    expect(gaugeName("fullRestarts")).toBe("managedflink_job_full_restarts");
    expect(gaugeName("KPUs")).toBe("managedflink_job_kpus");
    expect(gaugeName("numRecordsInPerSecond")).toBe("managedflink_job_num_records_in_per_second");
  });

  it("exposes figures and the verdict per application, and removes the series of a forgotten one", async () => {
    const registry = new Registry();
    const m = jobHealthMetrics(registry);
    m.observe("team-a/orders", health("Restarting"));
    m.metricDataCall(494, "success");
    const text = await registry.metrics();
    expect(text).toContain('managedflink_job_full_restarts{namespace="team-a",name="orders"} 3');
    expect(text).toContain(
      'managedflink_job_verdict{namespace="team-a",name="orders",verdict="Restarting"} 1',
    );
    expect(text).toContain('managedflink_job_verdict{namespace="team-a",name="orders",verdict="Healthy"} 0');
    expect(text).toContain("managed_flink_operator_cloudwatch_get_metric_data_queries_total 494");
    m.forget("team-a/orders");
    expect(await registry.metrics()).not.toContain('name="orders"');
  });
});
