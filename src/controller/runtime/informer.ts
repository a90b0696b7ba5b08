import type { KubernetesObject } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { backoffDelay } from "./backoff.js";
import { isGone, KubeApiError, type WatchEvent } from "./transport.js";

/**
 * What the informer needs of the API server: a KubeTransport in the controller; tests wrap one to count
 * calls or to steer a watch to an old resourceVersion, or replace it with a scripted server.
 */
export interface InformerTransport {
  /** A GET returning the parsed JSON body; rejects with KubeApiError on a non-2xx status. */
  get(path: string, query: Record<string, string>, signal: AbortSignal): Promise<unknown>;
  /**
   * Streams a watch: calls onEvent per line, resolves when the server ends the stream, rejects on a
   * non-2xx status, a broken connection, or when onEvent throws (the stream is then closed).
   */
  watch(
    path: string,
    query: Record<string, string>,
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<void>;
}

export interface InformerOptions<T extends KubernetesObject> {
  /**
   * The API server. client-node's own Watch is not used: it hides the status of a failed watch behind
   * a generic error for some paths and, as of 1.4, aborts nothing on a stalled stream; owning the
   * request lets the staleness watchdog close it.
   */
  transport: InformerTransport;
  /**
   * The collection to list and watch: `/api/v1/namespaces/NS/configmaps`,
   * `/apis/managedflink.dev/v1alpha1/flinkapplications` (all namespaces) or
   * `/apis/managedflink.dev/v1alpha1/namespaces/NS/flinkapplications`. To watch a few namespaces
   * (RBAC limited to them), run one informer per namespace, as controller-runtime's multi-namespace
   * cache does; keys are `namespace/name`, so their events can feed one WorkQueue.
   */
  listPath: string;
  /** Restricts list and watch, e.g. `metadata.name=team-a` to read one namespace with get/list/watch on it alone. */
  fieldSelector?: string;
  /**
   * Every this often, onResync for every cached object, from the cache: no API call. 0 disables. Each
   * call also says where the object stands in this resync (`index` of `total`), so that the handler
   * can spread the work over the period.
   */
  resyncPeriodMs: number;
  /** Restart the watch when nothing (event or bookmark) arrived for this long. Default 5 min. */
  staleAfterMs?: number;
  onAdd?: (obj: T) => void;
  onUpdate?: (obj: T, old: T) => void;
  onDelete?: (obj: T) => void;
  onResync?: (obj: T, position: { index: number; total: number }) => void;
  /**
   * Applied to every object before it enters the cache, as controller-runtime's cache TransformFunc:
   * to drop what the controller never reads (metadata.managedFields) from memory.
   */
  transform?: (obj: T) => T;
  log?: Logger;
  /** Page size of the list; the API server's continue token carries on. Default 500 (client-go's). */
  pageSize?: number;
  /**
   * The server ends each watch after timeoutSeconds, drawn from [this, 2·this) as client-go's reflector
   * does so that many watchers do not reconnect at once. Default 300.
   */
  watchTimeoutSeconds?: number;
  /**
   * Deadline for one list page. A list has no watchdog of its own, and a request stuck on a dead
   * connection would otherwise hold the informer forever. Default 60 s (kube-apiserver's own
   * --request-timeout default).
   */
  listTimeoutMs?: number;
  /** Error backoff; defaults 1 s doubling to 30 s. */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

/** Why a watch ended without an error. */
type WatchEnd = "closed" | "stale" | "gone";

class Stopped extends Error {}

/** The cache key controller-runtime uses (types.NamespacedName.String()). */
function objectKey(obj: KubernetesObject): string {
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${obj.metadata?.name}` : `${obj.metadata?.name}`;
}

/**
 * List-then-watch cache of one collection, after client-go's Reflector + DeltaFIFO, without its known
 * client-node pitfall: client-node's makeInformer stops for good on a watch error unless the caller
 * restarts it. This one never gives up:
 *
 * - the watch starts from the list's resourceVersion with allowWatchBookmarks, and every event and
 *   bookmark advances the remembered resourceVersion, so a watch that ends (timeoutSeconds, a restarted
 *   API server, a dropped connection) resumes from there without a relist;
 * - a 410 Gone (HTTP status or ERROR event: the version fell out of the watch cache's window or etcd
 *   was compacted) relists and emits the difference to the cache as adds, updates and deletes
 *   (https://kubernetes.io/docs/reference/using-api/api-concepts/#410-gone-responses);
 * - any other error retries with jittered exponential backoff;
 * - a watchdog closes a watch that delivered nothing for staleAfterMs (a half-open TCP connection
 *   looks like a quiet watch forever; the API server sends a bookmark about once a minute to watchers
 *   that allow them, so silence for minutes means the stream is dead);
 * - every resyncPeriodMs, onResync for every cached object, without an API call, as SharedInformer's
 *   resync does: the controller's periodic "check AWS anyway" pass.
 */
export class Informer<T extends KubernetesObject> {
  private readonly opts: InformerOptions<T>;
  private readonly transport: InformerTransport;
  private readonly cache = new Map<string, T>();
  private resourceVersion: string | undefined;
  private synced = false;
  private stopped = false;
  private running = false;
  private abort: AbortController | undefined;
  private resyncTimer: ReturnType<typeof setInterval> | undefined;
  private wake: (() => void) | undefined;
  private syncWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  /** Counters for tests and debugging. */
  readonly stats = { lists: 0, watches: 0, relistsAfterGone: 0, staleRestarts: 0, errors: 0 };

  constructor(opts: InformerOptions<T>) {
    this.opts = opts;
    this.transport = opts.transport;
  }

  /** Resolves once the first list is in the cache (client-go's WaitForCacheSync). */
  start(): Promise<void> {
    if (this.stopped) return Promise.reject(new Error("informer was stopped"));
    const synced = this.synced
      ? Promise.resolve()
      : new Promise<void>((resolve, reject) => this.syncWaiters.push({ resolve, reject }));
    if (!this.running) {
      this.running = true;
      void this.run();
    }
    return synced;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.resyncTimer);
    this.abort?.abort(new Stopped("informer stopped"));
    this.wake?.();
    for (const w of this.syncWaiters) w.reject(new Error("informer stopped before it synced"));
    this.syncWaiters = [];
  }

  hasSynced(): boolean {
    return this.synced;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(namespace ? `${namespace}/${name}` : name);
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  private get log() {
    return this.opts.log;
  }

  private async run(): Promise<void> {
    let needList = true;
    let failures = 0;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
          failures = 0;
        }
        const startedAt = Date.now();
        const { end, events } = await this.watchOnce();
        if (end === "gone") {
          this.stats.relistsAfterGone++;
          this.log?.info({ listPath: this.opts.listPath }, "watch expired (410); relisting");
          needList = true;
        } else if (events > 0 || Date.now() - startedAt > 1_000) {
          failures = 0;
        } else if (end === "closed") {
          // A stream that closes at once with nothing in it, over and over, must not become a hot loop.
          failures++;
          await this.sleep(backoffDelay(failures, this.backoff()));
        }
      } catch (err) {
        if (this.stopped || err instanceof Stopped) return;
        // Only a list gets here with a 410 (its continue token expired); watchOnce turns a watch's 410
        // into "gone". The list starts over from the first page, after a backoff like any other error
        // so that a server answering 410 to every list cannot spin us.
        this.stats.errors++;
        failures++;
        const delay = backoffDelay(failures, this.backoff());
        this.log?.warn(
          { err, listPath: this.opts.listPath, retryInMs: delay, failures },
          needList ? "list failed; retrying" : "watch failed; resuming",
        );
        await this.sleep(delay);
      }
    }
  }

  private backoff() {
    return { baseDelayMs: this.opts.baseDelayMs ?? 1_000, maxDelayMs: this.opts.maxDelayMs ?? 30_000 };
  }

  private async relist(): Promise<void> {
    this.stats.lists++;
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion = "";
    const signal = this.newSignal();
    do {
      const query: Record<string, string> = { limit: String(this.opts.pageSize ?? 500) };
      if (this.opts.fieldSelector) query.fieldSelector = this.opts.fieldSelector;
      if (continueToken) query.continue = continueToken;
      // A 410 here means the continue token expired (the first page is older than etcd's compaction
      // window); the run loop treats it as Gone and lists from scratch.
      // setTimeout rather than AbortSignal.timeout: the same clock as every other timer here.
      const deadline = new AbortController();
      const timer = setTimeout(
        () => deadline.abort(new Error(`list timed out after ${this.opts.listTimeoutMs ?? 60_000} ms`)),
        this.opts.listTimeoutMs ?? 60_000,
      );
      const pageSignal = AbortSignal.any([signal, deadline.signal]);
      const page = (await this.transport
        .get(this.opts.listPath, query, pageSignal)
        .finally(() => clearTimeout(timer))) as {
        apiVersion?: string;
        kind?: string;
        metadata?: { resourceVersion?: string; continue?: string };
        items?: T[];
      };
      // Items in a list carry no apiVersion/kind; restore them so handlers see whole objects.
      const kind = page.kind?.replace(/List$/, "");
      for (const item of page.items ?? []) {
        items.push(this.transform({ apiVersion: page.apiVersion, kind, ...item }));
      }
      continueToken = page.metadata?.continue || undefined;
      // Every page of one list is served at the first page's resourceVersion.
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
    } while (continueToken);
    if (this.stopped) throw new Stopped();
    this.replace(items);
    this.resourceVersion = resourceVersion;
    this.log?.debug({ listPath: this.opts.listPath, count: items.length, resourceVersion }, "listed");
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters) w.resolve();
      this.syncWaiters = [];
      this.startResync();
    }
  }

  /** Swaps the cache for a fresh list and tells the handlers what changed in between. */
  private replace(items: T[]): void {
    const fresh = new Map(items.map((o) => [objectKey(o), o]));
    const old = new Map(this.cache);
    this.cache.clear();
    for (const [k, v] of fresh) this.cache.set(k, v);
    for (const [k, obj] of fresh) {
      const prev = old.get(k);
      if (!prev) this.emit(this.opts.onAdd, obj);
      else if (prev.metadata?.resourceVersion !== obj.metadata?.resourceVersion)
        this.emit(this.opts.onUpdate, obj, prev);
    }
    for (const [k, obj] of old) if (!fresh.has(k)) this.emit(this.opts.onDelete, obj);
  }

  private async watchOnce(): Promise<{ end: WatchEnd; events: number }> {
    this.stats.watches++;
    const signal = this.newSignal();
    const staleAfter = this.opts.staleAfterMs ?? 300_000;
    let stale = false;
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    const controller = this.abort!;
    const feed = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        stale = true;
        controller.abort(new Error("watch stale"));
      }, staleAfter);
    };
    feed();
    const min = this.opts.watchTimeoutSeconds ?? 300;
    const query: Record<string, string> = {
      allowWatchBookmarks: "true",
      timeoutSeconds: String(Math.floor(min * (1 + Math.random()))),
    };
    if (this.resourceVersion) query.resourceVersion = this.resourceVersion;
    if (this.opts.fieldSelector) query.fieldSelector = this.opts.fieldSelector;
    let events = 0;
    try {
      await this.transport.watch(
        this.opts.listPath,
        query,
        (event) => {
          feed();
          events++;
          this.handle(event);
        },
        signal,
      );
      return { end: "closed", events };
    } catch (err) {
      if (this.stopped) throw new Stopped();
      if (stale) {
        this.stats.staleRestarts++;
        this.log?.warn(
          { listPath: this.opts.listPath, staleAfterMs: staleAfter },
          "watch went quiet; restarting",
        );
        return { end: "stale", events };
      }
      if (isGone(err)) return { end: "gone", events };
      throw err;
    } finally {
      clearTimeout(watchdog);
    }
  }

  private handle(event: WatchEvent): void {
    const obj = event.object;
    if (event.type === "ERROR") {
      // The object of an ERROR event is a metav1.Status.
      throw new KubeApiError(obj.code ?? 500, `watch error: ${obj.message ?? "unknown"}`, obj.reason);
    }
    const rv = obj?.metadata?.resourceVersion;
    if (event.type === "BOOKMARK") {
      if (rv) this.resourceVersion = rv;
      return;
    }
    const key = objectKey(obj);
    const typed = this.transform(obj as unknown as T);
    if (event.type === "ADDED" || event.type === "MODIFIED") {
      const prev = this.cache.get(key);
      this.cache.set(key, typed);
      if (prev) this.emit(this.opts.onUpdate, typed, prev);
      else this.emit(this.opts.onAdd, typed);
    } else if (event.type === "DELETED") {
      this.cache.delete(key);
      this.emit(this.opts.onDelete, typed);
    }
    if (rv) this.resourceVersion = rv;
  }

  private transform(obj: T): T {
    return this.opts.transform ? this.opts.transform(obj) : obj;
  }

  private emit<A extends unknown[]>(handler: ((...args: A) => void) | undefined, ...args: A): void {
    if (!handler) return;
    try {
      handler(...args);
    } catch (err) {
      // A throwing handler must not tear down the watch; the informer's state is already updated.
      this.log?.error({ err, listPath: this.opts.listPath }, "informer event handler threw");
    }
  }

  private startResync(): void {
    const period = this.opts.resyncPeriodMs;
    if (!(period > 0) || !this.opts.onResync) return;
    this.resyncTimer = setInterval(() => {
      // One line per period: when a resync started, and how many objects it covers.
      this.log?.info({ listPath: this.opts.listPath, objects: this.cache.size }, "resync");
      const total = this.cache.size;
      let index = 0;
      for (const obj of this.cache.values()) this.emit(this.opts.onResync, obj, { index: index++, total });
    }, period);
    this.resyncTimer.unref?.();
  }

  private newSignal(): AbortSignal {
    this.abort = new AbortController();
    return this.abort.signal;
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
