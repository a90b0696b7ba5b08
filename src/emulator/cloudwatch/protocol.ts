// CloudWatch over the AWS JSON 1.0 protocol, which the AWS SDK for JavaScript v3 speaks to CloudWatch:
// `POST /` with `X-Amz-Target: GraniteServiceVersion20100801.<Operation>`. The service is
// awsQueryCompatible, so an error also carries its query-protocol code in `x-amzn-query-error:
// <Code>;Sender` (the code is the `error.code` of the shape in botocore's model), which the SDK reports
// as the error's Code.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { CallLog } from "../calls.js";
import type { Clock } from "../clock.js";
import { ServiceError, serialization } from "../errors.js";
import type { ServiceModel } from "../model.js";
import { send } from "../protocol.js";
import type { Json } from "../store.js";
import { callerAccessKeyId } from "../sts.js";
import { findViolations, formatViolations } from "../validation.js";
import { getMetricData, listMetrics, putMetricData } from "./api.js";
import type { MetricStore } from "./metric-store.js";

export const TARGET_PREFIX = "GraniteServiceVersion20100801.";
const JSON_10 = "application/x-amz-json-1.0";

export interface CloudWatchDeps {
  model: ServiceModel;
  store: MetricStore;
  calls: CallLog;
  clock: Clock;
  log: Logger;
}

const operations: Record<string, (store: MetricStore, input: Json, now: number) => Json> = {
  PutMetricData: putMetricData,
  GetMetricData: getMetricData,
  ListMetrics: listMetrics,
};

export function isCloudWatchRequest(req: IncomingMessage): boolean {
  return String(req.headers["x-amz-target"] ?? "").startsWith(TARGET_PREFIX);
}

export function handleCloudWatchRequest(
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
  deps: CloudWatchDeps,
): void {
  const requestId = randomUUID();
  const operation = String(req.headers["x-amz-target"]).slice(TARGET_PREFIX.length);
  const now = deps.clock.now();
  const caller = callerAccessKeyId(req);
  let summary: Json = {};
  try {
    const handler = Object.hasOwn(operations, operation) ? operations[operation] : undefined;
    if (!handler || !Object.hasOwn(deps.model.operations, operation)) {
      throw new ServiceError(
        "UnknownOperationException",
        `The emulator serves CloudWatch's ${Object.keys(operations).join(", ")}, not ${operation || "(none)"}`,
      );
    }
    const input = parseBody(body);
    summary = summarize(operation, input);
    const violations = findViolations(deps.model, operation, input);
    // Coral's constraint failures are ValidationError in the query protocol (shape ValidationException).
    if (violations.length > 0) throw new ServiceError("ValidationException", formatViolations(violations));
    const output = handler(deps.store, input, now);
    record(deps, operation, summary, now, caller);
    deps.log.debug({ requestId, operation }, "cloudwatch call");
    send(res, 200, requestId, output, JSON_10);
  } catch (err) {
    const e =
      err instanceof ServiceError
        ? err
        : new ServiceError(
            "InternalServiceFault",
            "The request processing has failed because of an unknown error",
            500,
          );
    if (!(err instanceof ServiceError)) deps.log.error({ requestId, operation, err }, "internal error");
    record(deps, operation, summary, now, caller, e.type);
    const code = deps.model.shapes[e.type] as
      | { error?: { code?: string; senderFault?: boolean } }
      | undefined;
    res.setHeader(
      "x-amzn-query-error",
      `${code?.error?.code ?? e.type};${e.status < 500 ? "Sender" : "Receiver"}`,
    );
    send(res, e.status, requestId, { __type: e.type, message: e.message }, JSON_10);
  }
}

/** The call log keeps what a test asserts on, not 500 queries per read. */
function summarize(operation: string, input: Json): Json {
  if (operation === "GetMetricData") {
    return { queries: (input.MetricDataQueries as unknown[] | undefined)?.length ?? 0 };
  }
  if (operation === "PutMetricData") {
    return { Namespace: input.Namespace, data: (input.MetricData as unknown[] | undefined)?.length ?? 0 };
  }
  return {};
}

function record(
  deps: CloudWatchDeps,
  operation: string,
  input: Json,
  now: number,
  caller?: string,
  error?: string,
) {
  deps.calls.record({
    operation: `cloudwatch:${operation}`,
    input,
    at: new Date(now).toISOString(),
    ...(caller ? { accessKeyId: caller } : {}),
    ...(error ? { error } : {}),
  });
}

function parseBody(body: string): Json {
  if (body.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw serialization("The request body is not valid JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw serialization("The request body must be a JSON object");
  }
  return parsed as Json;
}
