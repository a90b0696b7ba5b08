import { describe, expect, it } from "vitest";
import { WriteCap } from "../../../src/controller/write-cap.js";

describe("WriteCap", () => {
  it("allows max writes per window and key, then says how long until the oldest leaves the window", () => {
    let now = 0;
    const cap = new WriteCap(2, 1000, () => now);
    expect(cap.take("a")).toBeUndefined();
    now = 100;
    expect(cap.take("a")).toBeUndefined();
    expect(cap.take("b")).toBeUndefined();
    now = 400;
    expect(cap.take("a")).toBe(600);
    now = 1000;
    expect(cap.take("a")).toBeUndefined();
    expect(cap.take("a")).toBe(100);
    cap.forget("a");
    expect(cap.take("a")).toBeUndefined();
  });
});
