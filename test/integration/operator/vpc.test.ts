// Adding and removing a VPC on the local stack: each is one snapshot and one call of the right kind
// (AddApplicationVpcConfiguration / DeleteApplicationVpcConfiguration), then RUNNING on a new version.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Harness, isReady } from "./harness.js";

const h = new Harness();
const name = `${h.namespace}-vpc`;
const spec = {
  runtimeEnvironment: "FLINK-1_20",
  serviceExecutionRole: "arn:aws:iam::123456789012:role/flink",
  code: { s3: { bucket: "vpc-apps", key: "app.jar" } },
};
const running = (o: Parameters<typeof isReady>[0]) =>
  isReady(o) && o.status?.applicationStatus === "RUNNING" && !o.status?.operation;

beforeAll(async () => {
  await h.setUp();
  await h.putCode("vpc-apps", "app.jar");
  await h.startOperator();
});
afterAll(() => h.tearDown());

async function writesAfter(change: () => Promise<void>, fromVersion: number) {
  await h.emulator("DELETE", "/calls");
  await change();
  const app = await h.waitForApp(
    name,
    (o) => running(o) && (o.status?.applicationVersionId ?? 0) > fromVersion,
    "running on a new version",
  );
  const calls = (await h.callsFor(name)).filter((c) => !c.error);
  return {
    app,
    calls,
    writes: calls
      .map((c) => c.operation)
      .filter((op) => !op.startsWith("Describe") && !op.startsWith("List")),
  };
}

describe("VPC add and remove", () => {
  it("adds, then removes, the VPC of a running application, snapshot first each time", async () => {
    await h.apply(h.app(name, spec));
    const first = await h.waitForApp(name, running, "running");

    const added = await writesAfter(
      () =>
        h.mergePatch(name, {
          spec: { vpc: { subnetIds: ["subnet-a", "subnet-b"], securityGroupIds: ["sg-a"] } },
        }),
      first.status!.applicationVersionId!,
    );
    expect(added.writes).toEqual(["CreateApplicationSnapshot", "AddApplicationVpcConfiguration"]);
    expect(added.calls.find((c) => c.operation === "AddApplicationVpcConfiguration")!.input).toEqual({
      ApplicationName: name,
      CurrentApplicationVersionId: first.status!.applicationVersionId,
      VpcConfiguration: { SubnetIds: ["subnet-a", "subnet-b"], SecurityGroupIds: ["sg-a"] },
    });
    expect(added.app.status?.conditions?.find((c) => c.type === "Ready")?.message).not.toContain("drift");

    const removed = await writesAfter(
      () =>
        h
          .kubectlOk([
            "patch",
            "flinkapp",
            name,
            "-n",
            h.namespace,
            "--type=json",
            "-p",
            '[{"op":"remove","path":"/spec/vpc"}]',
          ])
          .then(() => {}),
      added.app.status!.applicationVersionId!,
    );
    expect(removed.writes).toEqual(["CreateApplicationSnapshot", "DeleteApplicationVpcConfiguration"]);
    expect(removed.app.status?.applicationStatus).toBe("RUNNING");
  });
});
