import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { CallLog } from "./calls.js";
import type { Clock } from "./clock.js";
import { ServiceError, serialization } from "./errors.js";
import type { FaultInjector } from "./faults.js";
import type { ServiceModel } from "./model.js";
import type { ManagedFlinkService } from "./service.js";
import { callerAccessKeyId } from "./sts.js";
import { validateInput } from "./validation.js";

export const JSON_11 = "application/x-amz-json-1.1";

export interface ProtocolDeps {
  model: ServiceModel;
  service: ManagedFlinkService;
  calls: CallLog;
  faults: FaultInjector;
  log: Logger;
  /** Stamps the call log, so that it agrees with the timestamps the API reports. */
  clock: Clock;
}

/**
 * The AWS JSON 1.1 protocol: `POST /` with `X-Amz-Target: <targetPrefix>.<Operation>`, a JSON body, and
 * errors as `{"__type", "message"}` with the type also in `x-amzn-ErrorType`. Signatures are not verified:
 * any SigV4 Authorization header (or none) is accepted.
 */
export async function handleApiRequest(
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
  deps: ProtocolDeps,
) {
  const requestId = randomUUID();
  const target = String(req.headers["x-amz-target"] ?? "");
  const prefix = `${deps.model.metadata.targetPrefix}.`;
  const operation = target.startsWith(prefix) ? target.slice(prefix.length) : "";
  let input: unknown = {};
  const at = new Date(deps.clock.now()).toISOString();
  const caller = callerAccessKeyId(req);
  const by = caller ? { accessKeyId: caller } : {};
  try {
    if (req.method !== "POST")
      throw new ServiceError("UnknownOperationException", "Only POST is supported", 404);
    // Own properties only: "constructor" or "toString" in X-Amz-Target must not reach Object.prototype.
    const known =
      Object.hasOwn(deps.model.operations, operation) && Object.hasOwn(deps.service.operations, operation);
    const handler = known ? deps.service.operations[operation] : undefined;
    if (!handler) {
      throw new ServiceError(
        "UnknownOperationException",
        `Unknown operation ${target || "(no X-Amz-Target)"}`,
      );
    }
    input = parseBody(body);
    const fault = deps.faults.take(operation);
    if (fault.latencyMs > 0) await new Promise((r) => setTimeout(r, fault.latencyMs));
    if (fault.error) throw fault.error;
    validateInput(deps.model, operation, input);
    const output = await handler(input as Record<string, unknown>);
    deps.calls.record({ operation, input, at, ...by, ...(fault.loseResponse ? { responseLost: true } : {}) });
    if (fault.loseResponse) {
      // Applied, but the caller never hears so: the connection drops as a network fault would.
      deps.log.info({ requestId, operation }, "call applied, response dropped (fault)");
      res.socket?.destroy();
      return;
    }
    deps.log.info({ requestId, operation }, "call");
    send(res, 200, requestId, output);
  } catch (err) {
    const e =
      err instanceof ServiceError
        ? err
        : new ServiceError(
            "InternalFailure",
            "The request processing has failed because of an unknown error",
            500,
          );
    if (!(err instanceof ServiceError)) deps.log.error({ requestId, operation, err }, "internal error");
    deps.calls.record({ operation: operation || target, input, error: e.type, at, ...by });
    deps.log.info({ requestId, operation, error: e.type, status: e.status }, "call failed");
    res.setHeader("x-amzn-ErrorType", e.type);
    send(res, e.status, requestId, { __type: e.type, message: e.message });
  }
}

function parseBody(body: string): unknown {
  if (body.trim() === "") return {};
  try {
    const parsed = JSON.parse(body) as unknown;
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw serialization("The request body must be a JSON object");
    }
    return parsed;
  } catch (err) {
    if (err instanceof ServiceError) throw err;
    throw serialization("The request body is not valid JSON");
  }
}

export function send(
  res: ServerResponse,
  status: number,
  requestId: string,
  body: unknown,
  contentType = JSON_11,
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": contentType,
    "content-length": Buffer.byteLength(text),
    "x-amzn-RequestId": requestId,
  });
  res.end(text);
}
