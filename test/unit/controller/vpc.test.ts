// Adding and removing a VPC: one snapshot and one AddApplicationVpcConfiguration /
// DeleteApplicationVpcConfiguration while RUNNING, then RUNNING on the new version; at rest, the call
// alone.
import { describe, expect, it } from "vitest";
import { flinkApp } from "./fakes.js";
import { world } from "./world.js";

const vpc = { subnetIds: ["subnet-1", "subnet-2"], securityGroupIds: ["sg-1"] };

describe("VPC add and remove", () => {
  it("adds a VPC to a running application snapshot-first, then removes it the same way", async () => {
    const w = world();
    await w.untilReady();
    w.aws.calls.length = 0;
    w.bump({ vpc });
    await w.untilReady();
    expect(w.writes()).toEqual(["CreateApplicationSnapshot", "AddApplicationVpcConfiguration"]);
    const app = w.aws.apps.get("orders")!;
    expect(app.detail.ApplicationConfigurationDescription?.VpcConfigurationDescriptions?.[0]).toMatchObject({
      SubnetIds: ["subnet-1", "subnet-2"],
    });
    expect(w.kube.obj.status).toMatchObject({ applicationStatus: "RUNNING", applicationVersionId: 2 });
    expect(w.kube.obj.status?.snapshots?.[0]).toMatchObject({ reason: "BeforeUpdate", generation: 2 });
    expect(w.condition("Ready")?.message).not.toContain("drift not corrected");

    w.aws.calls.length = 0;
    w.bump({ vpc: undefined });
    await w.untilReady();
    expect(w.writes()).toEqual(["CreateApplicationSnapshot", "DeleteApplicationVpcConfiguration"]);
    expect(app.detail.ApplicationConfigurationDescription?.VpcConfigurationDescriptions).toBeUndefined();
    expect(w.kube.obj.status).toMatchObject({ applicationStatus: "RUNNING", applicationVersionId: 3 });
  });

  it("adds a VPC at rest with the call alone", async () => {
    const w = world(flinkApp({ desiredState: "Stopped" }));
    await w.untilReady();
    w.bump({ vpc });
    await w.untilReady();
    expect(w.writes()).toEqual(["CreateApplication", "AddApplicationVpcConfiguration"]);
  });

  it("updates other drift first, then adds the VPC as a second operation", async () => {
    const w = world(flinkApp({ parallelism: { parallelism: 2 } }));
    await w.untilReady();
    w.aws.calls.length = 0;
    w.bump({ vpc, parallelism: { parallelism: 3 } });
    for (let i = 0; i < 20 && (w.writes().length < 4 || w.kube.obj.status?.operation); i++) {
      await w.reconcile();
      w.aws.settle();
    }
    expect(w.writes()).toEqual([
      "CreateApplicationSnapshot",
      "UpdateApplication",
      "CreateApplicationSnapshot",
      "AddApplicationVpcConfiguration",
    ]);
    // Two operations of one generation in the same second: two snapshots, never the first restored twice.
    const names = (w.kube.obj.status?.snapshots ?? []).map((s) => s.name);
    expect(names).toEqual(["orders-g2-20261129T120000Z-v2", "orders-g2-20261129T120000Z"]);
  });
});
