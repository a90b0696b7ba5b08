// Event correlation against a real kube-apiserver: a repeat is a merge patch of count and
// lastTimestamp on the Event first created, and the API server accepts it.
import type { KubeConfig } from "@kubernetes/client-node";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventRecorder } from "../../../src/controller/events.js";
import { KubeClient } from "../../../src/controller/kube.js";
import { KubeTransport } from "../../../src/controller/runtime/transport.js";
import type { FlinkApplication } from "../../../src/crds/types.generated.js";
import { createNamespace, deleteNamespace, kubeConfig } from "./kube.js";

interface Listed {
  items: Array<{
    reason: string;
    message: string;
    count: number;
    firstTimestamp: string;
    lastTimestamp: string;
  }>;
}

describe("EventRecorder against a real kube-apiserver", () => {
  let kc: KubeConfig;
  let namespace: string;
  beforeAll(async () => {
    kc = kubeConfig();
    namespace = await createNamespace(kc, "events");
  });
  afterAll(async () => {
    await deleteNamespace(kc, namespace);
  });

  it("writes one Event with count 3 for three identical records, and a second for another reason", async () => {
    const transport = new KubeTransport(kc);
    let now = Date.parse("2026-11-29T12:00:00Z");
    const recorder = new EventRecorder(new KubeClient(transport), pino({ level: "silent" }), "it", {
      now: () => now,
    });
    const obj = {
      apiVersion: "managedflink.dev/v1alpha1",
      kind: "FlinkApplication",
      metadata: { name: "orders", namespace, uid: "3f1c2d4e-0000-4000-8000-000000000001" },
      spec: {},
    } as unknown as FlinkApplication;
    try {
      for (let i = 0; i < 3; i++) {
        await recorder.record(obj, "Warning", "Throttled", "ThrottlingException: Rate exceeded");
        now += 1_000;
      }
      await recorder.record(obj, "Normal", "Starting", "starting");
      const listed = await transport.request<Listed>("GET", `/api/v1/namespaces/${namespace}/events`);
      const byReason = Object.fromEntries(listed.items.map((e) => [e.reason, e]));
      expect(listed.items).toHaveLength(2);
      expect(byReason.Throttled).toMatchObject({
        count: 3,
        firstTimestamp: "2026-11-29T12:00:00Z",
        lastTimestamp: "2026-11-29T12:00:02Z",
      });
      expect(byReason.Starting).toMatchObject({ count: 1 });
    } finally {
      transport.close();
    }
  });
});
