import type { V1ConfigMap } from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Informer, type InformerTransport } from "../../../src/controller/runtime/informer.js";
import { KubeApiError, type WatchEvent } from "../../../src/controller/runtime/transport.js";

function cm(name: string, rv: string, data: Record<string, string> = {}): V1ConfigMap {
  return { metadata: { name, namespace: "ns", resourceVersion: rv }, data };
}

interface OpenWatch {
  query: Record<string, string>;
  send: (e: WatchEvent) => void;
  end: () => void;
  fail: (err: unknown) => void;
  aborted: boolean;
}

/** A scripted API server: lists answer from `objects`; each watch is held open until the test acts. */
class FakeServer implements InformerTransport {
  objects = new Map<string, V1ConfigMap>();
  rv = 10;
  listQueries: Record<string, string>[] = [];
  watches: OpenWatch[] = [];
  listError: unknown;
  watchError: unknown;
  pageSize = 2;

  hangLists = false;

  async get(_path: string, query: Record<string, string>, signal: AbortSignal) {
    this.listQueries.push(query);
    if (this.hangLists) {
      // A dead connection: only the caller's signal ends it.
      await new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
    }
    if (this.listError) throw this.listError;
    const all = [...this.objects.values()];
    const start = Number(query.continue ?? 0);
    const items = all.slice(start, start + this.pageSize);
    const next = start + this.pageSize < all.length ? String(start + this.pageSize) : undefined;
    return {
      apiVersion: "v1",
      kind: "ConfigMapList",
      metadata: { resourceVersion: String(this.rv), continue: next },
      items: structuredClone(items),
    };
  }

  watch(_path: string, query: Record<string, string>, onEvent: (e: WatchEvent) => void, signal: AbortSignal) {
    if (this.watchError) {
      const err = this.watchError;
      return Promise.reject(err);
    }
    return new Promise<void>((resolve, reject) => {
      const w: OpenWatch = {
        query,
        aborted: false,
        send: (e) => {
          try {
            onEvent(e);
          } catch (err) {
            reject(err);
          }
        },
        end: resolve,
        fail: reject,
      };
      signal.addEventListener("abort", () => {
        w.aborted = true;
        reject(signal.reason);
      });
      this.watches.push(w);
    });
  }

  put(obj: V1ConfigMap) {
    this.rv++;
    const o = structuredClone(obj);
    o.metadata!.resourceVersion = String(this.rv);
    this.objects.set(o.metadata!.name!, o);
    return o;
  }
}

function recorder() {
  const events: string[] = [];
  return {
    events,
    handlers: {
      onAdd: (o: V1ConfigMap) => events.push(`add ${o.metadata?.name}@${o.metadata?.resourceVersion}`),
      onUpdate: (o: V1ConfigMap) => events.push(`update ${o.metadata?.name}@${o.metadata?.resourceVersion}`),
      onDelete: (o: V1ConfigMap) => events.push(`delete ${o.metadata?.name}`),
      onResync: (o: V1ConfigMap) => events.push(`resync ${o.metadata?.name}`),
    },
  };
}

const flush = () => vi.advanceTimersByTimeAsync(0);

describe("Informer (scripted API server)", () => {
  let server: FakeServer;
  let informer: Informer<V1ConfigMap> | undefined;
  beforeEach(() => {
    vi.useFakeTimers();
    server = new FakeServer();
  });
  afterEach(() => {
    informer?.stop();
    vi.useRealTimers();
  });

  const make = (extra: Partial<ConstructorParameters<typeof Informer<V1ConfigMap>>[0]> = {}) => {
    const r = recorder();
    informer = new Informer<V1ConfigMap>({
      listPath: "/api/v1/namespaces/ns/configmaps",
      resyncPeriodMs: 0,
      transport: server,
      baseDelayMs: 1_000,
      maxDelayMs: 30_000,
      ...r.handlers,
      ...extra,
    });
    return { informer, events: r.events };
  };

  it("lists every page, fills the cache, restores kind, then watches from the list's resourceVersion", async () => {
    server.put(cm("a", "0"));
    server.put(cm("b", "0"));
    server.put(cm("c", "0"));
    const { informer, events } = make();
    await informer.start();
    expect(informer.hasSynced()).toBe(true);
    expect(server.listQueries).toEqual([{ limit: "500" }, { limit: "500", continue: "2" }]);
    expect(events).toEqual(["add a@11", "add b@12", "add c@13"]);
    expect(informer.get("ns", "b")).toMatchObject({ apiVersion: "v1", kind: "ConfigMap" });
    expect(informer.list()).toHaveLength(3);
    await flush();
    expect(server.watches[0]!.query).toMatchObject({ resourceVersion: "13", allowWatchBookmarks: "true" });
    const timeout = Number(server.watches[0]!.query.timeoutSeconds);
    expect(timeout).toBeGreaterThanOrEqual(300);
    expect(timeout).toBeLessThan(600);
  });

  it("applies watch events and resumes from the last event or bookmark without relisting", async () => {
    const { informer, events } = make();
    await informer.start();
    await flush();
    const w = server.watches[0]!;
    w.send({ type: "ADDED", object: cm("a", "20") });
    w.send({ type: "MODIFIED", object: cm("a", "21", { k: "v" }) });
    w.send({ type: "ADDED", object: cm("b", "22") });
    w.send({ type: "DELETED", object: cm("b", "23") });
    w.send({ type: "BOOKMARK", object: { metadata: { resourceVersion: "40" } } });
    expect(events).toEqual(["add a@20", "update a@21", "add b@22", "delete b"]);
    expect(informer.get("ns", "a")?.data).toEqual({ k: "v" });
    expect(informer.get("ns", "b")).toBeUndefined();
    w.end();
    await flush();
    expect(server.watches).toHaveLength(2);
    expect(server.watches[1]!.query.resourceVersion).toBe("40");
    expect(server.listQueries).toHaveLength(1);
  });

  it("relists on a 410 ERROR event and emits the difference", async () => {
    server.put(cm("keep", "0"));
    server.put(cm("change", "0"));
    server.put(cm("gone", "0"));
    const { informer, events } = make();
    await informer.start();
    await flush();
    events.length = 0;
    server.put(cm("change", "0", { x: "1" }));
    server.objects.delete("gone");
    server.put(cm("new", "0"));
    server.watches[0]!.send({
      type: "ERROR",
      object: { kind: "Status", code: 410, reason: "Expired", message: "too old resource version: 1 (5)" },
    });
    await flush();
    expect(events.sort()).toEqual(["add new@15", "delete gone", "update change@14"].sort());
    expect(informer.stats.relistsAfterGone).toBe(1);
    expect(server.watches.at(-1)!.query.resourceVersion).toBe("15");
  });

  it("relists on an HTTP 410 when opening the watch", async () => {
    const { informer } = make();
    await informer.start();
    await flush();
    server.watches[0]!.fail(new KubeApiError(410, "Gone"));
    await flush();
    expect(server.listQueries).toHaveLength(2);
    expect(informer.stats.relistsAfterGone).toBe(1);
  });

  it("retries any other error with growing backoff and never gives up", async () => {
    const { informer } = make();
    await informer.start();
    await flush();
    vi.spyOn(Math, "random").mockReturnValue(0.5); // no jitter
    server.watchError = new Error("ECONNRESET");
    server.watches[0]!.fail(new Error("ECONNRESET"));
    await flush();
    const attempts = () => informer.stats.watches;
    const before = attempts();
    // 1 s, 2 s, 4 s, 8 s, 16 s, 30 s, 30 s ...
    for (const delay of [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]) {
      const n = attempts();
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(attempts()).toBe(n);
      await vi.advanceTimersByTimeAsync(1);
      expect(attempts()).toBe(n + 1);
    }
    expect(attempts() - before).toBe(7);
    server.watchError = undefined;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(server.watches.length).toBe(2);
    // Still resuming from the same resourceVersion: an error is not a reason to relist.
    expect(server.listQueries).toHaveLength(1);
    vi.restoreAllMocks();
  });

  it("retries a failing first list and resolves start once it succeeds", async () => {
    server.listError = new KubeApiError(503, "unavailable");
    const { informer } = make();
    let synced = false;
    informer.start().then(
      () => {
        synced = true;
      },
      () => undefined,
    );
    await vi.advanceTimersByTimeAsync(5_000);
    expect(synced).toBe(false);
    expect(server.listQueries.length).toBeGreaterThan(1);
    server.listError = undefined;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(synced).toBe(true);
  });

  it("restarts a watch that went quiet for staleAfterMs, from the last resourceVersion", async () => {
    const { informer } = make({ staleAfterMs: 60_000 });
    await informer.start();
    await flush();
    const w = server.watches[0]!;
    await vi.advanceTimersByTimeAsync(50_000);
    w.send({ type: "BOOKMARK", object: { metadata: { resourceVersion: "99" } } });
    await vi.advanceTimersByTimeAsync(59_999);
    expect(w.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(w.aborted).toBe(true);
    await flush();
    expect(informer.stats.staleRestarts).toBe(1);
    expect(server.watches).toHaveLength(2);
    expect(server.watches[1]!.query.resourceVersion).toBe("99");
    expect(server.listQueries).toHaveLength(1);
  });

  it("resyncs every cached object on its period without calling the API", async () => {
    server.put(cm("a", "0"));
    server.put(cm("b", "0"));
    const { informer, events } = make({ resyncPeriodMs: 10_000 });
    await informer.start();
    await flush();
    events.length = 0;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(events.sort()).toEqual(["resync a", "resync b"]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(events).toHaveLength(4);
    expect(server.listQueries).toHaveLength(1);
  });

  it("tells each resynced object its place in the resync, so that the work can be spread", async () => {
    for (const n of ["a", "b", "c"]) server.put(cm(n, "0"));
    const places: string[] = [];
    const { informer } = make({
      resyncPeriodMs: 10_000,
      onResync: (o, at) => places.push(`${o.metadata?.name} ${at.index}/${at.total}`),
    });
    await informer.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(places.sort()).toEqual(["a 0/3", "b 1/3", "c 2/3"]);
  });

  it("survives a throwing handler", async () => {
    const { informer } = make({
      onAdd: () => {
        throw new Error("handler bug");
      },
    });
    await informer.start();
    await flush();
    server.watches[0]!.send({ type: "ADDED", object: cm("a", "20") });
    expect(informer.get("ns", "a")).toBeDefined();
    expect(server.watches[0]!.aborted).toBe(false);
  });

  it("gives up on a list page that hangs and retries", async () => {
    server.hangLists = true;
    const { informer } = make({ listTimeoutMs: 10_000 });
    let synced = false;
    informer.start().then(
      () => {
        synced = true;
      },
      () => undefined,
    );
    await vi.advanceTimersByTimeAsync(9_999);
    expect(informer.stats.errors).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(informer.stats.errors).toBe(1);
    server.hangLists = false;
    await vi.advanceTimersByTimeAsync(2_000);
    expect(synced).toBe(true);
    expect(server.listQueries.length).toBe(2);
  });

  it("stop rejects a pending start and closes the watch", async () => {
    server.listError = new Error("down");
    const { informer } = make();
    const started = informer.start();
    informer.stop();
    await expect(started).rejects.toThrow(/stopped before it synced/);
  });

  it("stop closes an open watch and starts nothing new", async () => {
    const { informer } = make();
    await informer.start();
    await flush();
    informer.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(server.watches[0]!.aborted).toBe(true);
    expect(server.watches).toHaveLength(1);
  });
});
