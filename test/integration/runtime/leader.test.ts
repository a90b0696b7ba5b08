import { CoordinationV1Api, type KubeConfig } from "@kubernetes/client-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LeaderElector } from "../../../src/controller/runtime/leader.js";
import { KubeTransport } from "../../../src/controller/runtime/transport.js";
import { waitFor } from "../../../src/localstack/processes.js";
import { createNamespace, deleteNamespace, kubeConfig } from "./kube.js";

// Short timings keep the test quick while keeping client-go's ratios (duration > deadline > retry).
const timing = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 250 };

describe("LeaderElector against a real kube-apiserver", () => {
  let kc: KubeConfig;
  let namespace: string;
  const electors: LeaderElector[] = [];
  let leaseName = "";
  let n = 0;

  beforeAll(async () => {
    kc = kubeConfig();
    namespace = await createNamespace(kc, "leader");
  });
  afterEach(async () => {
    for (const e of electors.splice(0)) await e.stop();
  });
  afterAll(async () => {
    await deleteNamespace(kc, namespace);
  });

  /** Two candidates on one fresh Lease, with a check that they never lead at the same time. */
  function pair() {
    leaseName = `lock-${++n}`;
    const log: string[] = [];
    const overlap: string[] = [];
    const make = (identity: string) => {
      const e: LeaderElector = new LeaderElector({
        transport: new KubeTransport(kc),
        namespace,
        name: leaseName,
        identity,
        ...timing,
        onStartedLeading: () => {
          log.push(`${identity}:start`);
          if (electors.some((o) => o !== e && o.isLeader())) overlap.push(identity);
        },
        onStoppedLeading: () => log.push(`${identity}:stop`),
      });
      electors.push(e);
      return e;
    };
    return { a: make("a"), b: make("b"), log, overlap };
  }

  const readLease = () =>
    kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace, name: leaseName });
  const leader = (...es: LeaderElector[]) =>
    waitFor(async () => es.find((e) => e.isLeader()), {
      timeoutMs: 20_000,
      intervalMs: 20,
      description: "a leader",
    });

  it("elects exactly one of two candidates and keeps renewing", async () => {
    const { a, b, overlap } = pair();
    a.start();
    b.start();
    const first = await leader(a, b);
    const other = first === a ? b : a;
    const renewals = new Set<string>();
    await waitFor(
      async () => {
        renewals.add(String((await readLease()).spec?.renewTime));
        expect([a.isLeader(), b.isLeader()].filter(Boolean)).toHaveLength(1);
        return renewals.size >= 4;
      },
      { timeoutMs: 20_000, intervalMs: 50, description: "four renewals" },
    );
    expect(first.isLeader()).toBe(true);
    expect(other.isLeader()).toBe(false);
    expect(overlap).toEqual([]);
    expect((await readLease()).spec?.leaseDurationSeconds).toBe(3);
  });

  it("hands over quickly when the leader stops and releases the Lease", async () => {
    const { a, b, log, overlap } = pair();
    a.start();
    await leader(a);
    b.start();
    await waitFor(async () => log.length > 0, { timeoutMs: 5_000, description: "a leads" });
    const stoppedAt = Date.now();
    await a.stop();
    // Released: no longer held by a. b may already have taken it (it retries every retry period), so
    // "empty" and "b" are both right here.
    expect((await readLease()).spec?.holderIdentity).not.toBe("a");
    await leader(b);
    const handover = Date.now() - stoppedAt;
    // One retry period (+ jitter) instead of a whole lease duration.
    expect(handover).toBeLessThan(timing.leaseDurationMs);
    expect(log).toEqual(["a:start", "a:stop", "b:start"]);
    expect(overlap).toEqual([]);
    const lease = await readLease();
    expect(lease.spec?.holderIdentity).toBe("b");
    expect(lease.spec?.leaseTransitions).toBe(1);
  });

  it("hands over within the lease duration when the leader dies without releasing", async () => {
    const { a, b, log, overlap } = pair();
    a.start();
    await leader(a);
    b.start();
    const lastRenew = Date.parse(String((await readLease()).spec?.renewTime));
    // A crash: no more renewals and no release.
    await a.stop({ release: false });
    expect((await readLease()).spec?.holderIdentity).toBe("a");
    await leader(b);
    const takenAt = Date.now();
    // b may take over only once renewTime + leaseDuration has passed, and does so at its next retry.
    // a renewed at most once more after we read renewTime, so its true last renewal is >= lastRenew.
    expect(takenAt - lastRenew).toBeGreaterThanOrEqual(timing.leaseDurationMs);
    expect(takenAt - lastRenew).toBeLessThan(timing.leaseDurationMs + 2 * timing.retryPeriodMs + 1_000);
    expect(log).toEqual(["a:start", "a:stop", "b:start"]);
    expect(overlap).toEqual([]);
  });

  it("writes acquireTime and renewTime as MicroTime with six fractional digits", async () => {
    const { a } = pair();
    a.start();
    await leader(a);
    // Read the raw JSON: client-node would hand back whatever it parsed, hiding the wire format.
    const raw = (await new KubeTransport(kc).get(
      `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${leaseName}`,
      {},
      AbortSignal.timeout(5_000),
    )) as { spec: { renewTime: string; acquireTime: string; holderIdentity: string } };
    expect(raw.spec.holderIdentity).toBe("a");
    expect(raw.spec.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(raw.spec.acquireTime).toMatch(/\.\d{6}Z$/);
    expect(Math.abs(Date.parse(raw.spec.renewTime) - Date.now())).toBeLessThan(5_000);
  });

  it("the API server rejects a millisecond renewTime: the pitfall V1MicroTime avoids", async () => {
    leaseName = `lock-${++n}`;
    const api = kc.makeApiClient(CoordinationV1Api);
    const attempt = api.createNamespacedLease({
      namespace,
      body: {
        metadata: { name: leaseName },
        // A plain Date serializes as "…:00.123Z", which metav1.MicroTime's RFC3339Micro parser refuses.
        spec: { holderIdentity: "x", renewTime: new Date() as never, leaseDurationSeconds: 1 },
      },
    });
    const err = (await attempt.catch((e: unknown) => e)) as { code?: number; body?: unknown };
    expect(err.code).toBe(400);
    expect(String(err.body)).toMatch(/parsing time|cannot parse/);
  });
});
