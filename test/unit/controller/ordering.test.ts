// Which informer updates reach the work queue: what a user asked for, never our own status write
// coming back through the watch (the step that wrote it already continued or polls).
import { describe, expect, it } from "vitest";
import { askedForAction, withoutManagedFields } from "../../../src/controller/operator.js";
import type { FlinkApplication } from "../../../src/crds/types.generated.js";
import { flinkApp } from "./fakes.js";

const base: FlinkApplication = { ...flinkApp(), metadata: { ...flinkApp().metadata, resourceVersion: "10" } };
const next = (change: Partial<FlinkApplication["metadata"]>, status?: FlinkApplication["status"]) => ({
  ...base,
  metadata: { ...base.metadata, resourceVersion: "11", ...change },
  status: status ?? base.status,
});

describe("askedForAction", () => {
  it("answers spec changes, deletion, finalizers and annotations", () => {
    expect(askedForAction(next({ generation: 2 }), base)).toBe(true);
    expect(askedForAction(next({ deletionTimestamp: new Date("2026-11-29T12:00:00Z") }), base)).toBe(true);
    expect(askedForAction(next({ finalizers: ["managedflink.dev/finalizer"] }), base)).toBe(true);
    expect(askedForAction(next({ annotations: { "managedflink.dev/adopt": "true" } }), base)).toBe(true);
  });

  it("ignores a status-only update (our own write coming back)", () => {
    expect(askedForAction(next({}, { applicationStatus: "RUNNING" }), base)).toBe(false);
  });
});

describe("withoutManagedFields", () => {
  it("drops metadata.managedFields and keeps everything else", () => {
    const withFields = {
      ...base,
      metadata: { ...base.metadata, managedFields: [{ manager: "kubectl", operation: "Apply" }] },
    } as FlinkApplication;
    const stripped = withoutManagedFields(withFields);
    expect(stripped.metadata.managedFields).toBeUndefined();
    expect(stripped.metadata.resourceVersion).toBe("10");
    expect(stripped.spec).toBe(base.spec);
    expect(withoutManagedFields(base)).toBe(base);
  });
});
