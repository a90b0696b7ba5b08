// spec.environmentPropertiesFrom on the local stack: the operator watches ConfigMaps, so an edit is
// one snapshot and one update with no spec change, and a deleted ConfigMap stalls with nothing
// changed in AWS.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { condition, Harness, isReady } from "./harness.js";

const h = new Harness();
const name = `${h.namespace}-props`;
const configMap = (data: Record<string, string>) =>
  JSON.stringify({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "job-settings", namespace: h.namespace },
    data,
  });
const running = (o: Parameters<typeof isReady>[0]) => isReady(o) && o.status?.applicationStatus === "RUNNING";

beforeAll(async () => {
  await h.setUp();
  await h.putCode("props-apps", "app.jar");
  await h.startOperator();
});
afterAll(() => h.tearDown());

describe("properties from a ConfigMap", () => {
  it("an edit triggers one snapshot and one update; a deletion stalls and changes nothing", async () => {
    await h.kubectlOk(["apply", "-f", "-"], configMap({ "window.seconds": "60" }));
    await h.apply(
      h.app(name, {
        runtimeEnvironment: "FLINK-1_20",
        serviceExecutionRole: "arn:aws:iam::123456789012:role/flink",
        code: { s3: { bucket: "props-apps", key: "app.jar" } },
        environmentPropertiesFrom: [{ propertyGroupId: "Job", configMapRef: { name: "job-settings" } }],
      }),
    );
    const first = await h.waitForApp(name, (o) => running(o) && Boolean(o.status?.propertiesFrom), "running");
    const generation = first.metadata.generation;
    await h.emulator("DELETE", "/calls");

    await h.kubectlOk(["apply", "-f", "-"], configMap({ "window.seconds": "30" }));
    const edited = await h.waitForApp(
      name,
      (o) =>
        running(o) &&
        !o.status?.operation &&
        o.status?.propertiesFrom?.hash !== first.status?.propertiesFrom?.hash,
      "updated from the edited ConfigMap",
    );
    expect(edited.metadata.generation).toBe(generation);
    const calls = (await h.callsFor(name)).filter((c) => !c.error);
    const writes = calls
      .map((c) => c.operation)
      .filter((op) => !op.startsWith("Describe") && !op.startsWith("List"));
    expect(writes).toEqual(["CreateApplicationSnapshot", "UpdateApplication"]);
    expect(calls.find((c) => c.operation === "UpdateApplication")!.input).toMatchObject({
      ApplicationConfigurationUpdate: {
        EnvironmentPropertyUpdates: {
          PropertyGroups: [{ PropertyGroupId: "Job", PropertyMap: { "window.seconds": "30" } }],
        },
      },
    });

    await h.emulator("DELETE", "/calls");
    await h.kubectlOk(["delete", "configmap", "job-settings", "-n", h.namespace]);
    const stalled = await h.waitForApp(name, (o) => condition(o, "Stalled")?.status === "True", "stalled");
    expect(condition(stalled, "Stalled")).toMatchObject({
      reason: "ConfigMapNotFound",
      message: `spec.environmentPropertiesFrom[0].configMapRef: ConfigMap ${h.namespace}/job-settings not found; nothing was changed in AWS`,
    });
    // One more pass (an annotation is no spec change) still calls nothing that writes.
    const more = h.waitForReconciles(name, 1);
    await h.kubectlOk(["annotate", "flinkapp", name, "-n", h.namespace, "example.com/poke=1"]);
    await more;
    const after = (await h.callsFor(name)).map((c) => c.operation);
    expect(after.filter((op) => !op.startsWith("Describe") && !op.startsWith("List"))).toEqual([]);
  });

  it("the API server refuses a Secret reference with the documented alternative", async () => {
    const r = await h.kubectl(
      ["apply", "-f", "-"],
      JSON.stringify(
        h.app(`${h.namespace}-secret`, {
          runtimeEnvironment: "FLINK-1_20",
          serviceExecutionRole: "arn:aws:iam::123456789012:role/flink",
          code: { s3: { bucket: "props-apps", key: "app.jar" } },
          environmentPropertiesFrom: [{ propertyGroupId: "Db", secretRef: { name: "db-password" } }],
        }),
      ),
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("spec.environmentPropertiesFrom[0].secretRef");
    expect(r.stderr).toContain("AWS Secrets Manager");
  });
});
