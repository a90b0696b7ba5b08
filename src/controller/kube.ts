// The few writes the controller makes, over the runtime's one transport. Custom resources reject
// strategic-merge patch, so every patch here is a JSON merge patch (RFC 7386), and optimistic
// concurrency comes from metadata.resourceVersion where a lost update would matter (finalizers).
import { group, plural, version } from "../crds/flinkapplication.js";
import type { FlinkApplication, FlinkApplicationStatus } from "../crds/types.generated.js";
import type { KubeTransport } from "./runtime/transport.js";

export interface KubeWrites {
  patchStatus(namespace: string, name: string, status: FlinkApplicationStatus): Promise<FlinkApplication>;
  setFinalizers(obj: FlinkApplication, finalizers: string[]): Promise<FlinkApplication>;
  createEvent(event: Record<string, unknown>): Promise<void>;
  /** A repeat of an Event: its count, lastTimestamp and message (client-go patches the same three). */
  patchEvent(
    namespace: string,
    name: string,
    patch: { count: number; lastTimestamp: string; message: string },
  ): Promise<void>;
}

const mergePatch = "application/merge-patch+json";

export class KubeClient implements KubeWrites {
  constructor(private readonly transport: KubeTransport) {}

  private path(namespace: string, name: string): string {
    return `/apis/${group}/${version}/namespaces/${encodeURIComponent(namespace)}/${plural}/${encodeURIComponent(name)}`;
  }

  patchStatus(namespace: string, name: string, status: FlinkApplicationStatus) {
    // Status is written whole: every field the controller owns is in `status`, and null clears the
    // ones it no longer reports (merge patch removes keys set to null).
    return this.transport.request<FlinkApplication>("PATCH", `${this.path(namespace, name)}/status`, {
      body: { status },
      contentType: mergePatch,
    });
  }

  setFinalizers(obj: FlinkApplication, finalizers: string[]) {
    return this.transport.request<FlinkApplication>(
      "PATCH",
      this.path(obj.metadata.namespace!, obj.metadata.name!),
      {
        body: { metadata: { finalizers, resourceVersion: obj.metadata.resourceVersion } },
        contentType: mergePatch,
      },
    );
  }

  async patchEvent(
    namespace: string,
    name: string,
    patch: { count: number; lastTimestamp: string; message: string },
  ) {
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/events/${encodeURIComponent(name)}`;
    await this.transport.request("PATCH", path, { body: patch, contentType: mergePatch });
  }

  async createEvent(event: Record<string, unknown>) {
    const ns = (event.metadata as { namespace: string }).namespace;
    await this.transport.request("POST", `/api/v1/namespaces/${encodeURIComponent(ns)}/events`, {
      body: event,
    });
  }
}
