import { ServiceError } from "./errors.js";

export type FaultKind = "throttle" | "internal" | "unavailable" | "latency" | "lost";

export interface FaultRule {
  operation?: string;
  kind: FaultKind;
  /** How many matching calls the rule affects; absent = every matching call until cleared. */
  times?: number;
  latencyMs?: number;
  /** The share of matching calls affected (0–1], drawn from a seeded generator so runs repeat; default 1. */
  probability?: number;
  /** Seed of that generator (default 1). */
  seed?: number;
}

/** What a call meets: added latency, an error instead of the call, or the call applied and its response lost. */
export interface Fault {
  latencyMs: number;
  error?: ServiceError;
  /** Apply the call, then drop the connection without a response (a response lost on the network). */
  loseResponse?: boolean;
}

/** mulberry32: a small seeded generator, so a probability fault hits the same calls on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Injected faults, in the shapes AWS's JSON protocol uses for them. The kinesisanalyticsv2 model does not list
 * throttling, but every AWS JSON service can answer `ThrottlingException` (400), which the SDKs classify as
 * throttling and retry with backoff; `InternalFailure` (500) and `ServiceUnavailable` (503) are the common
 * errors listed in the AWS API reference's "Common Errors" page.
 */
export class FaultInjector {
  private rules: (FaultRule & { draw?: () => number })[] = [];

  add(rule: FaultRule): void {
    if (!["throttle", "internal", "unavailable", "latency", "lost"].includes(rule.kind)) {
      throw new Error(`unknown fault kind ${String(rule.kind)}`);
    }
    if (rule.times !== undefined && (!Number.isInteger(rule.times) || rule.times < 1)) {
      throw new Error("times must be a positive integer");
    }
    if (rule.kind === "latency" && !(typeof rule.latencyMs === "number" && rule.latencyMs >= 0)) {
      throw new Error("latency faults need latencyMs >= 0");
    }
    const p = rule.probability;
    if (p !== undefined && !(typeof p === "number" && p > 0 && p <= 1)) {
      throw new Error("probability must be a number in (0, 1]");
    }
    this.rules.push({ ...rule, ...(p !== undefined ? { draw: seeded(rule.seed ?? 1) } : {}) });
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRule[] {
    return this.rules.map(({ draw: _d, ...r }) => ({ ...r }));
  }

  /** Consumes the rules matching this call: the latency to add, and the error or lost response, if any. */
  take(operation: string): Fault {
    let latencyMs = 0;
    let error: ServiceError | undefined;
    let loseResponse = false;
    for (const rule of this.rules) {
      if (rule.operation !== undefined && rule.operation !== operation) continue;
      if (rule.kind !== "latency" && (error || loseResponse)) continue;
      if (rule.draw && rule.draw() >= rule.probability!) continue;
      if (rule.times !== undefined) rule.times -= 1;
      if (rule.kind === "latency") latencyMs += rule.latencyMs ?? 0;
      else if (rule.kind === "lost") loseResponse = true;
      else error = faultError(rule.kind);
    }
    this.rules = this.rules.filter((r) => r.times === undefined || r.times > 0);
    return { latencyMs, ...(error ? { error } : {}), ...(loseResponse ? { loseResponse } : {}) };
  }
}

function faultError(kind: Exclude<FaultKind, "latency" | "lost">): ServiceError {
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
