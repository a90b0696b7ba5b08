/**
 * Why an artifact could not be turned into an S3 object. `terminal` follows the ACK runtime's split:
 * a terminal error means the spec must change before retrying can help (a wrong checksum, a URL the
 * policy refuses, a source that does not exist); anything else is retried with backoff.
 */
export type ArtifactErrorReason =
  | "ChecksumMismatch"
  | "ForbiddenURL"
  | "FetchFailed"
  | "NotFound"
  | "UploadFailed";

export class ArtifactError extends Error {
  override readonly name = "ArtifactError";

  constructor(
    readonly reason: ArtifactErrorReason,
    message: string,
    readonly terminal: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function forbidden(message: string): ArtifactError {
  return new ArtifactError("ForbiddenURL", message, true);
}
