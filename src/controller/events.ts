// Kubernetes Events (core/v1, which `kubectl describe` and `kubectl events` show) for every action
// and failure. An event that cannot be written is logged and dropped: events are best effort.
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { FlinkApplication } from "../crds/types.generated.js";
import type { KubeWrites } from "./kube.js";
import { contextLogger } from "./runtime/log.js";

export const component = "managed-flink-operator";

export class EventRecorder {
  constructor(
    private readonly kube: KubeWrites,
    private readonly log: Logger,
    private readonly instance: string,
  ) {}

  async record(
    obj: FlinkApplication,
    type: "Normal" | "Warning",
    reason: string,
    message: string,
  ): Promise<void> {
    const now = new Date().toISOString();
    const ns = obj.metadata.namespace!;
    try {
      await this.kube.createEvent({
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
      });
    } catch (err) {
      // Inside a reconcile, on that reconcile's logger (controller, namespace, name, reconcileID).
      (contextLogger() ?? this.log).warn({ err: (err as Error).message, reason }, "could not record event");
    }
  }
}
