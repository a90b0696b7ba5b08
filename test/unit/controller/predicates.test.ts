import { describe, expect, it } from "vitest";
import { needsReconcile } from "../../../src/controller/predicates.js";
import { flinkApp } from "./fakes.js";

describe("needsReconcile", () => {
  const base = { ...flinkApp(), status: { applicationStatus: "RUNNING" } };
  it("ignores a change of status alone (our own writes coming back)", () => {
    const next = { ...base, status: { applicationStatus: "UPDATING" } };
    expect(needsReconcile(next, base)).toBe(false);
  });
  it.each([
    ["a new generation", { generation: 2 }],
    ["deletion", { deletionTimestamp: new Date("2026-11-29T00:00:00Z") }],
    ["finalizers", { finalizers: ["managedflink.dev/finalizer"] }],
    ["annotations (adopt)", { annotations: { "managedflink.dev/adopt": "true" } }],
    ["labels", { labels: { team: "a" } }],
  ])("reconciles on %s", (_what, meta) => {
    const next = { ...base, metadata: { ...base.metadata, ...meta } };
    expect(needsReconcile(next, base)).toBe(true);
  });
});
