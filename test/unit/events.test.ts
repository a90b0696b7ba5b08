import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { EventRecorder } from "../../src/controller/events.js";
import type { KubeWrites } from "../../src/controller/kube.js";
import { createLogger, reconcileLogger, withLogger } from "../../src/controller/runtime/log.js";
import type { FlinkApplication } from "../../src/crds/types.generated.js";

const app = {
  apiVersion: "managedflink.dev/v1alpha1",
  kind: "FlinkApplication",
  metadata: { name: "engagement-metrics", namespace: "team-a", uid: "u1" },
  spec: {},
} as unknown as FlinkApplication;

describe("EventRecorder", () => {
  it("logs an event it could not write on the logger of the reconcile it ran in", async () => {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk, _enc, cb) {
        for (const l of chunk.toString().split("\n")) if (l) lines.push(JSON.parse(l));
        cb();
      },
    });
    const base = createLogger("info", stream);
    const refusing = {
      createEvent: async () => {
        throw new Error("events is forbidden");
      },
    } as unknown as KubeWrites;
    const recorder = new EventRecorder(refusing, base, "pod-a");
    const log = reconcileLogger(base, "flinkapplication", "team-a", "engagement-metrics");
    await withLogger(log, () => recorder.record(app, "Normal", "Created", "created"));
    await recorder.record(app, "Normal", "Created", "outside a reconcile");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      msg: "could not record event",
      reason: "Created",
      controller: "flinkapplication",
      namespace: "team-a",
      name: "engagement-metrics",
      reconcileID: expect.any(String),
    });
    expect(lines[1]).not.toHaveProperty("reconcileID");
  });
});
