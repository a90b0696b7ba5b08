import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ArtifactError, type ArtifactPolicy, ensureArtifact } from "../../../src/artifacts/index.js";
import type { CodeArtifact } from "../../../src/crds/types.generated.js";
import { generatedSha256, SourceServer, sha256Of } from "./source-server.js";

const { s3Endpoint, region } = inject("localStack");
const s3 = new S3Client({
  endpoint: s3Endpoint,
  region,
  forcePathStyle: true,
  credentials: { accessKeyId: "local", secretAccessKey: "local-secret" },
});

// Allowlist entries name the port too (a bare host allows only 443/80); set once the server has one.
let allowLoopback: ArtifactPolicy;
const noExceptions: ArtifactPolicy = { allowedHosts: [], allowedCidrs: [] };

let server: SourceServer;
let bucketCount = 0;

async function newBucket(versioned = false): Promise<string> {
  const bucket = `artifacts-${process.pid}-${Date.now()}-${bucketCount++}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  if (versioned) {
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }),
    );
  }
  return bucket;
}

async function versionsIn(bucket: string): Promise<{ key: string; versionId?: string }[]> {
  const out = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
  return (out.Versions ?? []).map((v) => ({ key: v.Key!, versionId: v.VersionId }));
}

async function openUploads(bucket: string): Promise<number> {
  const out = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return out.Uploads?.length ?? 0;
}

async function sha256OfObject(bucket: string, key: string): Promise<string> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const hash = createHash("sha256");
  for await (const chunk of out.Body as Readable) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

async function artifactError(promise: Promise<unknown>): Promise<ArtifactError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ArtifactError) return err;
    throw err;
  }
  throw new Error("expected an ArtifactError, got success");
}

const jar = Buffer.from("PK\u0003\u0004 a small but real-enough jar body");
const jarSha = sha256Of(jar);

beforeAll(async () => {
  server = await SourceServer.start();
  server.routes.set("/builds/app.jar", { body: jar });
  allowLoopback = { allowedHosts: [`127.0.0.1:${server.port}`], allowedCidrs: ["127.0.0.1/32"] };
});
afterAll(async () => {
  await server.stop();
  s3.destroy();
});

describe("ensureArtifact uploads to a content-addressed key", () => {
  it("uploads once; the next call uploads nothing and does not fetch", async () => {
    const bucket = await newBucket();
    const artifact: CodeArtifact = {
      url: server.url("/builds/app.jar?X-Amz-Signature=secret"),
      sha256: jarSha,
      bucket,
    };
    const before = server.requestsTo("/builds/app.jar");

    const first = await ensureArtifact(artifact, { s3, policy: allowLoopback });
    expect(first).toEqual({
      bucket,
      key: `flink-applications/${jarSha}.jar`,
      objectVersion: undefined,
      sha256: jarSha,
      uploaded: true,
      bytes: jar.length,
    });
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: first.key }));
    expect(head.Metadata?.sha256).toBe(jarSha);
    expect(await sha256OfObject(bucket, first.key)).toBe(jarSha);

    const second = await ensureArtifact(artifact, { s3, policy: allowLoopback });
    expect(second).toMatchObject({
      bucket,
      key: first.key,
      uploaded: false,
      sha256: jarSha,
      bytes: jar.length,
    });
    expect(server.requestsTo("/builds/app.jar") - before).toBe(1);
    expect(await versionsIn(bucket)).toHaveLength(1);
  });

  it("returns the object version in a versioned bucket, on upload and on skip", async () => {
    const bucket = await newBucket(true);
    const artifact: CodeArtifact = {
      url: server.url("/builds/app.jar"),
      sha256: jarSha,
      bucket,
      prefix: "/jobs/",
    };

    const first = await ensureArtifact(artifact, { s3, policy: allowLoopback });
    expect(first.key).toBe(`jobs/${jarSha}.jar`);
    expect(first.objectVersion).toBeTruthy();
    const versions = await versionsIn(bucket);
    expect(versions).toEqual([{ key: first.key, versionId: first.objectVersion }]);

    const second = await ensureArtifact(artifact, { s3, policy: allowLoopback });
    expect(second).toMatchObject({ uploaded: false, objectVersion: first.objectVersion });
    expect(await versionsIn(bucket)).toHaveLength(1);
  });

  it("replaces an object at the key whose recorded checksum differs", async () => {
    const bucket = await newBucket();
    const key = `flink-applications/${jarSha}.jar`;
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: "not the jar",
        Metadata: { sha256: "0".repeat(64) },
      }),
    );
    const result = await ensureArtifact(
      { url: server.url("/builds/app.jar"), sha256: jarSha, bucket },
      { s3, policy: allowLoopback },
    );
    expect(result.uploaded).toBe(true);
    expect(await sha256OfObject(bucket, key)).toBe(jarSha);
  });

  it("round-trips a multipart-sized artifact (20 MiB, streamed) with the right checksum", async () => {
    const size = 20 * 1024 * 1024;
    server.routes.set("/builds/big.jar", { generated: size });
    const sha256 = await generatedSha256(size);
    const bucket = await newBucket(true);

    const result = await ensureArtifact(
      { url: server.url("/builds/big.jar"), sha256, bucket },
      { s3, policy: allowLoopback },
    );
    expect(result).toMatchObject({ uploaded: true, bytes: size, key: `flink-applications/${sha256}.jar` });
    expect(result.objectVersion).toBeTruthy();
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: result.key, ChecksumMode: "ENABLED" }),
    );
    expect(head.ContentLength).toBe(size);
    expect(head.Metadata?.sha256).toBe(sha256);
    expect(await sha256OfObject(bucket, result.key)).toBe(sha256);
    expect(await openUploads(bucket)).toBe(0);

    const again = await ensureArtifact(
      { url: server.url("/builds/big.jar"), sha256, bucket },
      { s3, policy: allowLoopback },
    );
    expect(again).toMatchObject({ uploaded: false, objectVersion: result.objectVersion });
  });
});

describe("a wrong sha256 uploads nothing", () => {
  it("small artifact (single PUT path): no object, terminal ChecksumMismatch naming the expected digest only", async () => {
    const bucket = await newBucket();
    const wrong = "f".repeat(64);
    const err = await artifactError(
      ensureArtifact(
        { url: server.url("/builds/app.jar"), sha256: wrong, bucket },
        { s3, policy: allowLoopback },
      ),
    );
    expect(err).toMatchObject({ reason: "ChecksumMismatch", terminal: true });
    expect(err.message).toContain(`does not have the sha256 ${wrong}`);
    expect(err.message).not.toContain(jarSha);
    // The size is not revealed either (checked on the message without its URL, whose port may hold
    // the same digits).
    expect(err.message.replace(server.url("/builds/app.jar"), "")).not.toMatch(
      new RegExp(`\\b${jar.length}\\b`),
    );
    expect(await versionsIn(bucket)).toEqual([]);
    expect(await openUploads(bucket)).toBe(0);
  });

  it("multipart artifact (20 MiB): parts were sent but the upload is aborted, nothing at the key", async () => {
    const size = 20 * 1024 * 1024;
    server.routes.set("/builds/big-wrong.jar", { generated: size });
    const bucket = await newBucket(true);
    const wrong = "e".repeat(64);
    const err = await artifactError(
      ensureArtifact(
        { url: server.url("/builds/big-wrong.jar"), sha256: wrong, bucket },
        { s3, policy: allowLoopback },
      ),
    );
    expect(err).toMatchObject({ reason: "ChecksumMismatch", terminal: true });
    expect(err.message).toContain(`does not have the sha256 ${wrong}`);
    expect(err.message).not.toContain(await generatedSha256(size));
    expect(await versionsIn(bucket)).toEqual([]);
    expect(await openUploads(bucket)).toBe(0);
  });
});

describe("SSRF guard", () => {
  const observed: string[] = [];
  const onConnect = (address: string) => observed.push(address);

  async function refused(url: string, policy: ArtifactPolicy): Promise<ArtifactError> {
    observed.length = 0;
    const bucket = await newBucket();
    const connections = server.connections;
    const err = await artifactError(
      ensureArtifact({ url, sha256: jarSha, bucket }, { s3, policy, onConnect }),
    );
    expect(err).toMatchObject({ reason: "ForbiddenURL", terminal: true });
    expect(await versionsIn(bucket)).toEqual([]);
    expect(server.connections).toBe(connections);
    return err;
  }

  it("refuses the instance metadata service without connecting", async () => {
    const err = await refused(
      "https://169.254.169.254/latest/meta-data/iam/security-credentials/",
      noExceptions,
    );
    expect(err.message).toContain("link-local");
    expect(observed).toEqual([]);
  });

  it("refuses 127.0.0.1 and names resolving to loopback when not allowlisted", async () => {
    expect(
      (await refused(`https://127.0.0.1:${server.port}/builds/app.jar`, noExceptions)).message,
    ).toContain("loopback");
    expect(
      (await refused(`https://localhost:${server.port}/builds/app.jar`, noExceptions)).message,
    ).toContain("loopback");
    expect(
      (await refused(`https://[::ffff:127.0.0.1]:${server.port}/builds/app.jar`, noExceptions)).message,
    ).toContain("loopback");
    expect(observed).toEqual([]);
  });

  it("refuses plain http unless the host is allowlisted, even when the address is", async () => {
    const err = await refused(server.url("/builds/app.jar"), {
      allowedHosts: [],
      allowedCidrs: ["127.0.0.1/32"],
    });
    expect(err.message).toContain("plain http");
    expect((await refused("http://example.com/app.jar", noExceptions)).message).toContain("plain http");
  });

  it("refuses a redirect from an allowlisted host to 169.254.169.254 before connecting there", async () => {
    server.routes.set("/redirect/imds", { redirect: "http://169.254.169.254/latest/meta-data/" });
    server.routes.set("/redirect/imds-https", {
      redirect: "https://169.254.169.254/latest/meta-data/",
      status: 307,
    });
    server.routes.set("/redirect/localhost", {
      redirect: `http://localhost:${server.port}/builds/app.jar`,
      status: 301,
    });
    for (const path of ["/redirect/imds", "/redirect/imds-https", "/redirect/localhost"]) {
      observed.length = 0;
      const bucket = await newBucket();
      const err = await artifactError(
        ensureArtifact(
          { url: server.url(path), sha256: jarSha, bucket },
          { s3, policy: allowLoopback, onConnect },
        ),
      );
      expect(err).toMatchObject({ reason: "ForbiddenURL", terminal: true });
      expect(observed).toEqual(["127.0.0.1"]);
      expect(await versionsIn(bucket)).toEqual([]);
    }
  });

  it("connects by name only to the addresses it vetted (pinned lookup)", async () => {
    observed.length = 0;
    const result = await ensureArtifact(
      { url: server.url("/builds/app.jar", "localhost"), sha256: jarSha, bucket: await newBucket() },
      { s3, policy: { allowedHosts: [`localhost:${server.port}`], allowedCidrs: [] }, onConnect },
    );
    expect(result.uploaded).toBe(true);
    expect(observed.length).toBeGreaterThan(0);
    for (const address of observed) expect(["127.0.0.1", "::1"]).toContain(address);
  });

  it("follows allowed redirects, at most 5", async () => {
    server.routes.set("/hop/0", { redirect: "/builds/app.jar" });
    for (let i = 1; i <= 6; i++) server.routes.set(`/hop/${i}`, { redirect: `/hop/${i - 1}` });
    const bucket = await newBucket();
    const ok = await ensureArtifact(
      { url: server.url("/hop/4"), sha256: jarSha, bucket },
      { s3, policy: allowLoopback },
    );
    expect(ok.uploaded).toBe(true);
    const err = await artifactError(
      ensureArtifact(
        { url: server.url("/hop/6"), sha256: jarSha, bucket: await newBucket() },
        { s3, policy: allowLoopback },
      ),
    );
    expect(err).toMatchObject({ reason: "ForbiddenURL", terminal: true });
    expect(err.message).toContain("more than 5 redirects");
  });

  it("never puts a query string in an error message", async () => {
    const err = await refused(
      "https://169.254.169.254/x.jar?X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature=s3cr3t",
      noExceptions,
    );
    expect(err.message).not.toContain("AKIAEXAMPLE");
    expect(err.message).not.toContain("s3cr3t");
  });
});

describe("source errors are classified", () => {
  it("404 is terminal NotFound; 5xx is retryable FetchFailed", async () => {
    server.routes.set("/builds/broken.jar", { status: 503 });
    const bucket = await newBucket();
    const missing = await artifactError(
      ensureArtifact(
        { url: server.url("/builds/missing.jar"), sha256: jarSha, bucket },
        { s3, policy: allowLoopback },
      ),
    );
    expect(missing).toMatchObject({ reason: "NotFound", terminal: true });
    const broken = await artifactError(
      ensureArtifact(
        { url: server.url("/builds/broken.jar"), sha256: jarSha, bucket },
        { s3, policy: allowLoopback },
      ),
    );
    expect(broken).toMatchObject({ reason: "FetchFailed", terminal: false });
    expect(await versionsIn(bucket)).toEqual([]);
  });

  it("a connection cut after a part was uploaded is retryable and leaves no object or parts", async () => {
    server.routes.set("/builds/cut.jar", {
      partial: 30 * 1024 * 1024,
      after: 12 * 1024 * 1024,
      ending: "reset",
    });
    const bucket = await newBucket();
    const err = await artifactError(
      ensureArtifact(
        { url: server.url("/builds/cut.jar"), sha256: jarSha, bucket },
        { s3, policy: allowLoopback },
      ),
    );
    expect(err).toMatchObject({ reason: "FetchFailed", terminal: false });
    expect(await versionsIn(bucket)).toEqual([]);
    expect(await openUploads(bucket)).toBe(0);
  });

  it("a body that stops flowing fails after fetchTimeoutMs of silence", async () => {
    server.routes.set("/builds/stall.jar", { partial: 1024 * 1024, after: 1024, ending: "stall" });
    const bucket = await newBucket();
    const err = await artifactError(
      ensureArtifact(
        { url: server.url("/builds/stall.jar"), sha256: jarSha, bucket },
        { s3, policy: allowLoopback, fetchTimeoutMs: 300 },
      ),
    );
    expect(err).toMatchObject({ reason: "FetchFailed", terminal: false });
    expect(await versionsIn(bucket)).toEqual([]);
  });
});

describe("other sources", () => {
  it("copies an s3:// source through the same client", async () => {
    const from = await newBucket();
    await s3.send(new PutObjectCommand({ Bucket: from, Key: "ci/builds/app.zip", Body: jar }));
    const bucket = await newBucket();
    const result = await ensureArtifact(
      { url: `s3://${from}/ci/builds/app.zip`, sha256: jarSha, bucket },
      { s3, policy: noExceptions },
    );
    expect(result).toMatchObject({
      uploaded: true,
      key: `flink-applications/${jarSha}.zip`,
      bytes: jar.length,
    });
    expect(await sha256OfObject(bucket, result.key)).toBe(jarSha);

    const missing = await artifactError(
      ensureArtifact(
        { url: `s3://${from}/nope.jar`, sha256: jarSha, bucket: await newBucket() },
        { s3, policy: noExceptions },
      ),
    );
    expect(missing).toMatchObject({ reason: "NotFound", terminal: true });
  });

  it("resolves Maven coordinates against a repository layout", async () => {
    server.routes.set("/m2/com/example/flink/word-count/1.4.0/word-count-1.4.0-shaded.zip", { body: jar });
    const bucket = await newBucket();
    const result = await ensureArtifact(
      {
        maven: {
          repository: server.url("/m2/"),
          groupId: "com.example.flink",
          artifactId: "word-count",
          version: "1.4.0",
          classifier: "shaded",
          extension: "zip",
        },
        sha256: jarSha,
        bucket,
      },
      { s3, policy: allowLoopback },
    );
    expect(result).toMatchObject({ uploaded: true, key: `flink-applications/${jarSha}.zip` });
    expect(server.requestsTo("/m2/com/example/flink/word-count/1.4.0/word-count-1.4.0-shaded.zip")).toBe(1);
  });
});
