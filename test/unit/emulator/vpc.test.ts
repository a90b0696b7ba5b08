// AddApplicationVpcConfiguration / DeleteApplicationVpcConfiguration: a new version each; a running
// application is redeployed on it (UPDATING, then RUNNING), one at rest simply stores it.
import { describe, expect, it } from "vitest";
import { DEFAULT_TIMINGS } from "../../../src/emulator/lifecycle.js";
import { createInput, setup } from "./service-world.js";

async function app() {
  const { clock, call } = setup();
  await call("CreateApplication", createInput("orders"));
  const detail = async () =>
    (await call("DescribeApplication", { ApplicationName: "orders" })).ApplicationDetail;
  return { clock, call, detail };
}

const vpc = { SubnetIds: ["subnet-1"], SecurityGroupIds: ["sg-1"] };

describe("VPC configuration operations", () => {
  it("adds and deletes at rest: a new version each, no restart", async () => {
    const { call, detail } = await app();
    const added = await call("AddApplicationVpcConfiguration", {
      ApplicationName: "orders",
      CurrentApplicationVersionId: 1,
      VpcConfiguration: vpc,
    });
    expect(added).toMatchObject({
      ApplicationVersionId: 2,
      VpcConfigurationDescription: { SubnetIds: ["subnet-1"] },
    });
    expect(added.OperationId).toBeTruthy();
    expect((await detail()).ApplicationStatus).toBe("READY");
    await expect(
      call("AddApplicationVpcConfiguration", {
        ApplicationName: "orders",
        CurrentApplicationVersionId: 2,
        VpcConfiguration: vpc,
      }),
    ).rejects.toMatchObject({ type: "InvalidArgumentException" });
    await expect(
      call("DeleteApplicationVpcConfiguration", {
        ApplicationName: "orders",
        CurrentApplicationVersionId: 1,
        VpcConfigurationId: added.VpcConfigurationDescription.VpcConfigurationId,
      }),
    ).rejects.toMatchObject({ type: "ConcurrentModificationException" });
    const deleted = await call("DeleteApplicationVpcConfiguration", {
      ApplicationName: "orders",
      CurrentApplicationVersionId: 2,
      VpcConfigurationId: added.VpcConfigurationDescription.VpcConfigurationId,
    });
    expect(deleted.ApplicationVersionId).toBe(3);
    expect((await detail()).ApplicationConfigurationDescription.VpcConfigurationDescriptions).toBeUndefined();
  });

  it("redeploys a running application: UPDATING, then RUNNING on the new version", async () => {
    const { clock, call, detail } = await app();
    await call("StartApplication", { ApplicationName: "orders" });
    await clock.advance(DEFAULT_TIMINGS.startingMs);
    const { OperationId } = await call("AddApplicationVpcConfiguration", {
      ApplicationName: "orders",
      CurrentApplicationVersionId: 1,
      VpcConfiguration: vpc,
    });
    expect((await detail()).ApplicationStatus).toBe("UPDATING");
    await clock.advance(DEFAULT_TIMINGS.updatingMs);
    expect(await detail()).toMatchObject({ ApplicationStatus: "RUNNING", ApplicationVersionId: 2 });
    const op = await call("DescribeApplicationOperation", { ApplicationName: "orders", OperationId });
    expect(op.ApplicationOperationInfoDetails).toMatchObject({
      Operation: "AddApplicationVpcConfiguration",
      OperationStatus: "SUCCESSFUL",
    });
  });
});
