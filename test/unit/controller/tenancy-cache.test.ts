// The tenancy cache against a scripted API server: which policies apply to a namespace follows the
// namespace's labels, an unknown namespace decides nothing, and only changes that can alter a decision
// (a policy, a namespace's labels) requeue the applications.
import type { KubernetesObject } from "@kubernetes/client-node";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { InformerTransport } from "../../../src/controller/runtime/informer.js";
import type { WatchEvent } from "../../../src/controller/runtime/transport.js";
import { TenancyCache } from "../../../src/controller/tenancy.js";
import { safeDefaults } from "../../../src/policy/index.js";

/** Lists answer from `objects` per path; watches stay open and are fed by `send`. */
class ScriptedServer implements InformerTransport {
  readonly objects = new Map<string, KubernetesObject[]>();
  readonly queries: { path: string; query: Record<string, string> }[] = [];
  private readonly feeds = new Map<string, (e: WatchEvent) => void>();
  private readonly opened = new Map<string, () => void>();

  async get(path: string, query: Record<string, string>) {
    this.queries.push({ path, query });
    return { metadata: { resourceVersion: "1" }, items: this.objects.get(path) ?? [] };
  }

  watch(path: string, _q: Record<string, string>, onEvent: (e: WatchEvent) => void, signal: AbortSignal) {
    this.feeds.set(path, onEvent);
    this.opened.get(path)?.();
    return new Promise<void>((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
  }

  /** Resolves once a watch on `path` is open. */
  watching(path: string): Promise<void> {
    if (this.feeds.has(path)) return Promise.resolve();
    return new Promise((resolve) => this.opened.set(path, resolve));
  }

  send(path: string, e: WatchEvent) {
    this.feeds.get(path)!(e);
  }
}

const policiesPath = "/apis/managedflink.dev/v1alpha1/flinkapplicationpolicies";
const namespacesPath = "/api/v1/namespaces";
const ns = (name: string, labels: Record<string, string>, rv = "1", annotations = {}) => ({
  apiVersion: "v1",
  kind: "Namespace",
  metadata: { name, labels, annotations, resourceVersion: rv },
});
const policy = {
  apiVersion: "managedflink.dev/v1alpha1",
  kind: "FlinkApplicationPolicy",
  metadata: { name: "team-a", resourceVersion: "1" },
  spec: { namespaceSelector: { matchLabels: { team: "a" } }, regions: ["eu-west-1"] },
};

let cache: TenancyCache | undefined;
afterEach(() => cache?.stop());

function start(server: ScriptedServer, watchNamespaces: string[]) {
  let changes = 0;
  cache = new TenancyCache({
    transport: server,
    watchNamespaces,
    defaults: safeDefaults("us-east-1"),
    resyncPeriodMs: 0,
    log: pino({ level: "silent" }),
    onChange: () => changes++,
  });
  return { cache, changes: () => changes };
}

describe("TenancyCache", () => {
  it("applies the policies a namespace's labels select, and the defaults otherwise", async () => {
    const server = new ScriptedServer();
    server.objects.set(policiesPath, [policy]);
    server.objects.set(namespacesPath, [ns("team-a", { team: "a" }), ns("other", {})]);
    const { cache } = start(server, []);
    await cache.start();
    expect(cache.rulesFor("team-a")).toMatchObject([
      { source: "FlinkApplicationPolicy team-a", rules: { regions: ["eu-west-1"] } },
    ]);
    expect(cache.rulesFor("other")).toMatchObject([{ rules: { regions: ["us-east-1"] } }]);
    // Not (yet) in the cache: nothing is decided.
    expect(cache.rulesFor("new")).toBeUndefined();
  });

  it("reads watched namespaces one by one, by name (RBAC can name them)", async () => {
    const server = new ScriptedServer();
    const { cache } = start(server, ["team-a", "team-b"]);
    await cache.start();
    const selectors = server.queries
      .filter((q) => q.path === namespacesPath)
      .map((q) => q.query.fieldSelector);
    expect(selectors.sort()).toEqual(["metadata.name=team-a", "metadata.name=team-b"]);
  });

  it("requeues on policy changes and namespace label changes, not on other namespace updates", async () => {
    const server = new ScriptedServer();
    server.objects.set(namespacesPath, [ns("team-a", {})]);
    const { cache, changes } = start(server, []);
    await cache.start();
    await Promise.all([server.watching(policiesPath), server.watching(namespacesPath)]);
    expect(cache.rulesFor("team-a")).toMatchObject([{ rules: { regions: ["us-east-1"] } }]);
    const base = changes(); // the initial list adds the namespace
    const since = () => changes() - base;

    server.send(namespacesPath, { type: "MODIFIED", object: ns("team-a", {}, "2", { note: "x" }) });
    expect(since()).toBe(0);
    server.send(namespacesPath, { type: "MODIFIED", object: ns("team-a", { team: "a" }, "3") });
    expect(since()).toBe(1);
    server.send(policiesPath, { type: "ADDED", object: policy });
    expect(since()).toBe(2);
    expect(cache.rulesFor("team-a")).toMatchObject([{ source: "FlinkApplicationPolicy team-a" }]);
    server.send(policiesPath, { type: "DELETED", object: policy });
    expect(since()).toBe(3);
    expect(cache.rulesFor("team-a")).toMatchObject([{ rules: { regions: ["us-east-1"] } }]);
  });
});
