import { createHash } from "node:crypto";
import { pipeline, Transform, type TransformCallback } from "node:stream";
import { HeadObjectCommand, type HeadObjectCommandOutput, type S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { Logger } from "pino";
import type { CodeArtifact } from "../crds/types.generated.js";
import { ArtifactError } from "./errors.js";
import { openHttpSource, vetUrl } from "./http-source.js";
import { artifactExtension, artifactSource, contentKey, redactUrl, validateSha256 } from "./locations.js";
import type { ArtifactPolicy } from "./policy.js";
import { openS3Source } from "./s3-source.js";

export interface EnsureArtifactDeps {
  s3: S3Client;
  policy: ArtifactPolicy;
  log?: Logger;
  /** Bounds DNS, connect, time to first byte and any stall while streaming. Default 30 s. */
  fetchTimeoutMs?: number;
  /** Test seam: called with every address a source connection is attempted to. */
  onConnect?: (address: string, url: URL) => void;
}

export interface EnsuredArtifact {
  bucket: string;
  key: string;
  /** Set when the bucket is versioned; the code location should name it so a later overwrite cannot change the code. */
  objectVersion?: string;
  sha256: string;
  /** false when the content-addressed key already held this checksum. */
  uploaded: boolean;
  bytes?: number;
}

/**
 * Part size and queue bound the memory an upload can hold: lib-storage buffers one part per concurrent
 * uploader plus the part being filled, so about (queueSize + 1) × partSize = 24 MiB, whatever the artifact
 * size. 8 MiB parts reach S3's 10,000-part limit at ~78 GiB, far past any job jar. Sources: lib-storage
 * README ("queueSize", "partSize") and its chunker (dist-es/chunks/getChunkStream.js).
 */
export const uploadPartSize = 8 * 1024 * 1024;
export const uploadQueueSize = 2;

const defaultFetchTimeoutMs = 30_000;

/**
 * Makes `s3://<bucket>/<prefix>/<sha256>.<ext>` hold the artifact. The digest is checked while streaming
 * and the upload is only committed after it matched: see `DigestGate` and docs/adr/0007-artifacts-and-ssrf.md.
 */
export async function ensureArtifact(
  artifact: CodeArtifact,
  deps: EnsureArtifactDeps,
): Promise<EnsuredArtifact> {
  validateSha256(artifact.sha256);
  const source = artifactSource(artifact);
  const ext = artifactExtension(artifact);
  const bucket = artifact.bucket;
  const key = contentKey(artifact.prefix, artifact.sha256, ext);
  const timeoutMs = deps.fetchTimeoutMs ?? defaultFetchTimeoutMs;
  const log = deps.log?.child({ bucket, key });

  // The URL is vetted even when the digest is already uploaded: a spec that points at a forbidden
  // address is refused as such, not silently accepted because the bytes happen to be known.
  // Redirect hops can only be vetted when fetched (openHttpSource does that).
  if (source.kind !== "s3") await vetUrl(source.url, deps.policy, timeoutMs);

  const existing = await headExisting(deps.s3, bucket, key, artifact.sha256, log);
  if (existing) {
    log?.debug("artifact already uploaded");
    return {
      bucket,
      key,
      objectVersion: existing.VersionId,
      sha256: artifact.sha256,
      uploaded: false,
      bytes: existing.ContentLength,
    };
  }

  const started = Date.now();
  const shownSource = source.kind === "s3" ? `s3://${source.bucket}/${source.key}` : redactUrl(source.url);
  const opened =
    source.kind === "s3"
      ? await openS3Source(deps.s3, source.bucket, source.key, timeoutMs)
      : await openHttpSource(source.url, {
          policy: deps.policy,
          timeoutMs,
          log,
          onConnect: deps.onConnect,
        });

  const gate = new DigestGate(artifact.sha256, shownSource);
  let sourceError: unknown;
  pipeline(opened.body, gate, (err) => {
    if (err) sourceError = err;
  });

  const upload = new Upload({
    client: deps.s3,
    partSize: uploadPartSize,
    queueSize: uploadQueueSize,
    // lib-storage aborts the multipart upload when a part or the body fails; never keep orphaned parts.
    leavePartsOnError: false,
    params: {
      Bucket: bucket,
      Key: key,
      Body: gate,
      ContentType: ext === "zip" ? "application/zip" : "application/java-archive",
      Metadata: { sha256: artifact.sha256 },
      // The SDK computes x-amz-checksum-sha256 for each request body, so S3 rejects a part or object
      // corrupted in transit. S3 keeps SHA-256 as a full-object checksum only for single PUTs; for
      // multipart it is composite (a checksum of part checksums), which is why the plain digest is also
      // stored as x-amz-meta-sha256. (AWS S3 User Guide, "Checking object integrity in Amazon S3".)
      ChecksumAlgorithm: "SHA256",
    },
  });

  let result: Awaited<ReturnType<Upload["done"]>>;
  try {
    result = await upload.done();
  } catch (err) {
    opened.body.destroy();
    gate.destroy();
    const cause = sourceError ?? (gate.failure ? gate.failure : undefined);
    if (cause instanceof ArtifactError) throw cause;
    if (cause) {
      throw new ArtifactError(
        "FetchFailed",
        `${shownSource}: reading failed after ${gate.bytes} bytes: ${describe(cause)}`,
        false,
        { cause },
      );
    }
    throw new ArtifactError("UploadFailed", `s3://${bucket}/${key}: ${describe(err)}`, false, { cause: err });
  }
  if (sourceError || !gate.matched) {
    // Unreachable while lib-storage only completes after the body ended; kept so a change there cannot
    // turn into a silently wrong object.
    throw new ArtifactError(
      "UploadFailed",
      `s3://${bucket}/${key}: upload completed without a verified digest`,
      false,
    );
  }
  log?.info(
    { source: shownSource, bytes: gate.bytes, durationMs: Date.now() - started, versionId: result.VersionId },
    "artifact uploaded",
  );
  return {
    bucket,
    key,
    objectVersion: result.VersionId,
    sha256: artifact.sha256,
    uploaded: true,
    bytes: gate.bytes,
  };
}

function describe(err: unknown): string {
  if (err instanceof Error)
    return err.name && err.name !== "Error" ? `${err.name}: ${err.message}` : err.message;
  return String(err);
}

/**
 * Hashes the bytes as they pass and fails the stream at its end when the digest differs. lib-storage
 * sends the last part (or the single PUT) and CompleteMultipartUpload only after the body has ended
 * (dist-es/chunks/getChunkStream.js yields `lastPart` after the source iterator finishes; Upload.js
 * completes after all uploaders return), so a failure here means nothing is ever committed at the key.
 */
export class DigestGate extends Transform {
  private readonly hash = createHash("sha256");
  bytes = 0;
  matched = false;
  failure: ArtifactError | undefined;

  constructor(
    private readonly expected: string,
    private readonly shownSource: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const actual = this.hash.digest("hex");
    if (actual === this.expected) {
      this.matched = true;
      callback();
      return;
    }
    // Neither the actual digest nor the size: with an s3:// source they describe an object the tenant may
    // not be able to read, and a digest confirms a guess of its content (issue 13). Whoever can read the
    // source computes its digest there.
    this.failure = new ArtifactError(
      "ChecksumMismatch",
      `${this.shownSource}: the content does not have the sha256 ${this.expected}; nothing was uploaded`,
      true,
    );
    callback(this.failure);
  }
}

/**
 * The object already at the key, when it provably holds `sha256`: our metadata says so, or S3's own
 * full-object SHA-256 does (an object put by `aws s3 cp --checksum-algorithm SHA256`). Any evidence of
 * different content means it is replaced.
 */
async function headExisting(
  s3: S3Client,
  bucket: string,
  key: string,
  sha256: string,
  log: Logger | undefined,
): Promise<HeadObjectCommandOutput | undefined> {
  let head: HeadObjectCommandOutput;
  try {
    head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: "ENABLED" }));
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404) return undefined;
    // Without s3:ListBucket, S3 answers 403 instead of 404 for a missing key; uploading is still right.
    if (status === 403) {
      log?.warn("HeadObject forbidden; uploading without checking for an existing object");
      return undefined;
    }
    throw new ArtifactError("UploadFailed", `s3://${bucket}/${key}: HeadObject: ${describe(err)}`, false, {
      cause: err,
    });
  }
  const fromMetadata = head.Metadata?.sha256;
  const expectedBase64 = Buffer.from(sha256, "hex").toString("base64");
  // S3's SHA-256 equals the file's digest only for a FULL_OBJECT checksum (single PUT); a multipart upload's
  // is a checksum of part checksums. moto 5 omits ChecksumType and the "-<parts>" suffix on composite
  // values, so anything not explicitly FULL_OBJECT is ignored rather than guessed at.
  const fromChecksum = head.ChecksumType === "FULL_OBJECT" ? head.ChecksumSHA256 : undefined;
  if (fromMetadata !== undefined && fromMetadata !== sha256) return undefined;
  if (fromChecksum !== undefined && fromChecksum !== expectedBase64) return undefined;
  return fromMetadata !== undefined || fromChecksum !== undefined ? head : undefined;
}
