// The job health monitor wired into the operator: a RUNNING application's metrics, published by the
// emulator to moto's CloudWatch as Managed Flink publishes them, are read by the operator and exposed
// per application on /metrics; when the application goes, so do its series.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtInThresholds } from "../../../src/health/judge.js";
import { waitFor } from "../../../src/localstack/processes.js";
import { Harness, isReady } from "./harness.js";

const h = new Harness();
const name = `${h.namespace}-health`;

beforeAll(async () => {
  await h.setUp();
  await h.putCode("health-apps", "app.jar");
});
afterAll(() => h.tearDown());

const metrics = async (port: number) => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();

describe("job health wiring", () => {
  it("reads a RUNNING application's job metrics into per-application gauges, and drops them when it goes", async () => {
    const op = await h.startOperator({
      health: { intervalSeconds: 1, periodSeconds: 1, defaults: { ...builtInThresholds, windowSeconds: 60 } },
    });
    await h.apply(
      h.app(name, {
        runtimeEnvironment: "FLINK-1_20",
        serviceExecutionRole: "arn:aws:iam::123456789012:role/flink",
        code: { s3: { bucket: "health-apps", key: "app.jar" } },
      }),
    );
    await h.waitForApp(name, (o) => isReady(o) && o.status?.applicationStatus === "RUNNING", "running");
    const series = `namespace="${h.namespace}",name="${name}"`;
    // The emulator publishes every 10 s (docs/emulator.md); the operator reads every second.
    const text = await waitFor(
      async () => {
        const t = await metrics(op.port);
        return t.includes(`managedflink_job_verdict{${series},verdict="Healthy"} 1`) ? t : undefined;
      },
      { timeoutMs: 40_000, intervalMs: 500, description: "the job judged Healthy on /metrics" },
    );
    expect(text).toMatch(new RegExp(`managedflink_job_uptime\\{${series}\\} \\d+`));
    expect(text).toContain(`managedflink_job_full_restarts{${series}} 0`);
    expect(text).toMatch(
      /managed_flink_operator_cloudwatch_get_metric_data_calls_total\{outcome="success"\} [1-9]/,
    );

    await h.kubectlOk(["delete", "flinkapplication", name, "-n", h.namespace, "--wait=false"]);
    await waitFor(async () => !(await metrics(op.port)).includes(series), {
      timeoutMs: 40_000,
      intervalMs: 500,
      description: "the application's series removed",
    });
  });
});
