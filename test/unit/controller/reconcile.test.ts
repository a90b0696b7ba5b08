// The whole reconcile (observe → plan → execute → record) against behaving fakes of the AWS port and
// the Kubernetes client: the unit tier for what the integration tests show on the real parts.
import type { ApplicationDetail } from "@aws-sdk/client-kinesis-analytics-v2";
import { describe, expect, it } from "vitest";
import { ConflictError, ExternalError, RecoverableError, TerminalError } from "../../../src/aws/errors.js";
import { finalizer } from "../../../src/controller/reconciler.js";
import { KubeApiError } from "../../../src/controller/runtime/transport.js";
import { flinkApp } from "./fakes.js";
import { world } from "./world.js";

describe("reconcile", () => {
  it("adds the finalizer before any AWS call, then creates, starts and settles RUNNING", async () => {
    const w = world();
    await w.reconcile();
    expect(w.kube.obj.metadata.finalizers).toEqual([finalizer]);
    expect(w.aws.calls).toEqual([]);
    await w.untilReady();
    const writes = w.aws.calls.filter((c) => !c.startsWith("Describe") && !c.startsWith("List"));
    expect(writes).toEqual(["CreateApplication", "StartApplication"]);
    expect(w.kube.obj.status?.applicationStatus).toBe("RUNNING");
    expect(w.kube.events.map((e) => e.reason)).toEqual(["Created", "Starting"]);
  });

  it("costs one DescribeApplication and no write when settled", async () => {
    const w = world();
    await w.untilReady();
    const calls = w.aws.calls.length;
    const writes = w.kube.statusWrites;
    expect(await w.reconcile()).toEqual({});
    expect(w.aws.calls.slice(calls)).toEqual(["DescribeApplication"]);
    expect(w.kube.statusWrites).toBe(writes);
  });

  it("changes parallelism snapshot first: record, snapshot, update from exactly that snapshot", async () => {
    const w = world(flinkApp({ parallelism: { parallelism: 2 } }));
    await w.untilReady();
    w.aws.calls.length = 0;
    w.bump({ parallelism: { parallelism: 4 } });
    // The operation is recorded, then its snapshot taken in the same reconcile (one DescribeApplication).
    await w.reconcile();
    const op = w.kube.obj.status?.operation;
    expect(op).toMatchObject({ type: "Update", phase: "Snapshotting", fields: ["parallelism"] });
    expect(w.aws.calls).toEqual(["DescribeApplication", "CreateApplicationSnapshot"]);
    await w.untilReady();
    const writes = w.aws.calls.filter((c) => c === "CreateApplicationSnapshot" || c === "UpdateApplication");
    expect(writes).toEqual(["CreateApplicationSnapshot", "UpdateApplication"]);
    const app = w.aws.apps.get("orders")!;
    expect(app.detail.ApplicationVersionId).toBe(2);
    expect(w.kube.obj.status).toMatchObject({ configuredParallelism: 4, applicationVersionId: 2 });
    expect(w.kube.obj.status?.operation).toBeUndefined();
    expect(w.kube.obj.status?.snapshots?.[0]?.name).toBe(op?.snapshotName);
  });

  it("sends an update's Events alongside its record and snapshot, and returns once they are sent", async () => {
    const w = world(flinkApp({ parallelism: { parallelism: 2 } }));
    await w.untilReady();
    w.aws.calls.length = 0;
    w.kube.events.length = 0;
    w.bump({ parallelism: { parallelism: 4 } });
    // The API server holds every Event until released; status writes and AWS calls go on.
    let release = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    const create = w.kube.createEvent.bind(w.kube);
    w.kube.createEvent = async (e) => {
      await held;
      return create(e);
    };
    let returned = false;
    const reconciling = w.reconcile().then(() => {
      returned = true;
    });
    // Fakes answer in microtasks: a bounded number of event-loop turns, not a clock, lets them run.
    for (let i = 0; i < 100 && !w.aws.calls.includes("CreateApplicationSnapshot"); i++)
      await new Promise((r) => setImmediate(r));
    expect(w.aws.calls).toEqual(["DescribeApplication", "CreateApplicationSnapshot"]);
    expect(w.kube.obj.status?.operation?.phase).toBe("Snapshotting");
    expect(w.kube.events).toEqual([]);
    expect(returned).toBe(false);
    release();
    await reconciling;
    expect(w.kube.events.map((e) => e.reason)).toEqual(["UpdateStarted", "Snapshotting"]);
  });

  it("takes no snapshot when the record of the update could not be written", async () => {
    const w = world(flinkApp({ parallelism: { parallelism: 2 } }));
    await w.untilReady();
    w.aws.calls.length = 0;
    w.bump({ parallelism: { parallelism: 4 } });
    w.kube.failNext = new KubeApiError(409, "the object has been modified", "Conflict");
    await expect(w.reconcile()).rejects.toThrow(KubeApiError);
    expect(w.aws.calls).toEqual(["DescribeApplication"]);
    expect(w.kube.obj.status?.operation).toBeUndefined();
  });

  it("reads tags once they are confirmed only when spec.tags changes, not on every spec change", async () => {
    const w = world(flinkApp({ tags: { team: "a" } }));
    await w.untilReady();
    expect(w.kube.obj.status?.tagsDigest).toMatch(/^[0-9a-f]{64}$/);
    w.aws.calls.length = 0;
    w.bump({ desiredState: "Stopped" });
    await w.reconcile();
    expect(w.aws.calls).toEqual(["DescribeApplication", "StopApplication"]);
    w.aws.settle();
    await w.reconcile();
    w.aws.calls.length = 0;
    w.bump({ tags: { team: "b" } });
    await w.reconcile();
    expect(w.aws.calls).toEqual(["DescribeApplication", "ListTagsForResource", "TagResource"]);
    expect(w.aws.apps.get("orders")?.tags.team).toBe("b");
    w.aws.calls.length = 0;
    await w.reconcile();
    expect(w.aws.calls).not.toContain("ListTagsForResource");
  });

  it("stalls on a terminal error, records it once and calls nothing more until the spec changes", async () => {
    const w = world();
    await w.reconcile(); // finalizer
    w.aws.failNext.set(
      "CreateApplication",
      new TerminalError("InvalidArgumentException", "no such code object"),
    );
    expect(await w.reconcile()).toEqual({});
    expect(w.condition("Stalled")).toMatchObject({ status: "True", reason: "InvalidArgumentException" });
    expect(w.kube.obj.status?.lastError).toMatchObject({ terminal: true, generation: 1 });
    const calls = w.aws.calls.length;
    const writes = w.kube.statusWrites;
    await w.reconcile();
    expect(w.aws.calls.slice(calls)).toEqual(["DescribeApplication"]);
    expect(w.kube.statusWrites).toBe(writes);
    expect(w.kube.events.filter((e) => e.type === "Warning")).toHaveLength(1);
    w.bump({ description: "fixed" });
    await w.untilReady();
  });

  it("retries a conflict soon without throwing, and a recoverable error through the queue's backoff", async () => {
    const w = world();
    await w.reconcile();
    w.aws.failNext.set("CreateApplication", new ConflictError("ResourceInUseException", "busy"));
    expect(await w.reconcile()).toEqual({ requeueAfterMs: 1000 });
    w.aws.failNext.set("CreateApplication", new RecoverableError("ServiceUnavailable", "try later"));
    await expect(w.reconcile()).rejects.toBeInstanceOf(RecoverableError);
    expect(w.condition("Reconciling")).toMatchObject({ status: "True", reason: "RetryingAfterError" });
    await w.untilReady();
    expect(w.kube.obj.status?.lastError).toBeUndefined();
  });

  it("reports an error whose fix lies outside the spec as Stalled and retries it on a long backoff", async () => {
    const w = world();
    await w.reconcile();
    w.aws.failNext.set("CreateApplication", new ExternalError("AccessDeniedException", "not authorized"));
    expect(await w.reconcile()).toEqual({ requeueAfterMs: 300_000 });
    expect(w.condition("Stalled")).toMatchObject({ status: "True", reason: "AccessDeniedException" });
    expect(w.kube.obj.status?.lastError?.terminal).toBe(false);
    // Fixed in IAM, not in the spec: the retry goes through without a new generation.
    await w.untilReady();
    expect(w.kube.obj.metadata.generation).toBe(1);
  });

  it("hands an API server error to the queue as it is, never through the AWS classifier", async () => {
    const w = world();
    w.kube.failNext = new KubeApiError(409, "conflict");
    await expect(w.reconcile()).rejects.toBeInstanceOf(KubeApiError);
    expect(w.kube.obj.status).toBeUndefined();
  });

  it("never fetches an artifact for an application that belongs to someone else", async () => {
    const w = world(
      flinkApp({
        // Loopback is refused by the SSRF guard: a fetch would stall as ArtifactForbiddenURL instead.
        code: { artifact: { url: "https://127.0.0.1/app.jar", sha256: "a".repeat(64), bucket: "jars" } },
      }),
    );
    await w.aws.createApplication({
      ApplicationName: "orders",
      RuntimeEnvironment: "FLINK-1_20",
      ServiceExecutionRole: "arn:aws:iam::123456789012:role/flink",
      Tags: [{ Key: "managedflink.dev/owner", Value: "team-b/orders" }],
    });
    await w.reconcile();
    await w.reconcile();
    expect(w.condition("Stalled")).toMatchObject({ status: "True", reason: "NameConflict" });
    expect(w.kube.obj.status?.artifact).toBeUndefined();
  });

  it("deletes under deletionPolicy Delete: force stop, delete, then release the finalizer", async () => {
    const w = world(flinkApp({ deletionPolicy: "Delete" }));
    await w.untilReady();
    w.kube.obj = {
      ...w.kube.obj,
      metadata: { ...w.kube.obj.metadata, deletionTimestamp: new Date("2026-11-29T13:00:00Z") },
    };
    for (let i = 0; i < 6 && w.kube.obj.metadata.finalizers?.length; i++) {
      await w.reconcile();
      w.aws.settle();
    }
    expect(w.kube.obj.metadata.finalizers).toEqual([]);
    expect(w.aws.apps.size).toBe(0);
    expect(w.aws.calls).toContain("DeleteApplication");
  });
});

describe("a configuration field added in one place (ADR 0009): spec.encryption", () => {
  it("is created, left alone when omitted, and changed snapshot first", async () => {
    const w = world(flinkApp({ encryption: { keyType: "AWS_OWNED_KEY" } }));
    await w.untilReady();
    const app = w.aws.apps.get("orders")!;
    const described = () =>
      app.detail.ApplicationConfigurationDescription?.ApplicationEncryptionConfigurationDescription;
    expect(described()).toEqual({ KeyType: "AWS_OWNED_KEY" });
    const key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    w.bump({ encryption: { keyType: "CUSTOMER_MANAGED_KEY", keyId: key } });
    await w.reconcile();
    expect(w.kube.obj.status?.operation).toMatchObject({ phase: "Snapshotting", fields: ["encryption"] });
    await w.untilReady();
    expect(described()).toEqual({ KeyType: "CUSTOMER_MANAGED_KEY", KeyId: key });
    const calls = w.aws.calls.length;
    w.bump({ encryption: undefined });
    await w.reconcile();
    await w.reconcile();
    expect(w.aws.calls.slice(calls).filter((c) => c === "UpdateApplication")).toEqual([]);
  });
});

describe("bounded convergence (issue 14)", () => {
  const flinkOf = (d: ApplicationDetail) =>
    d.ApplicationConfigurationDescription!.FlinkApplicationConfigurationDescription!;

  it("treats what DescribeApplication leaves out as unknown, not drift", async () => {
    const w = world(
      flinkApp({
        checkpointing: { intervalMillis: 30_000 },
        monitoring: { logLevel: "WARN" },
        parallelism: { parallelism: 3 },
      }),
    );
    w.aws.report = (d) => {
      const f = flinkOf(d);
      delete f.CheckpointConfigurationDescription;
      delete f.MonitoringConfigurationDescription;
      const p = f.ParallelismConfigurationDescription!;
      f.ParallelismConfigurationDescription = {
        Parallelism: p.Parallelism,
        CurrentParallelism: p.CurrentParallelism,
      };
      return d;
    };
    await w.untilReady();
    for (let i = 0; i < 3; i++) await w.reconcile();
    expect(w.aws.calls).not.toContain("UpdateApplication");
    expect(w.condition("Ready")?.status).toBe("True");
  });

  it("updates once, then reports drift that the update did not remove instead of updating again", async () => {
    const w = world(flinkApp({ parallelism: { parallelism: 2 } }));
    await w.untilReady();
    // A service that normalises parallelism to 2 whatever it is asked for.
    w.aws.report = (d) => {
      flinkOf(d).ParallelismConfigurationDescription!.Parallelism = 2;
      return d;
    };
    w.bump({ parallelism: { parallelism: 5 } });
    for (let i = 0; i < 12; i++) {
      await w.reconcile();
      w.aws.settle();
    }
    expect(w.aws.calls.filter((c) => c === "UpdateApplication")).toHaveLength(1);
    expect(w.condition("Stalled")).toMatchObject({ status: "True", reason: "DriftPersists" });
    expect(w.condition("Stalled")?.message).toMatch(
      /parallelism as .*"parallelism":2.*asks for .*"parallelism":5/,
    );
  });

  it("keeps autoscaling as the service has it when spec.parallelism omits it (kubectl scale)", async () => {
    const w = world();
    await w.untilReady();
    w.bump({ parallelism: { parallelism: 4 } });
    await w.reconcile();
    await w.untilReady();
    const p = flinkOf(w.aws.apps.get("orders")!.detail).ParallelismConfigurationDescription!;
    expect(p).toMatchObject({ ConfigurationType: "CUSTOM", Parallelism: 4, AutoScalingEnabled: true });
  });
});

describe("the hourly write cap", () => {
  it("stops writing at the cap, says so in status and an Event, and retries when a slot frees", async () => {
    let hits = 0;
    const w = world(flinkApp(), undefined, undefined, {
      maxWritesPerHour: 1,
      onWriteCapReached: () => hits++,
    });
    await w.reconcile(); // finalizer: not an AWS write
    await w.reconcile(); // CreateApplication: the one write allowed
    w.aws.settle();
    const result = await w.reconcile(); // StartApplication: over the cap
    expect(w.aws.calls).not.toContain("StartApplication");
    expect(w.condition("Stalled")).toMatchObject({ status: "True", reason: "WriteCapReached" });
    expect(result.requeueAfterMs).toBe(3_600_000);
    expect(w.kube.events.filter((e) => e.reason === "WriteCapReached")).toHaveLength(1);
    expect(hits).toBe(1);
  });
});

describe("spec.logging (CloudWatchLoggingOptions)", () => {
  const stream = (name: string) =>
    `arn:aws:logs:us-east-1:123456789012:log-group:/aws/kinesis-analytics/orders:log-stream:${name}`;

  it("builds the stream ARN from group and stream names, creates with it and changes it snapshot first", async () => {
    const w = world(flinkApp({ logging: { logGroup: "/aws/kinesis-analytics/orders", logStream: "job" } }));
    await w.untilReady();
    const detail = w.aws.apps.get("orders")!.detail;
    expect(detail.CloudWatchLoggingOptionDescriptions).toEqual([
      { CloudWatchLoggingOptionId: "log-1", LogStreamARN: stream("job") },
    ]);
    w.aws.calls.length = 0;
    w.bump({ logging: { logStreamARN: stream("other") } });
    await w.untilReady();
    expect(w.writes()).toEqual(["CreateApplicationSnapshot", "UpdateApplication"]);
    expect(w.aws.updates.at(-1)?.CloudWatchLoggingOptionUpdates).toEqual([
      { CloudWatchLoggingOptionId: "log-1", LogStreamARNUpdate: stream("other") },
    ]);
  });

  it("leaves logging as the service has it when the spec names none", async () => {
    const w = world(flinkApp({ logging: { logStreamARN: stream("job") } }));
    await w.untilReady();
    w.aws.calls.length = 0;
    w.bump({ logging: undefined });
    await w.untilReady();
    expect(w.writes()).toEqual([]);
  });

  it("adds logging to a running application created without it: snapshot first, then the Add call", async () => {
    const w = world();
    await w.untilReady();
    w.aws.calls.length = 0;
    w.bump({ logging: { logGroup: "/aws/kinesis-analytics/orders", logStream: "job" } });
    await w.reconcile();
    expect(w.kube.obj.status?.operation).toMatchObject({ phase: "Snapshotting", fields: ["logging"] });
    await w.untilReady();
    expect(w.writes()).toEqual(["CreateApplicationSnapshot", "AddApplicationCloudWatchLoggingOption"]);
    expect(w.aws.apps.get("orders")!.detail.CloudWatchLoggingOptionDescriptions).toEqual([
      { CloudWatchLoggingOptionId: "log-1", LogStreamARN: stream("job") },
    ]);
    expect(w.kube.obj.status).toMatchObject({ applicationStatus: "RUNNING", applicationVersionId: 2 });
    expect(w.kube.obj.status?.snapshots?.[0]).toMatchObject({ reason: "BeforeUpdate", generation: 2 });
    expect(w.kube.events.map((e) => e.message)).toContainEqual(
      expect.stringContaining(`adding the CloudWatch logging option (${stream("job")})`),
    );
    expect(w.condition("Ready")?.message).not.toContain("drift not corrected");
    // Converged: nothing more is written on later passes.
    w.aws.calls.length = 0;
    await w.reconcile();
    expect(w.writes()).toEqual([]);
  });

  it("adds logging at rest with the call alone", async () => {
    const w = world(flinkApp({ desiredState: "Stopped" }));
    await w.untilReady();
    w.bump({ logging: { logStreamARN: stream("job") } });
    await w.untilReady();
    expect(w.writes()).toEqual(["CreateApplication", "AddApplicationCloudWatchLoggingOption"]);
  });

  it("adds the VPC and logging as two operations, the VPC first", async () => {
    const w = world();
    await w.untilReady();
    w.aws.calls.length = 0;
    w.bump({
      logging: { logStreamARN: stream("job") },
      vpc: { subnetIds: ["subnet-1"], securityGroupIds: ["sg-1"] },
    });
    for (let i = 0; i < 20 && (w.writes().length < 4 || w.kube.obj.status?.operation); i++) {
      await w.reconcile();
      w.aws.settle();
    }
    expect(w.writes()).toEqual([
      "CreateApplicationSnapshot",
      "AddApplicationVpcConfiguration",
      "CreateApplicationSnapshot",
      "AddApplicationCloudWatchLoggingOption",
    ]);
  });

  it("stalls on an add AWS refuses, and does not call it again for this generation", async () => {
    const w = world();
    await w.untilReady();
    w.aws.failNext.set(
      "AddApplicationCloudWatchLoggingOption",
      new TerminalError("InvalidArgumentException", "no such log stream"),
    );
    w.bump({ logging: { logStreamARN: stream("job") } });
    for (let i = 0; i < 12; i++) {
      await w.reconcile();
      w.aws.settle();
    }
    const adds = w.aws.calls.filter((c) => c === "AddApplicationCloudWatchLoggingOption");
    expect(adds).toHaveLength(1);
    expect(w.condition("Stalled")).toMatchObject({
      status: "True",
      reason: "InvalidArgumentException",
      message: "no such log stream",
    });
    expect(w.aws.apps.get("orders")!.detail.CloudWatchLoggingOptionDescriptions).toBeUndefined();
  });
});
