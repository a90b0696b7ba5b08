// GitOps health of live FlinkApplications: a FlinkApplication is driven through its phases by the
// operator, and at each phase the chart's Argo CD Lua health check and sigs.k8s.io/cli-utils' kstatus
// (hack/kstatus) are run against the live object. With RECORD_HEALTH_FIXTURES=1 the objects are written
// to test/fixtures/health/ (volatile metadata stripped), which the unit test feeds to the Lua script;
// otherwise each phase is compared with its fixture, so a change in what the operator writes to status
// fails here until the fixtures are recorded again.
import { randomBytes } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FlinkApplication } from "../../../src/crds/types.generated.js";
import { waitFor } from "../../../src/localstack/processes.js";
import {
  argoHealth,
  fixturesDir,
  type HealthFixture,
  type KubeObject,
  kstatus,
  kstatusBin,
  luaBin,
  readHealthFixtures,
} from "../../unit/install/tools.js";
import { condition, Harness, isReady } from "../operator/harness.js";

const record = process.env.RECORD_HEALTH_FIXTURES === "1";
const h = new Harness();
const suffix = randomBytes(3).toString("hex");
const name = "orders-enrichment";
// The AWS name must be unique in the shared emulator; the fixtures show it as "orders-enrichment-xxxxxx".
const awsName = `${name}-${suffix}`;
const conflicting = "orders-enrichment-copy";
let timingsBefore: Record<string, number>;

const spec = {
  applicationName: awsName,
  runtimeEnvironment: "FLINK-1_20",
  serviceExecutionRole: "arn:aws:iam::123456789012:role/orders-enrichment",
  desiredState: "Running",
  deletionPolicy: "Delete",
  code: { s3: { bucket: "health-apps", key: "orders/orders-enrichment.jar" } },
  parallelism: { parallelism: 2 },
};

/**
 * The object as a GitOps tool sees it, minus what changes from run to run: uid, resourceVersion,
 * timestamps, managedFields, the random namespace and AWS name suffix, operation ids, and the apply
 * annotation.
 */
function stable(o: FlinkApplication): KubeObject {
  const { metadata } = o;
  const kept = {
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: {
      name: metadata.name,
      namespace: "data-platform",
      generation: metadata.generation,
      ...(metadata.finalizers ? { finalizers: metadata.finalizers } : {}),
    },
    spec: o.spec,
    ...(o.status ? { status: o.status } : {}),
  };
  const text = JSON.stringify(kept)
    .replaceAll(h.namespace, "data-platform")
    .replaceAll(suffix, "xxxxxx")
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, "2026-01-01T00:00:00Z")
    // Snapshot names carry a compact UTC time; AWS operation ids are random.
    .replace(/\d{8}T\d{6}Z/g, "20260101T000000Z")
    .replace(/"op-[0-9a-f]+"/g, '"op-0000000000000000"');
  return JSON.parse(text) as KubeObject;
}

/** What a fixture must keep matching: the fields health checks read. */
function projection(o: KubeObject) {
  const status = o.status as FlinkApplication["status"] | undefined;
  return {
    generation: o.metadata.generation,
    desiredState: (o.spec as FlinkApplication["spec"]).desiredState,
    observedGeneration: status?.observedGeneration,
    applicationStatus: status?.applicationStatus,
    conditions: status?.conditions?.map((c) => ({ type: c.type, status: c.status, reason: c.reason })),
  };
}

const fixtures = new Map<string, HealthFixture>(
  existsSync(fixturesDir) ? readHealthFixtures().map((f) => [f.phase, f]) : [],
);

/** Checks (or records) one phase: the Lua health and kstatus of the live object. */
async function phase(
  id: string,
  description: string,
  expected: HealthFixture["expected"],
  live: FlinkApplication,
): Promise<void> {
  const object = stable(live);
  const argo = argoHealth(live);
  const ks = kstatus(live);
  expect({ argocd: argo.status, kstatus: ks.status }, `${id}: ${argo.message} / ${ks.message}`).toEqual(
    expected,
  );
  if (record) {
    const fixture: HealthFixture = { phase: id, description, expected, object };
    writeFileSync(join(fixturesDir, `${id}.json`), `${JSON.stringify(fixture, null, 2)}\n`);
    return;
  }
  const fixture = fixtures.get(id);
  expect(fixture, `no fixture for ${id}; run with RECORD_HEALTH_FIXTURES=1`).toBeDefined();
  expect(projection(object)).toEqual(projection(fixture!.object));
  expect(fixture!.expected).toEqual(expected);
}

const reconciling = (o: FlinkApplication) =>
  condition(o, "Reconciling")?.status === "True" && o.status?.observedGeneration === o.metadata.generation;

beforeAll(async () => {
  // Built or installed on first use (the kstatus build takes about a minute), inside the hook's timeout.
  kstatusBin();
  luaBin();
  await h.setUp();
  await h.putCode("health-apps", "orders/orders-enrichment.jar");
  // Transitions long enough to observe STARTING, UPDATING and STOPPING; restored afterwards.
  timingsBefore = (await h.emulator<{ timings: Record<string, number> }>("GET", "/config")).timings;
  await h.emulator("PUT", "/config", { timings: { startingMs: 1500, updatingMs: 1500, stoppingMs: 1500 } });
});
afterAll(async () => {
  // Delete with the operator running so that the emulator's applications go too.
  await h.kubectl(["delete", "flinkapp", "--all", "-n", h.namespace, "--wait=false"]);
  await waitFor(async () => (await h.get(name)) === undefined && (await h.get(conflicting)) === undefined, {
    timeoutMs: 30_000,
    description: "FlinkApplications deleted",
  }).catch(() => {});
  await h.emulator("PUT", "/config", { timings: timingsBefore });
  await h.tearDown();
});

describe("Argo CD health and kstatus of a FlinkApplication, phase by phase", () => {
  it("just created, no status yet: Progressing; kstatus Current (it cannot tell without status)", async () => {
    // No operator yet, as in the moment between `kubectl apply` and the controller's first reconcile.
    await h.apply(h.app(name, spec));
    const live = (await h.get(name))!;
    expect(live.status).toBeUndefined();
    await phase(
      "01-created-no-status",
      "applied, the controller has not reconciled it yet",
      { argocd: "Progressing", kstatus: "Current" },
      live,
    );
  });

  it("creating and starting: Progressing; kstatus InProgress", async () => {
    await h.startOperator();
    const live = await h.waitForApp(
      name,
      (o) => reconciling(o) && o.status?.applicationStatus === "STARTING",
      "STARTING with Reconciling=True",
    );
    await phase(
      "02-starting",
      "created in AWS and starting (Reconciling=True)",
      { argocd: "Progressing", kstatus: "InProgress" },
      live,
    );
  });

  it("running: Healthy; kstatus Current", async () => {
    const live = await h.waitForApp(
      name,
      (o) => isReady(o) && o.status?.applicationStatus === "RUNNING",
      "RUNNING",
    );
    await phase("03-running", "RUNNING and Ready", { argocd: "Healthy", kstatus: "Current" }, live);
  });

  it("spec changed, not yet observed: Progressing; kstatus InProgress", async () => {
    // Stop the operator so that the new generation stays unobserved long enough to look at.
    await h.tearDown();
    await h.mergePatch(name, { spec: { parallelism: { parallelism: 3 } } });
    const live = (await h.get(name))!;
    expect(live.status?.observedGeneration).toBeLessThan(live.metadata.generation!);
    await phase(
      "04-spec-changed",
      "a new generation the controller has not observed yet",
      { argocd: "Progressing", kstatus: "InProgress" },
      live,
    );
  });

  it("updating: Progressing; kstatus InProgress", async () => {
    await h.startOperator();
    const live = await h.waitForApp(
      name,
      (o) => reconciling(o) && o.status?.applicationStatus === "UPDATING",
      "UPDATING with Reconciling=True",
    );
    await phase(
      "05-updating",
      "UpdateApplication in flight",
      { argocd: "Progressing", kstatus: "InProgress" },
      live,
    );
    const after = await h.waitForApp(
      name,
      (o) => isReady(o) && o.status?.applicationStatus === "RUNNING" && o.status?.configuredParallelism === 3,
      "RUNNING with parallelism 3",
    );
    expect(argoHealth(after).status).toBe("Healthy");
    expect(kstatus(after).status).toBe("Current");
  });

  it("stopping: Progressing; kstatus InProgress", async () => {
    await h.mergePatch(name, { spec: { desiredState: "Stopped" } });
    const live = await h.waitForApp(
      name,
      (o) => reconciling(o) && o.status?.applicationStatus === "STOPPING",
      "STOPPING with Reconciling=True",
    );
    await phase(
      "06-stopping",
      "StopApplication in flight",
      { argocd: "Progressing", kstatus: "InProgress" },
      live,
    );
  });

  it("stopped as desired: Suspended; kstatus Current", async () => {
    const live = await h.waitForApp(
      name,
      (o) => isReady(o) && o.status?.applicationStatus === "READY",
      "READY",
    );
    await phase(
      "07-stopped",
      "desiredState Stopped, application READY",
      { argocd: "Suspended", kstatus: "Current" },
      live,
    );
  });

  it("stalled on a name another FlinkApplication owns: Degraded; kstatus Failed", async () => {
    await h.apply(h.app(conflicting, spec));
    const live = await h.waitForApp(
      conflicting,
      (o) =>
        condition(o, "Stalled")?.status === "True" && o.status?.observedGeneration === o.metadata.generation,
      "Stalled=True",
    );
    expect(condition(live, "Stalled")?.reason).toBe("NameConflict");
    await phase(
      "08-stalled",
      "Stalled=True: the AWS name belongs to another FlinkApplication",
      { argocd: "Degraded", kstatus: "Failed" },
      live,
    );
  });
});
