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
