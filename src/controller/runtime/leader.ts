import type { V1Lease } from "@kubernetes/client-node";
// The class alone: the package's index would load its whole generated API (kube-credentials.ts).
import { V1MicroTime } from "@kubernetes/client-node/dist/types.js";
import type { Logger } from "pino";
import { isConflict, isNotFound, type KubeTransport } from "./transport.js";

/**
 * The three Lease calls the elector needs, so unit tests can run it against an in-memory API server with
 * the same optimistic-concurrency rules (409 on a stale resourceVersion or an existing name).
 */
export interface LeaseApi {
  /** Resolves undefined when the Lease does not exist. */
  read(namespace: string, name: string): Promise<V1Lease | undefined>;
  create(namespace: string, lease: V1Lease): Promise<V1Lease>;
  /** Fails with a 409 when `lease.metadata.resourceVersion` is not the current one. */
  replace(namespace: string, name: string, lease: V1Lease): Promise<V1Lease>;
}

export interface LeaderElectorOptions {
  /** The API server; or `api` instead (tests). */
  transport?: KubeTransport;
  namespace: string;
  name: string;
  /** Unique per replica; the pod name is the usual choice (client-go uses hostname + a UUID). */
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  log?: Logger;
  /** Replaces the Lease calls over `transport` (tests). */
  api?: LeaseApi;
}

/**
 * `MicroTime` is serialized by the API server as RFC3339 with exactly six fractional digits
 * (metav1.RFC3339Micro, "2006-01-02T15:04:05.000000Z07:00") and parsed with that layout, so a
 * millisecond timestamp from Date.toISOString() ("…:00.123Z") is rejected. client-node's V1MicroTime
 * is a Date whose toISOString pads to microseconds; JSON.stringify calls it through Date#toJSON.
 */
export function microTime(date: Date | number): V1MicroTime {
  return new V1MicroTime(typeof date === "number" ? date : date.getTime());
}

/**
 * A Lease read from the API server carries renewTime as the wire string (client-node's ObjectSerializer
 * does not know V1MicroTime either); one we wrote ourselves holds a V1MicroTime. Accept both.
 */
export function parseMicroTime(value: unknown): number | undefined {
  if (value instanceof Date) return value.getTime();
  if (typeof value !== "string" || value === "") return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Whether another candidate may take the Lease now: it has no holder (released, as client-go's
 * ReleaseOnCancel leaves it), never recorded a renewal, or renewTime + leaseDurationSeconds is past.
 *
 * This trusts the holder's clock via renewTime, as the brief for this project asks; client-go instead
 * measures expiry from when *it* last saw the record change, which tolerates clock skew between nodes.
 * In a cluster the replicas' clocks are NTP-synced, and skew only shifts the takeover by the skew.
 */
export function leaseIsFree(spec: V1Lease["spec"], nowMs: number): boolean {
  if (!spec?.holderIdentity) return true;
  const renewed = parseMicroTime(spec.renewTime) ?? parseMicroTime(spec.acquireTime);
  if (renewed === undefined) return true;
  return renewed + (spec.leaseDurationSeconds ?? 0) * 1_000 < nowMs;
}

/** The Lease calls over the controller's one transport (coordination.k8s.io/v1). */
function leaseApi(transport: KubeTransport): LeaseApi {
  const collection = (ns: string) =>
    `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(ns)}/leases`;
  return {
    async read(namespace, name) {
      try {
        return await transport.request<V1Lease>(
          "GET",
          `${collection(namespace)}/${encodeURIComponent(name)}`,
        );
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    create: (namespace, body) => transport.request<V1Lease>("POST", collection(namespace), { body }),
    replace: (namespace, name, body) =>
      transport.request<V1Lease>("PUT", `${collection(namespace)}/${encodeURIComponent(name)}`, { body }),
  };
}

type Attempt = "holding" | "held-by-other" | "failed";

/**
 * Leader election on a coordination.k8s.io/v1 Lease, after client-go's tools/leaderelection:
 * try to acquire or renew every retryPeriod; a leader that has not renewed for renewDeadline steps down
 * (renewDeadline < leaseDuration, so it stops working before anyone else may take over); every write is
 * a replace carrying the resourceVersion read, so two candidates racing for an expired Lease cannot
 * both win — the loser gets a 409.
 *
 * After losing leadership the elector stops competing, as client-go's Run returns: binaries exit and
 * restart with clean state (a queue shut down in onStoppedLeading cannot simply be restarted), so
 * onStoppedLeading is where the controller stops its work and exits.
 */
export class LeaderElector {
  private readonly opts: LeaderElectorOptions & {
    leaseDurationMs: number;
    renewDeadlineMs: number;
    retryPeriodMs: number;
  };
  private readonly api: LeaseApi;
  private leading = false;
  private running = false;
  /** The last attempt before the loop ended wrote the Lease as ours (stop() raced an acquire). */
  private heldAtExit = false;
  private lastRenewMs = 0;
  private deadlineTimer: ReturnType<typeof setTimeout> | undefined;
  private wake: (() => void) | undefined;
  private loopDone: Promise<void> = Promise.resolve();

  constructor(opts: LeaderElectorOptions) {
    this.opts = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, ...opts };
    const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = this.opts;
    // The same invariants client-go's NewLeaderElector enforces.
    if (!(leaseDurationMs > renewDeadlineMs))
      throw new Error("leaseDurationMs must be greater than renewDeadlineMs");
    if (!(renewDeadlineMs > retryPeriodMs))
      throw new Error("renewDeadlineMs must be greater than retryPeriodMs");
    if (leaseDurationMs < 1_000)
      throw new Error("leaseDurationMs must be at least 1000 (the Lease counts seconds)");
    if (opts.api) this.api = opts.api;
    else if (opts.transport) this.api = leaseApi(opts.transport);
    else throw new Error("LeaderElector needs a transport or an api");
  }

  isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  /**
   * Stops competing. With `release` (the default, client-go's ReleaseOnCancel) a held Lease is handed
   * back by clearing holderIdentity, so a standby takes over at its next retry instead of waiting out
   * the lease duration. `release: false` simulates a crashed leader (tests).
   */
  async stop(opts: { release?: boolean } = {}): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loopDone;
    const held = this.leading || this.heldAtExit;
    this.heldAtExit = false;
    if (held && (opts.release ?? true)) await this.release();
    if (this.leading) this.stepDown("stopped");
  }

  private get leaseDurationSeconds(): number {
    return Math.ceil(this.opts.leaseDurationMs / 1_000);
  }

  private async loop(): Promise<void> {
    while (this.running) {
      // The renewal counts from before the request: the Lease may have been written at any point since.
      const attemptStartedMs = Date.now();
      const attempt = await this.tryAcquireOrRenew();
      if (!this.running) {
        // stop() (or a step-down) raced with a successful write: remember it so stop() releases it.
        this.heldAtExit = attempt === "holding";
        return;
      }
      if (attempt === "holding") {
        this.lastRenewMs = attemptStartedMs;
        this.armDeadline();
        if (!this.leading) {
          this.leading = true;
          this.opts.log?.info({ lease: this.leaseKey, identity: this.opts.identity }, "became leader");
          this.callback(this.opts.onStartedLeading);
        }
      } else if (this.leading && attempt === "held-by-other") {
        this.stepDown("lease taken by another holder");
      }
      // client-go jitters the acquire retry (JitterUntil, factor 1.2) so standbys do not retry in lockstep;
      // the renew loop runs on the exact period.
      const jitter = this.leading ? 0 : Math.random() * 0.2 * this.opts.retryPeriodMs;
      await this.sleep(this.opts.retryPeriodMs + jitter);
    }
  }

  private get leaseKey(): string {
    return `${this.opts.namespace}/${this.opts.name}`;
  }

  /** A renew that does not succeed within renewDeadline of the last one ends leadership. */
  private armDeadline(): void {
    clearTimeout(this.deadlineTimer);
    const due = this.lastRenewMs + this.opts.renewDeadlineMs - Date.now();
    this.deadlineTimer = setTimeout(
      () => {
        if (this.leading && Date.now() - this.lastRenewMs >= this.opts.renewDeadlineMs) {
          this.stepDown("failed to renew within the renew deadline");
        }
      },
      Math.max(0, due),
    );
    this.deadlineTimer.unref?.();
  }

  private stepDown(reason: string): void {
    clearTimeout(this.deadlineTimer);
    if (!this.leading) return;
    this.leading = false;
    this.running = false;
    this.wake?.();
    this.opts.log?.warn({ lease: this.leaseKey, identity: this.opts.identity, reason }, "stopped leading");
    this.callback(this.opts.onStoppedLeading);
  }

  private callback(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.opts.log?.error({ err }, "leader election callback threw");
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private async tryAcquireOrRenew(): Promise<Attempt> {
    const { namespace, name, identity } = this.opts;
    try {
      const now = Date.now();
      const current = await this.api.read(namespace, name);
      if (!current) {
        await this.api.create(namespace, {
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: { name, namespace },
          spec: {
            holderIdentity: identity,
            leaseDurationSeconds: this.leaseDurationSeconds,
            acquireTime: microTime(now),
            renewTime: microTime(now),
            leaseTransitions: 0,
          },
        });
        return "holding";
      }
      const spec = current.spec ?? {};
      const mine = spec.holderIdentity === identity;
      if (!mine && !leaseIsFree(spec, now)) return "held-by-other";
      const acquiredAt = mine ? parseMicroTime(spec.acquireTime) : undefined;
      await this.api.replace(namespace, name, {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        // resourceVersion from the read: a concurrent writer makes this a 409 instead of a lost update.
        metadata: { ...current.metadata, name, namespace },
        spec: {
          ...spec,
          holderIdentity: identity,
          leaseDurationSeconds: this.leaseDurationSeconds,
          acquireTime: microTime(acquiredAt ?? now),
          renewTime: microTime(now),
          leaseTransitions: mine ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? 0) + 1,
        },
      });
      return "holding";
    } catch (err) {
      // 409: someone else wrote first (or created it); we learn who at the next read.
      if (!isConflict(err))
        this.opts.log?.warn({ err, lease: this.leaseKey }, "leader election attempt failed");
      return "failed";
    }
  }

  private async release(): Promise<void> {
    const { namespace, name, identity } = this.opts;
    try {
      const current = await this.api.read(namespace, name);
      if (!current || current.spec?.holderIdentity !== identity) return;
      const now = microTime(Date.now());
      // What client-go's release() writes: no holder, a one-second duration, times set to now.
      await this.api.replace(namespace, name, {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { ...current.metadata, name, namespace },
        spec: {
          ...current.spec,
          holderIdentity: undefined,
          leaseDurationSeconds: 1,
          acquireTime: now,
          renewTime: now,
          leaseTransitions: current.spec?.leaseTransitions ?? 0,
        },
      });
      this.opts.log?.info({ lease: this.leaseKey, identity }, "released leader lease");
    } catch (err) {
      // The Lease then simply expires after leaseDuration.
      this.opts.log?.warn({ err, lease: this.leaseKey }, "failed to release leader lease");
    }
  }
}
