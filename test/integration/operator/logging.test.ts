// Adding spec.logging to a running application created without it, on the local stack: one snapshot,
// then AddApplicationCloudWatchLoggingOption (UpdateApplication cannot add a logging option), then Ready
// and RUNNING on the new version, with the option in DescribeApplication.
import { DescribeApplicationCommand } from "@aws-sdk/client-kinesis-analytics-v2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { condition, Harness, isReady } from "./harness.js";

const h = new Harness();
const name = `${h.namespace}-logging`;
const ROLE = "arn:aws:iam::123456789012:role/flink";
const spec = {
  runtimeEnvironment: "FLINK-1_20",
  serviceExecutionRole: ROLE,
  code: { s3: { bucket: "logging-apps", key: "app.jar" } },
};
const aws = h.awsClient();
const running = (o: Parameters<typeof isReady>[0]) =>
  isReady(o) && o.status?.applicationStatus === "RUNNING" && !o.status?.operation;

beforeAll(async () => {
  await h.setUp();
  await h.putCode("logging-apps", "app.jar");
  await h.startOperator();
});
afterAll(async () => {
  aws.destroy();
  await h.tearDown();
});

describe("adding spec.logging to an existing application", () => {
  it("adds the logging option to a running application, snapshot first, and is Ready again", async () => {
    await h.apply(h.app(name, spec));
    const first = await h.waitForApp(name, running, "running");
    const from = first.status!.applicationVersionId!;
    await h.emulator("DELETE", "/calls");

    // The group/stream form: the operator builds the ARN from the region and the role's account.
    await h.mergePatch(name, {
      spec: { logging: { logGroup: "/aws/kinesis-analytics/orders", logStream: "job" } },
    });
    const app = await h.waitForApp(
      name,
      (o) => running(o) && (o.status?.applicationVersionId ?? 0) > from,
      "running on a new version",
    );

    const calls = (await h.callsFor(name)).filter((c) => !c.error);
    const writes = calls
      .map((c) => c.operation)
      .filter((op) => !op.startsWith("Describe") && !op.startsWith("List"));
    expect(writes).toEqual(["CreateApplicationSnapshot", "AddApplicationCloudWatchLoggingOption"]);
    const arn = `arn:aws:logs:${h.stack.region}:123456789012:log-group:/aws/kinesis-analytics/orders:log-stream:job`;
    expect(calls.find((c) => c.operation === "AddApplicationCloudWatchLoggingOption")!.input).toEqual({
      ApplicationName: name,
      CurrentApplicationVersionId: from,
      CloudWatchLoggingOption: { LogStreamARN: arn },
    });

    const detail = (await aws.send(new DescribeApplicationCommand({ ApplicationName: name })))
      .ApplicationDetail!;
    expect(detail.ApplicationStatus).toBe("RUNNING");
    expect(detail.ApplicationVersionId).toBe(from + 1);
    expect(detail.CloudWatchLoggingOptionDescriptions).toEqual([
      { CloudWatchLoggingOptionId: expect.any(String), LogStreamARN: arn },
    ]);
    expect(app.status?.snapshots?.[0]).toMatchObject({ reason: "BeforeUpdate", generation: 2 });
    expect(condition(app, "Ready")?.message).not.toContain("drift");
  });
});
