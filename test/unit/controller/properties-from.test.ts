// spec.environmentPropertiesFrom: ConfigMap property groups are compared and updated like inline ones.
import { describe, expect, it } from "vitest";
import { contentHash, resolveProperties } from "../../../src/controller/properties-from.js";
import { flinkApp } from "./fakes.js";
import { world } from "./world.js";

const cm = (data: Record<string, string>, resourceVersion = "1") => ({
  metadata: { name: "orders-config", namespace: "team-a", resourceVersion },
  data,
});
const from = {
  environmentPropertiesFrom: [{ propertyGroupId: "Job", configMapRef: { name: "orders-config" } }],
};

describe("properties from ConfigMaps", () => {
  it("creates with the ConfigMap's properties and records their hash once running", async () => {
    const w = world(
      flinkApp(from),
      undefined,
      new Map([["team-a/orders-config", cm({ "window.seconds": "60" })]]),
    );
    await w.untilReady();
    const groups =
      w.aws.apps.get("orders")!.detail.ApplicationConfigurationDescription?.EnvironmentPropertyDescriptions
        ?.PropertyGroupDescriptions;
    expect(groups).toEqual([{ PropertyGroupId: "Job", PropertyMap: { "window.seconds": "60" } }]);
    expect(w.kube.obj.status?.propertiesFrom).toEqual({
      hash: contentHash({ Job: { "window.seconds": "60" } }),
      configMaps: ["orders-config@1"],
    });
  });

  it("a ConfigMap edit is exactly one snapshot and one update, with no spec change", async () => {
    const w = world(
      flinkApp(from),
      undefined,
      new Map([["team-a/orders-config", cm({ "window.seconds": "60" })]]),
    );
    await w.untilReady();
    const before = w.kube.obj.status?.propertiesFrom?.hash;
    w.aws.calls.length = 0;
    w.configMaps.set("team-a/orders-config", cm({ "window.seconds": "30" }, "2"));
    await w.reconcile();
    expect(w.kube.obj.status?.operation).toMatchObject({ fields: ["environmentProperties"] });
    for (
      let i = 0;
      i < 8 && (w.kube.obj.status?.operation || w.kube.obj.status?.propertiesFrom?.hash === before);
      i++
    ) {
      await w.reconcile();
      w.aws.settle();
    }
    expect(w.writes()).toEqual(["CreateApplicationSnapshot", "UpdateApplication"]);
    expect(w.aws.updates[0]?.ApplicationConfigurationUpdate?.EnvironmentPropertyUpdates).toEqual({
      PropertyGroups: [{ PropertyGroupId: "Job", PropertyMap: { "window.seconds": "30" } }],
    });
    expect(w.kube.obj.status?.propertiesFrom?.hash).toBe(contentHash({ Job: { "window.seconds": "30" } }));
    // Settled: more passes change nothing.
    const calls = w.aws.calls.length;
    await w.reconcile();
    expect(w.writes()).toHaveLength(2);
    expect(w.aws.calls.slice(calls)).toEqual(["DescribeApplication"]);
  });

  it("a deleted ConfigMap stalls with a message naming the field, and nothing is called in AWS", async () => {
    const w = world(flinkApp(from), undefined, new Map([["team-a/orders-config", cm({ a: "1" })]]));
    await w.untilReady();
    w.aws.calls.length = 0;
    w.configMaps.delete("team-a/orders-config");
    await w.reconcile();
    await w.reconcile();
    expect(w.condition("Stalled")).toMatchObject({
      status: "True",
      reason: "ConfigMapNotFound",
      message:
        "spec.environmentPropertiesFrom[0].configMapRef: ConfigMap team-a/orders-config not found; nothing was changed in AWS",
    });
    expect(w.writes()).toEqual([]);
    expect(w.kube.events.filter((e) => e.reason === "ConfigMapNotFound")).toHaveLength(1);
    // Back again: Stalled clears, and the same content needs no update.
    w.configMaps.set("team-a/orders-config", cm({ a: "1" }, "5"));
    await w.reconcile();
    expect(w.condition("Stalled")?.status).toBe("False");
    expect(w.writes()).toEqual([]);
  });

  it("after a failed update, fixing the ConfigMap tries again (as a spec change would)", async () => {
    const w = world(flinkApp(from), undefined, new Map([["team-a/orders-config", cm({ a: "1" })]]));
    await w.untilReady();
    w.configMaps.set("team-a/orders-config", cm({ a: "broken" }, "2"));
    for (let i = 0; i < 4 && !w.aws.calls.includes("UpdateApplication"); i++) {
      await w.reconcile();
      w.aws.settle();
    }
    // The job fails on the new properties: the service leaves it READY on the new version.
    w.aws.apps.get("orders")!.detail.ApplicationStatus = "READY";
    await w.reconcile();
    expect(w.kube.obj.status?.lastFailedUpdate).toMatchObject({
      generation: 1,
      propertiesHash: contentHash({ Job: { a: "broken" } }),
    });
    const calls = w.aws.calls.length;
    await w.reconcile();
    expect(w.condition("Stalled")).toMatchObject({ status: "True", reason: "UpdateFailed" });
    expect(w.aws.calls.slice(calls)).toEqual(["DescribeApplication"]);

    w.configMaps.set("team-a/orders-config", cm({ a: "fixed" }, "3"));
    await w.untilReady();
    expect(w.aws.updates.at(-1)?.ApplicationConfigurationUpdate?.EnvironmentPropertyUpdates).toEqual({
      PropertyGroups: [{ PropertyGroupId: "Job", PropertyMap: { a: "fixed" } }],
    });
    expect(w.aws.calls.slice(calls)).toContain("StartApplication");
  });

  it("refuses a Secret, a group defined twice and an empty ConfigMap, naming the field", () => {
    const spec = flinkApp().spec;
    const lookup = () => cm({});
    const err = (s: object) => {
      const r = resolveProperties({ ...spec, ...s }, "team-a", lookup);
      return "error" in r ? r.error : undefined;
    };
    expect(
      err({ environmentPropertiesFrom: [{ propertyGroupId: "S", secretRef: { name: "db" } }] }),
    ).toMatchObject({
      reason: "SecretRefused",
      message: expect.stringContaining("AWS Secrets Manager"),
    });
    expect(err({ ...from, environmentProperties: { Job: { a: "1" } } })?.message).toContain(
      "spec.environmentPropertiesFrom[0].propertyGroupId Job is also in spec.environmentProperties",
    );
    expect(err(from)).toMatchObject({
      reason: "InvalidConfigMap",
      message: expect.stringContaining("has no data"),
    });
    expect(contentHash({ g: { a: "1", b: "2" } })).toBe(contentHash({ g: { b: "2", a: "1" } }));
  });
});
