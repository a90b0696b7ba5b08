// The tenancy policy inside the reconcile: a refused resource is Stalled with reason PolicyViolation,
// names the rule and the field, and costs no AWS (or S3) call at all — not even a read.

import pino from "pino";
import { describe, expect, it } from "vitest";
import { ManagedFlinkClients } from "../../../src/aws/managed-flink.js";
import { EventRecorder } from "../../../src/controller/events.js";
import { FlinkApplicationReconciler, finalizer } from "../../../src/controller/reconciler.js";
import type { FlinkApplication } from "../../../src/crds/types.generated.js";
import { type NamedRules, safeDefaults } from "../../../src/policy/index.js";
import { FakeKube, FakeManagedFlink, flinkApp, reconcilerFor, unrestricted } from "./fakes.js";

function world(obj: FlinkApplication, rules: NamedRules[] | undefined) {
  const aws = new FakeManagedFlink();
  const kube = new FakeKube(obj);
  const tenancy = { current: rules, rulesFor: () => tenancy.current };
  const reconciler = reconcilerFor(aws, kube, { tenancy });
  const condition = (type: string) => kube.obj.status?.conditions?.find((c) => c.type === type);
  return { aws, kube, tenancy, reconcile: () => reconciler.reconcile(kube.obj), condition };
}

const defaults = [
  { source: "operator defaults", rules: { ...safeDefaults("us-east-1"), codeSources: [{ bucket: "jars" }] } },
];

describe("tenancy in the reconcile", () => {
  it("refuses before any AWS call: Stalled PolicyViolation naming the rule and the field, one Warning event", async () => {
    const w = world(flinkApp({ region: "eu-west-1" }), defaults);
    await w.reconcile();
    await w.reconcile();
    expect(w.aws.calls).toEqual([]);
    expect(w.kube.obj.metadata.finalizers ?? []).toEqual([]);
    const stalled = w.condition("Stalled");
    expect(stalled).toMatchObject({ status: "True", reason: "PolicyViolation" });
    expect(stalled?.message).toContain(
      "rule regions: spec.region: region eu-west-1 is not allowed; allowed: us-east-1",
    );
    expect(w.condition("Ready")).toMatchObject({ status: "False", reason: "PolicyViolation" });
    expect(w.kube.events.filter((e) => e.reason === "PolicyViolation")).toHaveLength(1);
  });

  it("refuses an adopt annotation under the defaults without looking at AWS", async () => {
    // A name and a role the defaults allow in namespace team-a, so that adoption is what refuses.
    const w = world(
      flinkApp({
        applicationName: "team-a-orders",
        serviceExecutionRole: "arn:aws:iam::123456789012:role/team-a-flink",
      }),
      defaults,
    );
    w.kube.obj.metadata.annotations = { "managedflink.dev/adopt": "true" };
    await w.aws.createApplication({
      ApplicationName: "team-a-orders",
      RuntimeEnvironment: "FLINK-1_20",
      ServiceExecutionRole: "r",
    });
    const before = w.aws.calls.length;
    await w.reconcile();
    expect(w.aws.calls.slice(before)).toEqual([]);
    expect(w.condition("Stalled")?.message).toContain("allowAdoption");
  });

  it("proceeds once the spec is allowed, and keeps the link to the application while refused", async () => {
    const w = world(flinkApp({}), [{ source: "test", rules: unrestricted }]);
    for (let i = 0; i < 6 && w.condition("Ready")?.status !== "True"; i++) {
      await w.reconcile();
      w.aws.settle();
    }
    const arn = w.kube.obj.status?.applicationARN;
    expect(arn).toBeDefined();
    w.tenancy.current = defaults.map((d) => ({ ...d, rules: { ...d.rules, regions: ["eu-west-1"] } }));
    const calls = w.aws.calls.length;
    await w.reconcile();
    expect(w.aws.calls.length).toBe(calls);
    expect(w.condition("Stalled")?.reason).toBe("PolicyViolation");
    expect(w.kube.obj.status?.applicationARN).toBe(arn);
    w.tenancy.current = [{ source: "test", rules: unrestricted }];
    await w.reconcile();
    expect(w.condition("Stalled")?.status).not.toBe("True");
  });

  it("deleting a refused resource releases it and leaves the application in AWS untouched", async () => {
    const w = world(flinkApp({ deletionPolicy: "Delete" }), [{ source: "test", rules: unrestricted }]);
    for (let i = 0; i < 6 && w.condition("Ready")?.status !== "True"; i++) {
      await w.reconcile();
      w.aws.settle();
    }
    w.tenancy.current = [{ source: "p", rules: { ...unrestricted, allowDeletionPolicyDelete: false } }];
    w.kube.obj = { ...w.kube.obj, metadata: { ...w.kube.obj.metadata, deletionTimestamp: new Date() } };
    const calls = w.aws.calls.length;
    await w.reconcile();
    expect(w.kube.obj.metadata.finalizers).not.toContain(finalizer);
    expect(w.aws.calls.slice(calls)).toEqual([]);
    expect(await w.aws.describeApplication("orders")).toMatchObject({ ApplicationStatus: "RUNNING" });
  });

  it("decides nothing and calls nothing while the namespace is not in the cache", async () => {
    const w = world(flinkApp({}), undefined);
    expect(await w.reconcile()).toEqual({ requeueAfterMs: 1000 });
    expect(w.aws.calls).toEqual([]);
    expect(w.kube.obj.metadata.finalizers ?? []).toEqual([]);
  });

  it("makes the calls of a namespace with an assumed role through that role's clients", async () => {
    const aws = new FakeManagedFlink();
    const kube = new FakeKube(flinkApp({}));
    const roles: (string | undefined)[] = [];
    const log = pino({ level: "silent" });
    const role = "arn:aws:iam::111122223333:role/tenant-a";
    const r = new FlinkApplicationReconciler({
      kube,
      aws: new ManagedFlinkClients((_region, { assumeRoleARN }) => {
        roles.push(assumeRoleARN);
        return aws;
      }),
      events: new EventRecorder(kube, log, "test"),
      log,
      defaultRegion: "us-east-1",
      pollIntervalMs: 1000,
      tenancy: { rulesFor: () => [{ source: "p", rules: { ...unrestricted, assumeRoleARN: role } }] },
    });
    await r.reconcile(kube.obj);
    await r.reconcile(kube.obj);
    expect(aws.calls).toContain("DescribeApplication");
    expect(roles).toEqual([role]);
  });
});
