// spec.code.artifact through the operator: fetched, verified and uploaded once to its
// content-addressed key; a wrong digest or a forbidden URL stalls the resource and uploads nothing.
import { HeadObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SourceServer, sha256Of } from "../artifacts/source-server.js";
import { condition, Harness, isReady, unrestrictedDefaults } from "./harness.js";

const h = new Harness();
let source: SourceServer;
const jar = Buffer.from("PK\u0003\u0004 the engagement-metrics job, version 2");
const digest = sha256Of(jar);

const spec = (url: string, sha256 = digest) => ({
  runtimeEnvironment: "FLINK-1_20",
  serviceExecutionRole: "arn:aws:iam::123456789012:role/flink",
  code: { artifact: { url, sha256, bucket: "artifact-apps", prefix: "jobs" } },
});

beforeAll(async () => {
  await h.setUp();
  await h.putCode("artifact-apps", "placeholder"); // creates the bucket
  source = await SourceServer.start();
  source.routes.set("/job.jar", { body: jar });
  source.routes.set("/to-metadata.jar", { redirect: "http://169.254.169.254/latest/meta-data/iam/" });
  // The test's artifact server is on loopback, which the operator refuses unless allowlisted —
  // exactly as a platform team would allow its internal artifact repository.
  const port = Number(new URL(source.url("/")).port);
  await h.startOperator({
    artifactPolicy: { allowedHosts: [`127.0.0.1:${port}`], allowedCidrs: [] },
    // Any host on 443 and 80 passes the tenancy policy, so that the SSRF guard itself is what refuses below.
    tenancyDefaults: {
      ...unrestrictedDefaults,
      artifactHosts: [
        { host: "*", port: 443 },
        { host: "*", port: 80 },
        { host: "127.0.0.1", port },
      ],
    },
    resyncPeriodMs: 300,
  });
});
afterAll(async () => {
  await h.tearDown();
  await source.stop();
});

async function keysUnder(prefix: string): Promise<string[]> {
  const out = await h.s3.send(new ListObjectsV2Command({ Bucket: "artifact-apps", Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key!);
}

describe("artifacts", () => {
  it("uploads a new artifact once, to its content-addressed key, and runs it", async () => {
    const name = `${h.namespace}-art`;
    await h.apply(h.app(name, spec(source.url("/job.jar"))));
    const app = await h.waitForApp(
      name,
      (o) => isReady(o) && o.status?.applicationStatus === "RUNNING",
      "running",
    );
    expect(app.status?.codeLocation).toEqual({ bucket: "artifact-apps", key: `jobs/${digest}.jar` });
    expect(app.status?.artifact).toMatchObject({ sha256: digest, key: `jobs/${digest}.jar` });
    const head = await h.s3.send(
      new HeadObjectCommand({ Bucket: "artifact-apps", Key: `jobs/${digest}.jar` }),
    );
    expect(head.ContentLength).toBe(jar.length);
    expect(source.requestsTo("/job.jar")).toBe(1);

    // Later reconciles (resyncs every 300 ms here) fetch and upload nothing.
    await h.waitForReconciles(name, 3);
    expect(source.requestsTo("/job.jar")).toBe(1);
    expect(await keysUnder("jobs/")).toEqual([`jobs/${digest}.jar`]);
  });

  it("uploads nothing and stalls with a clear message on a wrong sha256", async () => {
    const name = `${h.namespace}-badsum`;
    const wrong = "0".repeat(64);
    await h.apply(
      h.app(name, {
        ...spec(source.url("/job.jar"), wrong),
        code: {
          artifact: { url: source.url("/job.jar"), sha256: wrong, bucket: "artifact-apps", prefix: "bad" },
        },
      }),
    );
    const app = await h.waitForApp(name, (o) => condition(o, "Stalled")?.status === "True", "Stalled");
    expect(condition(app, "Stalled")?.reason).toBe("ArtifactChecksumMismatch");
    expect(condition(app, "Stalled")?.message).toContain(wrong);
    // The actual digest is never shown: it would describe content the tenant may not read.
    expect(condition(app, "Stalled")?.message).not.toContain(digest);
    expect(await keysUnder("bad/")).toEqual([]);
    // Stalled means stalled: the artifact is not fetched again on resync.
    const fetched = source.requestsTo("/job.jar");
    await h.waitForReconciles(name, 3);
    expect(source.requestsTo("/job.jar")).toBe(fetched);
  });

  it.each([
    ["the instance metadata address", "http://169.254.169.254/latest/meta-data/iam/"],
    ["a loopback address that is not allowlisted", "https://127.0.0.2/job.jar"],
    ["an allowlisted host that redirects to the metadata address", "redirect"],
  ])("refuses an artifact URL pointing at %s", async (what, url) => {
    const name = `${h.namespace}-ssrf-${what.length}`;
    const target = url === "redirect" ? source.url("/to-metadata.jar") : url;
    // A digest nobody uploaded yet, so that refusing the URL is the only way not to fetch it.
    await h.apply(h.app(name, spec(target, sha256Of(name))));
    const app = await h.waitForApp(name, (o) => condition(o, "Stalled")?.status === "True", "Stalled");
    expect(condition(app, "Stalled")?.reason).toBe("ArtifactForbiddenURL");
    expect((await h.callsFor(name)).filter((c) => c.operation === "CreateApplication")).toEqual([]);
  });
});
