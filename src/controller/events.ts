// Kubernetes Events (core/v1, which `kubectl describe` and `kubectl events` show) for every action
// and failure, correlated as client-go's recorder does (runtime/event-correlator.ts): a repeat patches
// the earlier Event's count and lastTimestamp instead of creating another. An event that cannot be
// written is logged and dropped: events are best effort.
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { FlinkApplication } from "../crds/types.generated.js";
import type { KubeWrites } from "./kube.js";
import { type CoreEvent, EventCorrelator, type EventCorrelatorOptions } from "./runtime/event-correlator.js";
import { contextLogger } from "./runtime/log.js";
import { isNotFound } from "./runtime/transport.js";

export const component = "managed-flink-operator";

export class EventRecorder {
  private readonly correlator: EventCorrelator;
  private readonly now: () => number;

  constructor(
    private readonly kube: KubeWrites,
    private readonly log: Logger,
    private readonly instance: string,
    opts: EventCorrelatorOptions = {},
  ) {
    this.correlator = new EventCorrelator(opts);
    this.now = opts.now ?? Date.now;
  }

  async record(
    obj: FlinkApplication,
    type: "Normal" | "Warning",
    reason: string,
    message: string,
  ): Promise<void> {
    const c = this.correlator.correlate(this.event(obj, type, reason, message));
    // Inside a reconcile, on that reconcile's logger (controller, namespace, name, reconcileID).
    const log = contextLogger() ?? this.log;
    if (c.action === "drop") {
      log.debug({ reason }, "event dropped by the spam filter");
      return;
    }
    try {
      if (c.action === "patch") {
        try {
          await this.kube.patchEvent(c.event.metadata.namespace, c.event.metadata.name, c.patch);
          return;
        } catch (err) {
          // Events expire (kube-apiserver --event-ttl, 1 h): then the repeat is created again, as
          // client-go's recordEvent does after a failed patch.
          if (!isNotFound(err)) throw err;
        }
      }
      await this.kube.createEvent(c.event);
    } catch (err) {
      this.correlator.forget(c.key);
      log.warn({ err: (err as Error).message, reason }, "could not record event");
    }
  }

  private event(obj: FlinkApplication, type: string, reason: string, message: string): CoreEvent {
    const now = new Date(this.now()).toISOString();
    const ns = obj.metadata.namespace!;
    return {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: `${obj.metadata.name}.${randomBytes(8).toString("hex")}`, namespace: ns },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: obj.metadata.name,
        namespace: ns,
        uid: obj.metadata.uid,
        resourceVersion: obj.metadata.resourceVersion,
      },
      reason,
      message: message.slice(0, 1024),
      type,
      source: { component, host: this.instance },
      reportingComponent: component,
      reportingInstance: this.instance,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
  }
}
