/**
 * A service error as the AWS JSON 1.1 protocol carries it: `__type` names the error shape, the HTTP status
 * is 400 for client errors and 5xx for faults. kinesisanalyticsv2's model declares no `httpStatusCode` on its
 * error shapes, so every modelled error is a 400 (the API reference lists "HTTP Status Code: 400" for each).
 */
export class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}

export const invalidArgument = (message: string) => new ServiceError("InvalidArgumentException", message);
export const resourceNotFound = (message: string) => new ServiceError("ResourceNotFoundException", message);
export const resourceInUse = (message: string) => new ServiceError("ResourceInUseException", message);
export const concurrentModification = (message: string) =>
  new ServiceError("ConcurrentModificationException", message);
export const invalidRequest = (message: string) => new ServiceError("InvalidRequestException", message);
export const invalidApplicationConfiguration = (message: string) =>
  new ServiceError("InvalidApplicationConfigurationException", message);
export const limitExceeded = (message: string) => new ServiceError("LimitExceededException", message);
export const tooManyTags = (message: string) => new ServiceError("TooManyTagsException", message);
/** Coral's framework error for a body that does not deserialize into the input shape. */
export const codeValidation = (message: string) => new ServiceError("CodeValidationException", message);
export const serialization = (message: string) => new ServiceError("SerializationException", message);
