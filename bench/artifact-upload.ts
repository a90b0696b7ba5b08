/**
 * Uploads a 1 GiB artifact through ensureArtifact and reports how much this process's RSS grew
 * (issue 4: "the controller's RSS grows by less than 100 MiB"). Run: npx tsx bench/artifact-upload.ts
 *
 * The artifact is generated on the fly by a local http server in this process, so its buffers count
 * against the budget too: the figure is an upper bound on what the controller alone would use.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { ensureArtifact, uploadPartSize, uploadQueueSize } from "../src/artifacts/ensure-artifact.js";
import { startS3Server } from "../src/localstack/s3.js";
import { generatedSha256, SourceServer } from "../test/integration/artifacts/source-server.js";

const MiB = 1024 * 1024;
const size = Number(process.env.BENCH_ARTIFACT_BYTES ?? 1024 * MiB);
const budgetBytes = 100 * MiB;
const sampleEveryMs = 100;

async function main(): Promise<number> {
  const workDir = mkdtempSync(join(tmpdir(), "bench-artifact-"));
  const s3Server = await startS3Server(workDir);
  const source = await SourceServer.start();
  const s3 = new S3Client({
    endpoint: s3Server.endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "local", secretAccessKey: "local-secret" },
  });
  try {
    source.routes.set("/artifact.jar", { generated: size });
    const sha256 = await generatedSha256(size);
    const bucket = "bench-artifacts";
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));

    const baselineRss = process.memoryUsage.rss();
    let peakRss = baselineRss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
    }, sampleEveryMs);
    const started = performance.now();
    const result = await ensureArtifact(
      { url: source.url("/artifact.jar"), sha256, bucket },
      { s3, policy: { allowedHosts: ["127.0.0.1"], allowedCidrs: [] } },
    );
    const durationMs = performance.now() - started;
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage.rss());

    const growth = peakRss - baselineRss;
    const report = {
      bytes: size,
      uploaded: result.uploaded,
      key: result.key,
      partSizeMiB: uploadPartSize / MiB,
      queueSize: uploadQueueSize,
      baselineRssMiB: round(baselineRss / MiB),
      peakRssMiB: round(peakRss / MiB),
      growthMiB: round(growth / MiB),
      budgetMiB: budgetBytes / MiB,
      withinBudget: growth < budgetBytes,
      durationS: round(durationMs / 1000),
      throughputMiBps: round(size / MiB / (durationMs / 1000)),
      node: process.version,
    };
    console.log(JSON.stringify(report, null, 2));
    return report.withinBudget && result.uploaded ? 0 : 1;
  } finally {
    s3.destroy();
    await source.stop();
    await s3Server.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
