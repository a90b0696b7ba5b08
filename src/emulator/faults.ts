import { ServiceError } from "./errors.js";

export type FaultKind = "throttle" | "internal" | "unavailable" | "latency";

export interface FaultRule {
  operation?: string;
  kind: FaultKind;
  /** How many matching calls the rule affects; absent = every matching call until cleared. */
  times?: number;
  latencyMs?: number;
}

/**
 * Injected faults, in the shapes AWS's JSON protocol uses for them. The kinesisanalyticsv2 model does not list
 * throttling, but every AWS JSON service can answer `ThrottlingException` (400), which the SDKs classify as
 * throttling and retry with backoff; `InternalFailure` (500) and `ServiceUnavailable` (503) are the common
 * errors listed in the AWS API reference's "Common Errors" page.
 */
export class FaultInjector {
  private rules: FaultRule[] = [];

  add(rule: FaultRule): void {
    if (!["throttle", "internal", "unavailable", "latency"].includes(rule.kind)) {
      throw new Error(`unknown fault kind ${String(rule.kind)}`);
    }
    if (rule.times !== undefined && (!Number.isInteger(rule.times) || rule.times < 1)) {
      throw new Error("times must be a positive integer");
    }
    if (rule.kind === "latency" && !(typeof rule.latencyMs === "number" && rule.latencyMs >= 0)) {
      throw new Error("latency faults need latencyMs >= 0");
    }
    this.rules.push({ ...rule });
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** Consumes the rules matching this call: the total latency to add, and the error to answer, if any. */
  take(operation: string): { latencyMs: number; error?: ServiceError } {
    let latencyMs = 0;
    let error: ServiceError | undefined;
    for (const rule of this.rules) {
      if (rule.operation !== undefined && rule.operation !== operation) continue;
      if (rule.kind !== "latency" && error) continue;
      if (rule.times !== undefined) rule.times -= 1;
      if (rule.kind === "latency") latencyMs += rule.latencyMs ?? 0;
      else error = faultError(rule.kind);
    }
    this.rules = this.rules.filter((r) => r.times === undefined || r.times > 0);
    return error ? { latencyMs, error } : { latencyMs };
  }
}

function faultError(kind: Exclude<FaultKind, "latency">): ServiceError {
  switch (kind) {
    case "throttle":
      return new ServiceError("ThrottlingException", "Rate exceeded", 400);
    case "internal":
      return new ServiceError(
        "InternalFailure",
        "The request processing has failed because of an unknown error",
        500,
      );
    case "unavailable":
      return new ServiceError(
        "ServiceUnavailable",
        "The request has failed due to a temporary failure of the server",
        503,
      );
  }
}
