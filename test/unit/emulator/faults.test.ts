import { describe, expect, it } from "vitest";
import { FaultInjector } from "../../../src/emulator/faults.js";

describe("FaultInjector", () => {
  it("answers the configured error for matching operations, the given number of times", () => {
    const f = new FaultInjector();
    f.add({ operation: "DescribeApplication", kind: "throttle", times: 2 });
    expect(f.take("ListApplications").error).toBeUndefined();
    expect(f.take("DescribeApplication").error?.type).toBe("ThrottlingException");
    expect(f.take("DescribeApplication").error?.status).toBe(400);
    expect(f.take("DescribeApplication").error).toBeUndefined();
  });

  it("maps internal and unavailable to 500 InternalFailure and 503 ServiceUnavailable, and adds latency", () => {
    const f = new FaultInjector();
    f.add({ kind: "latency", latencyMs: 30 });
    f.add({ kind: "internal", times: 1 });
    f.add({ kind: "unavailable", times: 1 });
    const first = f.take("X");
    expect(first).toMatchObject({ latencyMs: 30, error: { type: "InternalFailure", status: 500 } });
    expect(f.take("X").error).toMatchObject({ type: "ServiceUnavailable", status: 503 });
    expect(f.take("X")).toEqual({ latencyMs: 30 });
  });

  it("rejects malformed rules", () => {
    const f = new FaultInjector();
    expect(() => f.add({ kind: "boom" as never })).toThrow();
    expect(() => f.add({ kind: "latency" })).toThrow();
    expect(() => f.add({ kind: "throttle", times: 0 })).toThrow();
  });
});

describe("lost responses and probabilities", () => {
  it("marks a call to apply and lose its response, and never combines it with an error", () => {
    const f = new FaultInjector();
    f.add({ kind: "lost", operation: "CreateApplication", times: 1 });
    f.add({ kind: "internal", operation: "CreateApplication", times: 1 });
    expect(f.take("CreateApplication")).toEqual({ latencyMs: 0, loseResponse: true });
    expect(f.take("CreateApplication").error?.type).toBe("InternalFailure");
    expect(f.take("CreateApplication")).toEqual({ latencyMs: 0 });
  });

  it("hits about the given share of calls, the same calls for the same seed", () => {
    const hits = (seed: number) => {
      const f = new FaultInjector();
      f.add({ kind: "lost", probability: 0.3, seed });
      return Array.from({ length: 1000 }, () => Boolean(f.take("UpdateApplication").loseResponse));
    };
    const a = hits(7);
    expect(a.filter(Boolean).length).toBeGreaterThan(250);
    expect(a.filter(Boolean).length).toBeLessThan(350);
    expect(hits(7)).toEqual(a);
    expect(hits(8)).not.toEqual(a);
  });

  it("refuses a probability outside (0, 1]", () => {
    expect(() => new FaultInjector().add({ kind: "lost", probability: 0 })).toThrow(/probability/);
    expect(() => new FaultInjector().add({ kind: "lost", probability: 1.5 })).toThrow(/probability/);
  });
});
