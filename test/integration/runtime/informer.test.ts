import {
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesObject,
  type V1ConfigMap,
} from "@kubernetes/client-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Informer, type InformerTransport } from "../../../src/controller/runtime/informer.js";
import { isGone, KubeApiError, KubeTransport } from "../../../src/controller/runtime/transport.js";
import { waitFor } from "../../../src/localstack/processes.js";
import { createNamespace, deleteNamespace, kubeConfig } from "./kube.js";

const wait = (description: string, check: () => boolean | undefined) =>
  waitFor(async () => check(), { timeoutMs: 20_000, intervalMs: 20, description });

/** The real transport, recording every request and what the API server answered. */
function recording(kc: KubeConfig, steer?: (query: Record<string, string>, n: number) => Promise<void>) {
  const real = new KubeTransport(kc);
  const log = {
    lists: [] as Record<string, string>[],
    watches: [] as Record<string, string>[],
    watchErrors: [] as unknown[],
    errorEvents: [] as unknown[],
  };
  const transport: InformerTransport = {
    get(path, query, signal) {
      log.lists.push(query);
      return real.get(path, query, signal);
    },
    async watch(path, query, onEvent, signal) {
      const q = { ...query };
      await steer?.(q, log.watches.length);
      log.watches.push(q);
      try {
        return await real.watch(
          path,
          q,
          (e) => {
            if (e.type === "ERROR") log.errorEvents.push(e.object);
            onEvent(e);
          },
          signal,
        );
      } catch (err) {
        log.watchErrors.push(err);
        throw err;
      }
    },
  };
  return { transport, log };
}

describe("Informer against a real kube-apiserver", () => {
  let kc: KubeConfig;
  let core: CoreV1Api;
  let namespace: string;
  const informers: Informer<V1ConfigMap>[] = [];

  beforeAll(async () => {
    kc = kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    namespace = await createNamespace(kc, "informer");
  });
  afterEach(() => {
    for (const i of informers.splice(0)) i.stop();
  });
  afterAll(async () => {
    await deleteNamespace(kc, namespace);
  });

  const track = (i: Informer<V1ConfigMap>) => {
    informers.push(i);
    return i;
  };
  const events: string[] = [];
  const handlers = {
    onAdd: (o: V1ConfigMap) => events.push(`add ${o.metadata?.name}`),
    onUpdate: (o: V1ConfigMap) => events.push(`update ${o.metadata?.name} ${JSON.stringify(o.data ?? {})}`),
    onDelete: (o: V1ConfigMap) => events.push(`delete ${o.metadata?.name}`),
  };
  const put = (name: string, data: Record<string, string> = {}) =>
    core.createNamespacedConfigMap({ namespace, body: { metadata: { name }, data } });

  it("lists existing objects and follows adds, updates and deletes", async () => {
    events.length = 0;
    await put("pre-existing");
    const { transport, log } = recording(kc);
    const informer = track(
      new Informer<V1ConfigMap>({
        listPath: `/api/v1/namespaces/${namespace}/configmaps`,
        resyncPeriodMs: 0,
        pageSize: 1, // exercises limit/continue even with a handful of objects
        transport,
        ...handlers,
      }),
    );
    await put("second");
    await informer.start();
    expect(informer.hasSynced()).toBe(true);
    expect(log.lists.length).toBeGreaterThanOrEqual(2);
    expect(log.lists[1]?.continue).toBeTruthy();
    expect(informer.get(namespace, "pre-existing")).toMatchObject({ kind: "ConfigMap", apiVersion: "v1" });

    await put("watched", { a: "1" });
    await wait("add of watched", () => informer.get(namespace, "watched") !== undefined);
    await core.replaceNamespacedConfigMap({
      namespace,
      name: "watched",
      body: { metadata: { name: "watched" }, data: { a: "2" } },
    });
    await wait("update of watched", () => informer.get(namespace, "watched")?.data?.a === "2");
    await core.deleteNamespacedConfigMap({ namespace, name: "watched" });
    await wait("delete of watched", () => informer.get(namespace, "watched") === undefined);
    expect(events).toEqual([
      "add pre-existing",
      "add second",
      "add watched",
      `update watched {"a":"2"}`,
      "delete watched",
    ]);
    expect(log.watches[0]).toMatchObject({ allowWatchBookmarks: "true" });
    expect(informer.stats.lists).toBe(1);
  });

  it("resumes from the last resourceVersion when the server ends a watch, without relisting", async () => {
    events.length = 0;
    const { transport, log } = recording(kc);
    const informer = track(
      new Informer<V1ConfigMap>({
        listPath: `/api/v1/namespaces/${namespace}/configmaps`,
        resyncPeriodMs: 0,
        // The API server closes each watch after 1–2 s (timeoutSeconds), as it does after 5–10 min in
        // production.
        watchTimeoutSeconds: 1,
        transport,
        ...handlers,
      }),
    );
    await informer.start();
    await wait("three watches", () => log.watches.length >= 3);
    const first = log.watches[0]?.resourceVersion;
    await put("after-reconnects");
    await wait("add after reconnects", () => informer.get(namespace, "after-reconnects") !== undefined);
    expect(informer.stats.lists).toBe(1);
    expect(log.lists.length).toBe(1);
    expect(log.watchErrors).toEqual([]);
    // Every watch after the first starts from a resourceVersion, never from scratch.
    for (const w of log.watches) expect(w.resourceVersion).toBeTruthy();
    expect(Number(log.watches[1]?.resourceVersion)).toBeGreaterThanOrEqual(Number(first));
    expect(events.filter((e) => e.startsWith("add after"))).toEqual(["add after-reconnects"]);
  });

  it("relists after 410 Gone and emits what changed in between", async () => {
    // How the 410 is provoked, for real: the API server serves watches from its watch cache, which only
    // holds events newer than the list it was initialised from (k8s.io/apiserver/pkg/storage/cacher/
    // watch_cache.go, getAllEventsSinceLocked: "too old resource version"). For ConfigMaps that cache
    // starts when the API server boots, so on a fresh local stack even resourceVersion "1" is not too
    // old (we tried: the watch simply replays nothing). A custom resource's cache starts when its CRD is
    // established, at the then-current etcd revision, so a watch from "1" is answered with
    // `ERROR {code: 410, reason: Expired}` — what a client sees after etcd compaction. The test transport
    // holds the first watch until objects changed behind the informer's back, then sends it from "1".
    const group = "runtime-test.managedflink.dev";
    await ensureProbeCrd(kc, group);
    const probes = kc.makeApiClient(CustomObjectsApi);
    const base = { group, version: "v1", namespace, plural: "probes" };
    const putProbe = (name: string, v: string) =>
      probes.createNamespacedCustomObject({
        ...base,
        body: { apiVersion: `${group}/v1`, kind: "Probe", metadata: { name }, v },
      });
    const seen: string[] = [];
    await putProbe("keep", "1");
    await putProbe("change", "old");
    await putProbe("remove", "1");
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const { transport, log } = recording(kc, async (query, n) => {
      if (n === 0) {
        await gate;
        query.resourceVersion = "1";
      }
    });
    type Probe = KubernetesObject & { v?: string };
    const informer = new Informer<Probe>({
      listPath: `/apis/${group}/v1/namespaces/${namespace}/probes`,
      resyncPeriodMs: 0,
      transport,
      onAdd: (o) => seen.push(`add ${o.metadata?.name}`),
      onUpdate: (o) => seen.push(`update ${o.metadata?.name} ${o.v}`),
      onDelete: (o) => seen.push(`delete ${o.metadata?.name}`),
    });
    try {
      await informer.start();
      expect(seen.sort()).toEqual(["add change", "add keep", "add remove"]);
      seen.length = 0;

      const current = (await probes.getNamespacedCustomObject({ ...base, name: "change" })) as Probe;
      await probes.replaceNamespacedCustomObject({ ...base, name: "change", body: { ...current, v: "new" } });
      await probes.deleteNamespacedCustomObject({ ...base, name: "remove" });
      await putProbe("appeared", "1");
      release();

      await wait("relist after 410", () => informer.stats.relistsAfterGone >= 1 && informer.stats.lists >= 2);
      await wait(`diff emitted (so far: ${seen.join(", ")})`, () => seen.length >= 3).catch((err) => {
        throw new Error(`${err.message}; seen: ${seen.join(", ")}`);
      });
      expect(seen.sort()).toEqual(["add appeared", "delete remove", "update change new"]);
      expect(informer.get(namespace, "keep")).toBeDefined();
      expect(informer.get(namespace, "remove")).toBeUndefined();
      // The 410 came from the API server itself, as an ERROR event (or, were it the HTTP status, an error).
      const gone = [
        ...log.watchErrors,
        ...log.errorEvents.map((o) => {
          const s = o as { code: number; reason?: string };
          return new KubeApiError(s.code, "", s.reason);
        }),
      ];
      expect(gone.some(isGone)).toBe(true);
      // After the relist it watches on from the fresh list's resourceVersion, and stays live.
      expect(log.watches.at(-1)?.resourceVersion).not.toBe("1");
      await putProbe("after-relist", "1");
      await wait("add after relist", () => informer.get(namespace, "after-relist") !== undefined);
    } finally {
      release();
      informer.stop();
    }
  });

  it("restarts a quiet watch after staleAfterMs, resuming without a relist", async () => {
    // The API server sends bookmarks to watchers about once a minute, so a 300 ms stale window on a quiet
    // namespace makes the watchdog fire for real: the connection is closed from our side and re-opened.
    const { transport, log } = recording(kc);
    const informer = track(
      new Informer<V1ConfigMap>({
        listPath: `/api/v1/namespaces/${namespace}/configmaps`,
        resyncPeriodMs: 0,
        staleAfterMs: 300,
        transport,
      }),
    );
    await informer.start();
    await wait("two watchdog restarts", () => informer.stats.staleRestarts >= 2);
    expect(informer.stats.lists).toBe(1);
    for (const w of log.watches) expect(w.resourceVersion).toBeTruthy();
    await put("after-stale");
    await wait("add after stale restarts", () => informer.get(namespace, "after-stale") !== undefined);
  });

  it("calls onResync for every cached object on its period", async () => {
    const resynced = new Map<string, number>();
    const informer = track(
      new Informer<V1ConfigMap>({
        transport: new KubeTransport(kc),
        listPath: `/api/v1/namespaces/${namespace}/configmaps`,
        resyncPeriodMs: 200,
        onResync: (o) => resynced.set(o.metadata!.name!, (resynced.get(o.metadata!.name!) ?? 0) + 1),
      }),
    );
    await informer.start();
    const names = informer.list().map((o) => o.metadata!.name!);
    expect(names.length).toBeGreaterThan(0);
    await wait("two resyncs of every object", () => names.every((n) => (resynced.get(n) ?? 0) >= 2));
    expect(informer.stats.lists).toBe(1);
  });

  it("keeps retrying while the API server refuses, and syncs once access works", async () => {
    // A path that does not exist answers 404: start() must not give up.
    const informer = track(
      new Informer<V1ConfigMap>({
        transport: new KubeTransport(kc),
        listPath: `/api/v1/namespaces/${namespace}/configmapz`,
        resyncPeriodMs: 0,
        baseDelayMs: 50,
        maxDelayMs: 100,
      }),
    );
    const started = informer.start();
    await wait("several failed lists", () => informer.stats.errors >= 3);
    expect(informer.hasSynced()).toBe(false);
    informer.stop();
    await expect(started).rejects.toThrow(/stopped/);
  });
});

/** A throwaway CRD whose watch cache starts late (see the 410 test); created once per run. */
async function ensureProbeCrd(kc: KubeConfig, group: string): Promise<void> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const name = `probes.${group}`;
  await api
    .createCustomResourceDefinition({
      body: {
        metadata: { name },
        spec: {
          group,
          scope: "Namespaced",
          names: { plural: "probes", singular: "probe", kind: "Probe" },
          versions: [
            {
              name: "v1",
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: "object", x_kubernetes_preserve_unknown_fields: true } },
            },
          ],
        },
      },
    })
    .catch((err: { code?: number }) => {
      if (err.code !== 409) throw err;
    });
  await waitFor(
    async () => {
      const crd = await api.readCustomResourceDefinition({ name });
      return crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True");
    },
    { timeoutMs: 30_000, intervalMs: 50, description: `${name} established` },
  );
  // Established means the API server serves it; the first request may still race its storage set-up.
  const transport = new KubeTransport(kc);
  await waitFor(() => transport.get(`/apis/${group}/v1/probes`, {}, AbortSignal.timeout(5_000)), {
    timeoutMs: 30_000,
    intervalMs: 50,
    description: `${name} served`,
  });
}
