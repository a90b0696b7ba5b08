import type { Readable } from "node:stream";
import { GetObjectCommand, type S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { ArtifactError } from "./errors.js";

/** Streams s3://bucket/key with the operator's own client; no SSRF check applies, the endpoint is the client's. */
export async function openS3Source(
  s3: S3Client,
  bucket: string,
  key: string,
  timeoutMs: number,
): Promise<{ body: Readable; contentLength?: number }> {
  const shown = `s3://${bucket}/${key}`;
  // Only the wait for the response is bounded: a signal that fired later would cut a long body short.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), {
      abortSignal: abort.signal,
    });
    // In Node the SDK's Body is an IncomingMessage (a Readable) with the SDK's stream mixin.
    return { body: out.Body as Readable, contentLength: out.ContentLength };
  } catch (err) {
    const name = err instanceof S3ServiceException ? err.name : (err as Error).name;
    if (name === "NoSuchKey" || name === "NoSuchBucket" || name === "NotFound") {
      throw new ArtifactError("NotFound", `${shown}: ${name}`, true, { cause: err });
    }
    throw new ArtifactError("FetchFailed", `${shown}: ${name}: ${(err as Error).message}`, false, {
      cause: err,
    });
  } finally {
    clearTimeout(timer);
  }
}
