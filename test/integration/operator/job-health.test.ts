// Ready follows the job (issue 11), end to end on the fast tier: the operator reads the job metrics the
// emulator publishes to moto's CloudWatch exactly as Managed Flink publishes them, the emulator's admin
// API puts a version's job into a state, and what kubectl, Argo CD's check and kstatus see is asserted.
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import {
  KinesisAnalyticsV2Client,
  ListApplicationSnapshotsCommand,
} from "@aws-sdk/client-kinesis-analytics-v2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningOperator } from "../../../src/controller/operator.js";
import type { FlinkApplication } from "../../../src/crds/types.generated.js";
import { builtInThresholds } from "../../../src/health/judge.js";
import { JOB_METRICS } from "../../../src/health/types.js";
import { argoHealth, kstatus } from "../../unit/install/tools.js";
import { condition, Harness, isReady, restartingWithinTwoReads } from "./harness.js";

const h = new Harness();
const BUCKET = "job-health-apps";
const LOG_GROUP = "/aws/kinesis-analytics/job-health";
/** The operator's health interval: every assertion of "within two intervals" counts reads of this. */
const INTERVAL_SECONDS = 2;
let op: RunningOperator;
let flink: KinesisAnalyticsV2Client;

const spec = (extra: Record<string, unknown> = {}) => ({
  runtimeEnvironment: "FLINK-1_20",
  serviceExecutionRole: "arn:aws:iam::123456789012:role/flink",
  code: { s3: { bucket: BUCKET, key: "app.jar" } },
  // The emulator reports a completed checkpoint one CheckpointInterval after the job came up.
  checkpointing: { enabled: true, intervalMillis: 1000, minPauseBetweenCheckpointsMillis: 500 },
  parallelism: { parallelism: 1, autoScaling: false },
  deletionPolicy: "Delete",
  ...extra,
});

const healthy = (o: FlinkApplication) =>
  isReady(o) && o.status?.applicationStatus === "RUNNING" && o.status?.job?.verdict === "Healthy";

beforeAll(async () => {
  await h.setUp();
  await h.putCode(BUCKET, "app.jar");
  flink = new KinesisAnalyticsV2Client({ endpoint: h.stack.emulatorEndpoint, region: h.stack.region });
  const logs = new CloudWatchLogsClient({ endpoint: h.stack.s3Endpoint, region: h.stack.region });
  await logs.send(new CreateLogGroupCommand({ logGroupName: LOG_GROUP })).catch(() => {});
  await logs.send(new CreateLogStreamCommand({ logGroupName: LOG_GROUP, logStreamName: h.namespace }));
  logs.destroy();
  // The emulator publishes every second while this file runs (the shared stack's default is 10 s).
  await h.emulator("PUT", "/config", { metricsIntervalMs: 1000 });
  op = await h.startOperator({
    health: {
      intervalSeconds: INTERVAL_SECONDS,
      periodSeconds: 1,
      // A short window, so a job that recovered is judged Healthy again within seconds.
      defaults: { ...builtInThresholds, windowSeconds: 5 },
    },
  });
});

afterAll(async () => {
  await h.tearDown();
  await h.emulator("PUT", "/config", { metricsIntervalMs: 10_000 });
  flink?.destroy();
});

describe("Ready follows the job", () => {
  const name = `${h.namespace}-loop`;

  it("is not Ready while there are no job metrics, then Ready once the job is judged Healthy", async () => {
    await h.apply(h.app(name, spec()));
    const running = await h.waitForApp(name, (o) => o.status?.applicationStatus === "RUNNING", "RUNNING");
    // RUNNING alone is not Ready: either no data was read yet (NoData) or it already is Healthy.
    if (running.status?.job?.verdict !== "Healthy") {
      expect(condition(running, "Ready")?.status).toBe("False");
    }
    const app = await h.waitForApp(name, healthy, "Ready with a Healthy job");
    expect(app.status?.job?.metrics?.uptime?.value).toBeGreaterThanOrEqual(0);
    expect(app.status?.job?.metrics?.fullRestarts?.value).toBe(0);
    expect(argoHealth(app).status).toBe("Healthy");
  });

  it("turns Ready=False reason Restarting within two health intervals of a crash loop, and back without a spec change", async () => {
    const before = (await h.get(name))!;
    await h.emulator("PUT", `/applications/${name}/job`, { health: "crashLoop" });
    await h.emulator("POST", "/metrics/publish");
    const loop = await restartingWithinTwoReads(h, name, op.port);
    expect(condition(loop, "Ready")).toMatchObject({ status: "False", reason: "Restarting" });
    expect(condition(loop, "Ready")?.message).toMatch(/full restart/);
    expect(loop.status?.job?.verdict).toBe("Restarting");
    expect(argoHealth(loop)).toEqual({ status: "Degraded", message: condition(loop, "Stalled")?.message });
    expect(kstatus(loop).status).toBe("Failed");
    const kubectlGet = await h.kubectlOk(["get", "flinkapp", name, "-n", h.namespace]);
    expect(kubectlGet.split("\n")[1]).toMatch(/RUNNING\s+False\s+Restarting\s/);
    await expect.poll(async () => (await h.events(name)).map((e) => e.reason)).toContain("JobRestarting");

    await h.emulator("PUT", `/applications/${name}/job`, { health: "healthy" });
    const back = await h.waitForApp(name, healthy, "Ready again with a Healthy job");
    expect(back.metadata.generation).toBe(before.metadata.generation);
    expect(argoHealth(back).status).toBe("Healthy");
    await expect.poll(async () => (await h.events(name)).map((e) => e.reason)).toContain("JobHealthy");
    // Observed, never acted on: no write to AWS while the job crash-looped.
    const writes = (await h.callsFor(name)).filter(
      (c) =>
        !/^(Describe|List)/.test(c.operation) &&
        Date.parse(c.at) > Date.parse(before.status!.job!.checkedAt!),
    );
    expect(writes).toEqual([]);
  });
});

describe("updates are verified on the job", () => {
  const name = `${h.namespace}-update`;

  it("reports an update whose new job crash-loops as failed, with its log lines, and runs the previous version again from the pre-update snapshot", async () => {
    await h.apply(
      h.app(
        name,
        spec({
          logging: { logGroup: LOG_GROUP, logStream: h.namespace },
          rollback: { onFailure: "RestorePreviousVersion", stabilizationSeconds: 5 },
        }),
      ),
    );
    const first = await h.waitForApp(name, healthy, "Ready with a Healthy job");
    const version = first.status!.applicationVersionId!;
    // The version the update makes crash-loops as soon as it runs.
    await h.emulator("PUT", `/applications/${name}/job`, { health: "crashLoop", version: version + 1 });
    await h.mergePatch(name, { spec: { parallelism: { parallelism: 2 } } });

    const failed = await h.waitForApp(
      name,
      (o) => o.status?.lastFailedUpdate?.generation === 2,
      "the update reported as failed",
      60_000,
    );
    const failure = failed.status!.lastFailedUpdate!;
    expect(failure.message).toMatch(/crash-looping/);
    expect(failure.message).toContain("emulator: job crash-looping");
    await expect
      .poll(async () => (await h.events(name)).find((e) => e.reason === "UpdateFailed")?.message)
      .toMatch(/emulator: job crash-looping/);

    const rolledBack = await h.waitForApp(
      name,
      (o) =>
        o.status?.lastFailedUpdate?.rolledBack === "Operator" &&
        !o.status?.operation &&
        condition(o, "Stalled")?.status === "True",
      "rolled back to the previous version, the failed generation reported",
      60_000,
    );
    expect(condition(rolledBack, "Stalled")).toMatchObject({ status: "True", reason: "UpdateFailed" });
    expect(rolledBack.status?.configuredParallelism).toBe(1);
    const ops = (await h.callsFor(name)).filter((c) => !c.error).map((c) => c.operation);
    expect(ops.lastIndexOf("RollbackApplication")).toBeGreaterThan(ops.lastIndexOf("UpdateApplication"));
    // RollbackApplication restores the latest successful snapshot: one of the pre-update version's,
    // taken before the update (the operator's, then the service's own on the update).
    const snaps = await flink.send(new ListApplicationSnapshotsCommand({ ApplicationName: name }));
    const newest = [...(snaps.SnapshotSummaries ?? [])]
      .filter((s) => s.SnapshotStatus === "READY")
      .sort((a, b) => b.SnapshotCreationTimestamp!.getTime() - a.SnapshotCreationTimestamp!.getTime())[0];
    expect(newest?.ApplicationVersionId).toBe(version);
    expect(failure.snapshotName).toBeDefined();
    // The previous version runs healthy again.
    await h.waitForApp(
      name,
      (o) => o.status?.applicationStatus === "RUNNING" && o.status?.job?.verdict === "Healthy",
      "the previous version's job Healthy",
    );
  });
});

describe("the API documents status.job", () => {
  it("kubectl explain describes every field of status.job", async () => {
    const fields = [
      "verdict",
      "message",
      "since",
      "checkedAt",
      "metrics",
      ...JOB_METRICS.flatMap((m) => [`metrics.${m}`, `metrics.${m}.value`, `metrics.${m}.timestamp`]),
    ];
    for (const f of fields) {
      const out = await h.kubectlOk(["explain", `flinkapplications.status.job.${f}`]);
      const description = /DESCRIPTION:\n([\s\S]*?)(\n\n|$)/.exec(out)?.[1]?.trim();
      expect(description, f).toBeTruthy();
      expect(description, f).not.toBe("<empty>");
    }
    const all = await h.kubectlOk(["explain", "flinkapplications.status.job", "--recursive"]);
    for (const m of JOB_METRICS) expect(all).toContain(m);
  });
});
