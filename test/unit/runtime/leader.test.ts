import type { V1Lease } from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  LeaderElector,
  type LeaseApi,
  leaseIsFree,
  microTime,
  parseMicroTime,
} from "../../../src/controller/runtime/leader.js";
import { KubeApiError } from "../../../src/controller/runtime/transport.js";

const conflict = (message: string) => new KubeApiError(409, message, "Conflict");

/** An in-memory Lease store with the API server's optimistic concurrency, and a switch to fail calls. */
class FakeLeases implements LeaseApi {
  lease: V1Lease | undefined;
  rv = 0;
  down = new Set<string>();
  writes: string[] = [];

  async read(_ns: string, _name: string): Promise<V1Lease | undefined> {
    return this.lease ? structuredClone(this.lease) : undefined;
  }
  async create(_ns: string, lease: V1Lease): Promise<V1Lease> {
    if (this.lease) throw conflict("exists");
    return this.store(lease);
  }
  async replace(_ns: string, _name: string, lease: V1Lease): Promise<V1Lease> {
    if (this.down.has(lease.spec?.holderIdentity ?? "")) throw new Error("connection refused");
    if (lease.metadata?.resourceVersion !== String(this.rv)) throw conflict("stale");
    return this.store(lease);
  }
  private store(lease: V1Lease): V1Lease {
    this.rv++;
    // Serialize as the client would: this is what a real API server receives.
    this.lease = JSON.parse(
      JSON.stringify({ ...lease, metadata: { ...lease.metadata, resourceVersion: String(this.rv) } }),
    );
    this.writes.push(String(this.lease!.spec?.renewTime));
    return this.lease!;
  }
}

function elector(api: FakeLeases, identity: string, events: string[]) {
  return new LeaderElector({
    api,
    namespace: "ns",
    name: "lock",
    identity,
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
    onStartedLeading: () => events.push(`${identity}:start`),
    onStoppedLeading: () => events.push(`${identity}:stop`),
  });
}

describe("MicroTime", () => {
  it("serializes with exactly six fractional digits", () => {
    const t = microTime(Date.parse("2026-11-26T10:00:00.123Z"));
    expect(JSON.stringify({ t })).toBe('{"t":"2026-11-26T10:00:00.123000Z"}');
    expect(JSON.stringify({ t: microTime(new Date("2026-11-26T10:00:00Z")) })).toBe(
      '{"t":"2026-11-26T10:00:00.000000Z"}',
    );
  });
  it("parses microsecond strings and Dates", () => {
    expect(parseMicroTime("2026-11-26T10:00:00.123456Z")).toBe(Date.parse("2026-11-26T10:00:00.123Z"));
    expect(parseMicroTime(new Date(5))).toBe(5);
    expect(parseMicroTime(undefined)).toBeUndefined();
    expect(parseMicroTime("garbage")).toBeUndefined();
  });
});

describe("leaseIsFree", () => {
  const now = Date.parse("2026-11-26T10:00:20Z");
  it("is free without a holder or renewTime", () => {
    expect(leaseIsFree(undefined, now)).toBe(true);
    expect(leaseIsFree({ holderIdentity: "" }, now)).toBe(true);
    expect(leaseIsFree({ holderIdentity: "a", leaseDurationSeconds: 15 }, now)).toBe(true);
  });
  it("is held until renewTime + leaseDurationSeconds has passed", () => {
    const spec = {
      holderIdentity: "a",
      leaseDurationSeconds: 15,
      renewTime: "2026-11-26T10:00:05.000000Z",
    } as never;
    expect(leaseIsFree(spec, now)).toBe(false);
    expect(leaseIsFree(spec, Date.parse("2026-11-26T10:00:20.001Z"))).toBe(true);
  });
});

describe("LeaderElector", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse("2026-11-26T10:00:00Z") });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("validates its timing like client-go", () => {
    const base = {
      api: new FakeLeases(),
      namespace: "n",
      name: "l",
      identity: "a",
      onStartedLeading() {},
      onStoppedLeading() {},
    };
    expect(() => new LeaderElector({ ...base, leaseDurationMs: 5_000, renewDeadlineMs: 5_000 })).toThrow(
      /leaseDuration/,
    );
    expect(() => new LeaderElector({ ...base, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 })).toThrow(
      /renewDeadline/,
    );
  });

  it("creates an absent Lease, leads, and renews every retry period with microsecond times", async () => {
    const api = new FakeLeases();
    const events: string[] = [];
    const a = elector(api, "a", events);
    a.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(a.isLeader()).toBe(true);
    expect(events).toEqual(["a:start"]);
    expect(api.lease?.spec).toMatchObject({
      holderIdentity: "a",
      leaseDurationSeconds: 15,
      leaseTransitions: 0,
    });
    await vi.advanceTimersByTimeAsync(6_000);
    expect(api.writes.length).toBe(4);
    for (const w of api.writes) expect(w).toMatch(/\.\d{6}Z$/);
    expect(api.lease?.spec?.renewTime).toBe("2026-11-26T10:00:06.000000Z");
    await a.stop();
  });

  it("only one of two candidates leads; the other takes over only after the lease expires", async () => {
    const api = new FakeLeases();
    const events: string[] = [];
    const a = elector(api, "a", events);
    const b = elector(api, "b", events);
    a.start();
    await vi.advanceTimersByTimeAsync(0);
    b.start();
    await vi.advanceTimersByTimeAsync(30_000);
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    // a crashes: stops renewing without releasing.
    await a.stop({ release: false });
    const crashedAt = Date.now();
    await vi.waitUntil(
      async () => {
        await vi.advanceTimersByTimeAsync(100);
        return b.isLeader();
      },
      { timeout: 60_000, interval: 0 },
    );
    const takeover = Date.now() - crashedAt;
    expect(takeover).toBeGreaterThanOrEqual(13_000); // the lease was renewed at most 2 s before the crash
    expect(takeover).toBeLessThanOrEqual(15_000 + 2_400 + 100);
    expect(api.lease?.spec).toMatchObject({ holderIdentity: "b", leaseTransitions: 1 });
    expect(events).toEqual(["a:start", "a:stop", "b:start"]);
    await b.stop();
  });

  it("release on stop hands over at the standby's next retry", async () => {
    const api = new FakeLeases();
    const events: string[] = [];
    const a = elector(api, "a", events);
    const b = elector(api, "b", events);
    a.start();
    await vi.advanceTimersByTimeAsync(0);
    b.start();
    await vi.advanceTimersByTimeAsync(5_000);
    await a.stop();
    expect(api.lease?.spec?.holderIdentity).toBeUndefined();
    expect(api.lease?.spec?.leaseDurationSeconds).toBe(1);
    const releasedAt = Date.now();
    await vi.advanceTimersByTimeAsync(2_500);
    expect(b.isLeader()).toBe(true);
    expect(Date.now() - releasedAt).toBeLessThanOrEqual(2_500);
    await b.stop();
  });

  it("steps down when it cannot renew within the renew deadline", async () => {
    const api = new FakeLeases();
    const events: string[] = [];
    const a = elector(api, "a", events);
    a.start();
    await vi.advanceTimersByTimeAsync(0);
    const lastRenew = Date.now();
    api.down.add("a");
    await vi.advanceTimersByTimeAsync(9_999);
    expect(a.isLeader()).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(a.isLeader()).toBe(false);
    expect(Date.now() - lastRenew).toBe(10_000);
    expect(events).toEqual(["a:start", "a:stop"]);
    await a.stop();
    expect(events.at(-1)).toBe("a:stop");
  });

  it("stops competing after losing leadership, as client-go's Run returns", async () => {
    const api = new FakeLeases();
    const events: string[] = [];
    const a = elector(api, "a", events);
    a.start();
    await vi.advanceTimersByTimeAsync(0);
    api.down.add("a");
    await vi.advanceTimersByTimeAsync(10_000);
    expect(events).toEqual(["a:start", "a:stop"]);
    api.down.delete("a");
    const writes = api.writes.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(a.isLeader()).toBe(false);
    expect(api.writes.length).toBe(writes);
    await a.stop();
    expect(events).toEqual(["a:start", "a:stop"]);
  });

  it("steps down at once when it sees another holder", async () => {
    const api = new FakeLeases();
    const events: string[] = [];
    const a = elector(api, "a", events);
    a.start();
    await vi.advanceTimersByTimeAsync(0);
    // Someone force-takes the Lease (e.g. kubectl edit).
    api.lease!.spec!.holderIdentity = "intruder";
    api.lease!.spec!.renewTime = microTime(Date.now()).toISOString() as never;
    await vi.advanceTimersByTimeAsync(2_000);
    expect(a.isLeader()).toBe(false);
    expect(events).toEqual(["a:start", "a:stop"]);
    await a.stop();
    expect(api.lease?.spec?.holderIdentity).toBe("intruder");
  });

  it("a lost create race (409) is not leadership", async () => {
    const api = new FakeLeases();
    api.create = async () => {
      throw conflict("exists");
    };
    const events: string[] = [];
    const a = elector(api, "a", events);
    a.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(a.isLeader()).toBe(false);
    await a.stop();
    expect(events).toEqual([]);
  });
});
