import { HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { codeValidation, type ServiceError } from "./errors.js";

export interface CodeLocation {
  BucketARN?: string | undefined;
  FileKey?: string | undefined;
  ObjectVersion?: string | undefined;
}

/** Answers whether the application's code object exists; a port so the service logic stays testable. */
export interface CodeLocationChecker {
  /** Resolves to undefined when the object exists, or to a reason it cannot be used. */
  check(location: CodeLocation): Promise<string | undefined>;
}

/** `arn:aws:s3:::bucket` → `bucket` (S3 bucket ARNs carry no region or account). */
export function bucketFromArn(arn: string): string | undefined {
  const m = /^arn:[^:]+:s3:::([^/]+)$/.exec(arn);
  return m?.[1];
}

/** HeadObject against the S3 server the emulator was pointed at (path-style, dummy credentials). */
export class S3CodeLocationChecker implements CodeLocationChecker {
  private readonly s3: S3Client;

  constructor(endpoint: string, region: string) {
    this.s3 = new S3Client({
      endpoint,
      region,
      forcePathStyle: true,
      credentials: { accessKeyId: "emulator", secretAccessKey: "emulator" },
      maxAttempts: 2,
    });
  }

  async check(location: CodeLocation): Promise<string | undefined> {
    const bucket = location.BucketARN ? bucketFromArn(location.BucketARN) : undefined;
    if (!bucket) return `${String(location.BucketARN)} is not an S3 bucket ARN`;
    if (!location.FileKey) return "FileKey is missing";
    try {
      await this.s3.send(
        new HeadObjectCommand({
          Bucket: bucket,
          Key: location.FileKey,
          ...(location.ObjectVersion ? { VersionId: location.ObjectVersion } : {}),
        }),
      );
      return undefined;
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      const status = e.$metadata?.httpStatusCode;
      if (
        status === 404 ||
        status === 403 ||
        status === 400 ||
        e.name === "NotFound" ||
        e.name === "NoSuchKey"
      ) {
        return `s3://${bucket}/${location.FileKey}${location.ObjectVersion ? ` (version ${location.ObjectVersion})` : ""} does not exist or is not accessible`;
      }
      throw err;
    }
  }

  close(): void {
    this.s3.destroy();
  }
}

/** Fails with `fail`'s error when the code object cannot be used. */
export async function requireCode(
  checker: CodeLocationChecker,
  location: CodeLocation,
  fail: (message: string) => ServiceError,
): Promise<void> {
  const problem = await checker.check(location);
  if (problem) throw fail(`Application code location is not valid: ${problem}`);
}

/**
 * Inline ZIPFILE code (ZipFileContent, at most 50 MB in the request) must be a ZIP archive, or the
 * service cannot unpack it: CodeValidationException ("the user-provided application code is not
 * valid"). Code in S3 is not inspected, only its existence (docs/emulator.md).
 */
export function requireZipArchive(type: string | undefined, content: unknown): void {
  if (type !== "ZIPFILE" || content === undefined) return;
  const bytes =
    typeof content === "string" ? Buffer.from(content, "base64") : Buffer.from(content as Uint8Array);
  // Every ZIP (and jar) starts with a local file header or, if empty, the end-of-central-directory record.
  const magic = bytes.subarray(0, 4).toString("hex");
  if (magic !== "504b0304" && magic !== "504b0506") {
    throw codeValidation("The application code is not a valid ZIP archive (ZipFileContent)");
  }
}
