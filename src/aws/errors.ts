// Error classes in the spirit of the ACK runtime: the reconciler decides by class, never by string.
//
// kinesisanalyticsv2 error types and their meaning:
// https://docs.aws.amazon.com/managed-flink/latest/apiv2/CommonErrors.html and each action's "Errors".

/** The spec must change before anything more can succeed; retrying is pointless. */
export class TerminalError extends Error {
  override readonly name = "TerminalError";
  constructor(
    readonly type: string,
    message: string,
    readonly operation?: string,
  ) {
    super(message);
  }
}

/** The application is busy or was changed by someone else; observe again soon. */
export class ConflictError extends Error {
  override readonly name = "ConflictError";
  constructor(
    readonly type: string,
    message: string,
    readonly operation?: string,
  ) {
    super(message);
  }
}

/**
 * The fix lies outside the spec — IAM permissions, the account's quotas, credentials — so a spec change
 * is not needed and not enough: reported as Stalled and retried on a long backoff, never in silence.
 */
export class ExternalError extends Error {
  override readonly name = "ExternalError";
  constructor(
    readonly type: string,
    message: string,
    readonly operation?: string,
  ) {
    super(message);
  }
}

/** Anything else: throttling that outlasted the SDK's retries, 5xx, network. Retried with backoff. */
export class RecoverableError extends Error {
  override readonly name = "RecoverableError";
  constructor(
    readonly type: string,
    message: string,
    readonly operation?: string,
  ) {
    super(message);
  }
}

const terminalTypes = new Set([
  "InvalidArgumentException",
  "InvalidApplicationConfigurationException",
  "CodeValidationException",
  "UnsupportedOperationException",
  "ValidationException",
  "TooManyTagsException",
]);
const externalTypes = new Set([
  "AccessDeniedException",
  "UnrecognizedClientException",
  "LimitExceededException",
]);
const conflictTypes = new Set(["ResourceInUseException", "ConcurrentModificationException"]);

/** Maps an AWS SDK v3 error (or anything thrown) to one of the three classes. */
export function classifyAwsError(
  err: unknown,
  operation: string,
): TerminalError | ConflictError | ExternalError | RecoverableError {
  if (
    err instanceof TerminalError ||
    err instanceof ConflictError ||
    err instanceof ExternalError ||
    err instanceof RecoverableError
  )
    return err;
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const type = e?.name ?? "Error";
  const message = e?.message ?? String(err);
  if (terminalTypes.has(type)) return new TerminalError(type, message, operation);
  if (conflictTypes.has(type)) return new ConflictError(type, message, operation);
  if (externalTypes.has(type)) return new ExternalError(type, message, operation);
  return new RecoverableError(type, message, operation);
}

export function isNotFound(err: unknown): boolean {
  return (err as { name?: string })?.name === "ResourceNotFoundException";
}
