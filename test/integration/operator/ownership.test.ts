// Deletion under each policy, adoption with and without the opt-in, and name conflicts.
import { CreateApplicationCommand, DescribeApplicationCommand } from "@aws-sdk/client-kinesis-analytics-v2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../../src/localstack/processes.js";
import { condition, Harness, isReady } from "./harness.js";

const h = new Harness();
const aws = h.awsClient();
const role = "arn:aws:iam::123456789012:role/flink";
const spec = (extra: Record<string, unknown> = {}) => ({
  runtimeEnvironment: "FLINK-1_20",
  serviceExecutionRole: role,
  code: { s3: { bucket: "own-apps", key: "app.jar" } },
  parallelism: { parallelism: 2 },
  ...extra,
});

beforeAll(async () => {
  await h.setUp();
  await h.putCode("own-apps", "app.jar");
  await h.startOperator();
});
afterAll(() => h.tearDown());

async function describeApp(name: string) {
  return aws.send(new DescribeApplicationCommand({ ApplicationName: name })).then(
    (o) => o.ApplicationDetail,
    (e: Error) => {
      if (e.name === "ResourceNotFoundException") return undefined;
      throw e;
    },
  );
}

/** An application made by hand, as a team had before the operator. */
async function createByHand(name: string) {
  await aws.send(
    new CreateApplicationCommand({
      ApplicationName: name,
      RuntimeEnvironment: "FLINK-1_20",
      ServiceExecutionRole: role,
      ApplicationConfiguration: {
        ApplicationCodeConfiguration: {
          CodeContentType: "ZIPFILE",
          CodeContent: { S3ContentLocation: { BucketARN: "arn:aws:s3:::own-apps", FileKey: "app.jar" } },
        },
      },
    }),
  );
}

describe("deletion", () => {
  it("deletionPolicy Delete stops and deletes the application, then releases the resource", async () => {
    const name = `${h.namespace}-del`;
    await h.apply(h.app(name, spec({ deletionPolicy: "Delete" })));
    await h.waitForApp(name, (o) => isReady(o) && o.status?.applicationStatus === "RUNNING", "running");
    await h.kubectlOk(["delete", "flinkapp", name, "-n", h.namespace, "--wait=false"]);
    await waitFor(async () => (await h.get(name)) === undefined, {
      timeoutMs: 30_000,
      description: "resource gone",
    });
    expect(await describeApp(name)).toBeUndefined();
    const ops = (await h.callsFor(name)).filter((c) => !c.error).map((c) => c.operation);
    expect(ops.indexOf("DeleteApplication")).toBeGreaterThan(ops.lastIndexOf("StopApplication"));
  });

  it("deletionPolicy Retain leaves the application running and untouched", async () => {
    const name = `${h.namespace}-keep`;
    await h.apply(h.app(name, spec({ deletionPolicy: "Retain" })));
    await h.waitForApp(name, (o) => isReady(o) && o.status?.applicationStatus === "RUNNING", "running");
    const callsBefore = (await h.callsFor(name)).length;
    await h.kubectlOk(["delete", "flinkapp", name, "-n", h.namespace, "--wait=false"]);
    await waitFor(async () => (await h.get(name)) === undefined, {
      timeoutMs: 30_000,
      description: "resource gone",
    });
    expect((await describeApp(name))?.ApplicationStatus).toBe("RUNNING");
    const writes = (await h.callsFor(name))
      .slice(callsBefore)
      .filter((c) => !["DescribeApplication", "ListTagsForResource"].includes(c.operation));
    expect(writes).toEqual([]);
  });
});

describe("adoption and conflicts", () => {
  it("reports a name conflict and leaves an existing application untouched without the opt-in", async () => {
    const name = `${h.namespace}-hand`;
    await createByHand(name);
    await h.apply(h.app(name, spec()));
    const app = await h.waitForApp(name, (o) => condition(o, "Stalled")?.status === "True", "Stalled");
    expect(condition(app, "Stalled")?.reason).toBe("NameConflict");
    expect(condition(app, "Ready")?.status).toBe("False");
    expect(condition(app, "Stalled")?.message).toContain("managedflink.dev/adopt");
    // The only write is our own hand-made CreateApplication; the operator only read.
    const writes = (await h.callsFor(name)).filter(
      (c) => !["DescribeApplication", "ListTagsForResource"].includes(c.operation),
    );
    expect(writes.map((c) => [c.operation, c.input.Tags])).toEqual([["CreateApplication", undefined]]);
    expect((await describeApp(name))?.ApplicationStatus).toBe("READY");
  });

  it("adopts it once the resource opts in, then manages it", async () => {
    const name = `${h.namespace}-hand`;
    await h.kubectlOk(["annotate", "flinkapp", name, "-n", h.namespace, "managedflink.dev/adopt=true"]);
    const app = await h.waitForApp(
      name,
      (o) => isReady(o) && o.status?.applicationStatus === "RUNNING",
      "adopted and running",
    );
    expect(app.status?.configuredParallelism).toBe(2);
    const ops = (await h.callsFor(name)).filter((c) => !c.error).map((c) => c.operation);
    expect(ops).toEqual(expect.arrayContaining(["TagResource", "UpdateApplication", "StartApplication"]));
  });

  it("never takes over an application another FlinkApplication owns, even with the opt-in", async () => {
    const name = `${h.namespace}-owned`;
    await h.apply(h.app(name, spec()));
    await h.waitForApp(name, (o) => isReady(o), "first owner ready");
    await h.apply(
      h.app("second-owner", spec({ applicationName: name }), {
        annotations: { "managedflink.dev/adopt": "true" },
      }),
    );
    const second = await h.waitForApp(
      "second-owner",
      (o) => condition(o, "Stalled")?.status === "True",
      "conflict",
    );
    expect(condition(second, "Stalled")?.message).toContain(`${h.namespace}/${name}`);
  });
});
