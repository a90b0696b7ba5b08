import type { KubeConfig, V1ConfigMap } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Informer } from "../../../src/controller/runtime/informer.js";
import { KubeTransport } from "../../../src/controller/runtime/transport.js";
import { waitFor } from "../../../src/localstack/processes.js";
import { createNamespace, deleteNamespace, kubeConfig } from "./kube.js";

describe("KubeTransport against a real kube-apiserver", () => {
  let kc: KubeConfig;
  let namespace: string;

  beforeAll(async () => {
    kc = kubeConfig();
    namespace = await createNamespace(kc, "transport");
  });
  afterAll(async () => {
    await deleteNamespace(kc, namespace);
  });

  const configmaps = () => `/api/v1/namespaces/${namespace}/configmaps`;

  it("sends many writes over one connection", async () => {
    const t = new KubeTransport(kc);
    try {
      for (let i = 0; i < 25; i++) {
        await t.request("POST", configmaps(), { body: { metadata: { name: `w${i}` }, data: { v: "0" } } });
        await t.request("PATCH", `${configmaps()}/w${i}`, {
          body: { data: { v: "1" } },
          contentType: "application/merge-patch+json",
        });
      }
      const cm = await t.request<V1ConfigMap>("GET", `${configmaps()}/w24`);
      expect(cm.data).toEqual({ v: "1" });
      expect(t.stats).toEqual({ requests: 51, connections: 1 });
    } finally {
      t.close();
    }
  });

  it("shares the pool between an informer's watch and writes: one connection each", async () => {
    const t = new KubeTransport(kc);
    const informer = new Informer<V1ConfigMap>({
      transport: t,
      listPath: configmaps(),
      resyncPeriodMs: 0,
    });
    try {
      await informer.start();
      await waitFor(async () => informer.stats.watches >= 1, { timeoutMs: 10_000, description: "a watch" });
      for (let i = 0; i < 20; i++) {
        await t.request("POST", configmaps(), { body: { metadata: { name: `s${i}` } } });
      }
      await waitFor(async () => informer.get(namespace, "s19") !== undefined, {
        timeoutMs: 10_000,
        description: "the last write seen by the watch",
      });
      // The list's connection went back to the pool and carries the watch; the writes share a second.
      expect(t.stats.requests).toBeGreaterThanOrEqual(22);
      expect(t.stats.connections).toBe(2);
    } finally {
      informer.stop();
      t.close();
    }
  });
});
