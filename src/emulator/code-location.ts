import { HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";

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
