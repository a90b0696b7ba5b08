// What client-go's EventCorrelator (k8s.io/client-go/tools/record/events_cache.go) does before an
// Event reaches the API server, so that a reconcile repeated a thousand times is one Event with
// count 1000, not a thousand Events:
//
// - the spam filter: a token bucket per source and involved object (burst 25, one more every 5 min);
//   an Event over it is dropped;
// - the aggregator: Events that differ only in message (same source, object, type, reason) are
//   counted per 10-minute window; from the 10th distinct message on they become one Event whose
//   message starts "(combined from similar events): ";
// - the logger: an Event seen before (same key, message included) is not created again: the earlier
//   one is patched with count + 1 and a new lastTimestamp.
//
// Each cache holds at most 4,096 keys, least recently used first out (client-go's maxLruCacheEntries),
// so memory is bounded however many objects the operator has seen.

/** The fields of a core/v1 Event the correlator reads and sets. */
export interface CoreEvent {
  metadata: { name: string; namespace: string };
  involvedObject: {
    apiVersion?: string;
    kind?: string;
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
  };
  reason: string;
  message: string;
  type: string;
  source: { component: string; host?: string };
  reportingComponent?: string;
  reportingInstance?: string;
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
  [k: string]: unknown;
}

/** What to send: a new Event, a patch of an earlier one, or nothing (the spam filter dropped it). */
export type Correlated =
  | { action: "create"; event: CoreEvent; key: string }
  | {
      action: "patch";
      event: CoreEvent;
      key: string;
      patch: { count: number; lastTimestamp: string; message: string };
    }
  | { action: "drop" };

export interface EventCorrelatorOptions {
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
  maxEntries?: number;
  /** Distinct messages for one source/object/type/reason before they are combined (client-go: 10). */
  aggregateMaxEvents?: number;
  aggregateIntervalMs?: number;
  /** Spam filter: bucket size and refill (client-go: 25, one per 300 s). */
  spamBurst?: number;
  spamRefillPerSecond?: number;
}

/** A Map that forgets its least recently used entry beyond `max` (Map keeps insertion order). */
class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  delete(key: string): void {
    this.map.delete(key);
  }
  set(key: string, v: V): void {
    this.map.delete(key);
    this.map.set(key, v);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }
  get size(): number {
    return this.map.size;
  }
}

const sep = "\u0000";

function objectKey(e: CoreEvent): string {
  const o = e.involvedObject;
  return [e.source.component, e.source.host, o.kind, o.namespace, o.name, o.uid, o.apiVersion].join(sep);
}

export class EventCorrelator {
  private readonly now: () => number;
  private readonly opts: Required<Omit<EventCorrelatorOptions, "now">>;
  private readonly spam: Lru<{ tokens: number; at: number }>;
  private readonly similar: Lru<{ messages: Set<string>; at: number }>;
  private readonly seen: Lru<{ name: string; count: number; firstTimestamp: string }>;

  constructor(opts: EventCorrelatorOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.opts = {
      maxEntries: 4096,
      aggregateMaxEvents: 10,
      aggregateIntervalMs: 600_000,
      spamBurst: 25,
      spamRefillPerSecond: 1 / 300,
      ...opts,
    };
    this.spam = new Lru(this.opts.maxEntries);
    this.similar = new Lru(this.opts.maxEntries);
    this.seen = new Lru(this.opts.maxEntries);
  }

  /** Keys remembered by the largest of the three caches (bounded by maxEntries). */
  get cachedKeys(): number {
    return Math.max(this.spam.size, this.similar.size, this.seen.size);
  }

  correlate(event: CoreEvent): Correlated {
    if (!this.allowed(event)) return { action: "drop" };
    const { event: e, key } = this.aggregate(event);
    const before = this.seen.get(key);
    if (!before) {
      this.seen.set(key, { name: e.metadata.name, count: e.count, firstTimestamp: e.firstTimestamp });
      return { action: "create", event: e, key };
    }
    const count = before.count + 1;
    this.seen.set(key, { ...before, count });
    const repeated = {
      ...e,
      metadata: { ...e.metadata, name: before.name },
      count,
      firstTimestamp: before.firstTimestamp,
    };
    return {
      action: "patch",
      event: repeated,
      key,
      patch: { count, lastTimestamp: e.lastTimestamp, message: e.message },
    };
  }

  /** The Event was not written after all (the API server refused it): the next one is created anew. */
  forget(key: string): void {
    this.seen.delete(key);
  }

  private allowed(e: CoreEvent): boolean {
    const key = objectKey(e);
    const now = this.now();
    const bucket = this.spam.get(key) ?? { tokens: this.opts.spamBurst, at: now };
    const tokens = Math.min(
      this.opts.spamBurst,
      bucket.tokens + ((now - bucket.at) / 1000) * this.opts.spamRefillPerSecond,
    );
    const ok = tokens >= 1;
    this.spam.set(key, { tokens: ok ? tokens - 1 : tokens, at: now });
    return ok;
  }

  private aggregate(e: CoreEvent): { event: CoreEvent; key: string } {
    const aggregateKey = [objectKey(e), e.type, e.reason, e.reportingComponent, e.reportingInstance].join(
      sep,
    );
    const now = this.now();
    let group = this.similar.get(aggregateKey);
    if (!group || now - group.at > this.opts.aggregateIntervalMs) group = { messages: new Set(), at: now };
    group.messages.add(e.message);
    group.at = now;
    this.similar.set(aggregateKey, group);
    if (group.messages.size < this.opts.aggregateMaxEvents) {
      return { event: e, key: `${aggregateKey}${sep}${e.message}` };
    }
    const message = `(combined from similar events): ${e.message}`;
    return { event: { ...e, message }, key: aggregateKey };
  }
}
