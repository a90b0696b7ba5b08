// spec.code as an S3 object: code.s3 as it is, or code.artifact once status.artifact records it in S3.
// The upload itself is a planned step (uploadArtifact), taken only for an application that is ours.
import type { S3Client } from "@aws-sdk/client-s3";
import type { Logger } from "pino";
import { ArtifactError, type ArtifactPolicy, ensureArtifact } from "../artifacts/index.js";
import { RecoverableError, TerminalError } from "../aws/errors.js";
import type { FlinkApplication, FlinkApplicationStatus, ResolvedArtifact } from "../crds/types.generated.js";
import type { CodeObject } from "./configuration-map.js";

type CodeSpec = FlinkApplication["spec"]["code"];

/** The code to run, or `upload` when the artifact is not recorded in S3 with this digest and target. */
export function codeToRun(code: CodeSpec, status: FlinkApplicationStatus): CodeObject | { upload: true } {
  if (code.s3) return code.s3;
  const a = code.artifact!;
  const recorded = status.artifact;
  if (
    recorded?.sha256 === a.sha256 &&
    recorded.bucket === a.bucket &&
    recorded.key?.startsWith(`${artifactPrefix(code)}/`)
  ) {
    return { bucket: recorded.bucket!, key: recorded.key!, objectVersion: recorded.objectVersion };
  }
  return { upload: true };
}

function artifactPrefix(code: CodeSpec): string {
  return (code.artifact?.prefix ?? "flink-applications").replace(/^\/+|\/+$/g, "");
}

/** The source as status shows it: no query, fragment or user:password@. */
export function sourceOf(a: NonNullable<CodeSpec["artifact"]>): string {
  if (!a.url) return `${a.maven?.groupId}:${a.maven?.artifactId}:${a.maven?.version}`;
  const u = new URL(a.url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}

export interface ArtifactDeps {
  s3: S3Client;
  policy: ArtifactPolicy;
  log: Logger;
}

/**
 * Fetches, verifies and uploads spec.code.artifact (once per digest; ensureArtifact skips an object
 * that is already there). A wrong digest or a refused URL is terminal: the spec must change.
 */
export async function uploadArtifact(
  code: CodeSpec,
  deps: ArtifactDeps,
): Promise<{ artifact: ResolvedArtifact; uploaded: boolean; bytes?: number }> {
  const a = code.artifact!;
  try {
    const out = await ensureArtifact(a, deps);
    return {
      uploaded: out.uploaded,
      bytes: out.bytes,
      artifact: {
        sha256: out.sha256,
        bucket: out.bucket,
        key: out.key,
        ...(out.objectVersion ? { objectVersion: out.objectVersion } : {}),
        // Only what was fetched: when the digest was already in S3 nothing was read from the source.
        ...(out.uploaded ? { source: sourceOf(a) } : {}),
      },
    };
  } catch (err) {
    if (!(err instanceof ArtifactError)) throw err;
    const Class = err.terminal ? TerminalError : RecoverableError;
    throw new Class(`Artifact${err.reason}`, err.message, "ArtifactUpload");
  }
}
