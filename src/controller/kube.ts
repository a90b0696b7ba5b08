// A thin JSON client for the few writes the controller makes. Custom resources reject
// strategic-merge patch, so every patch here is a JSON merge patch (RFC 7386), and optimistic
// concurrency comes from metadata.resourceVersion where a lost update would matter (finalizers).
import { request } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import { group, plural, version } from "../crds/flinkapplication.js";
import type { FlinkApplication, FlinkApplicationStatus } from "../crds/types.generated.js";

export class KubeError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export interface KubeWrites {
  patchStatus(namespace: string, name: string, status: FlinkApplicationStatus): Promise<FlinkApplication>;
  setFinalizers(obj: FlinkApplication, finalizers: string[]): Promise<FlinkApplication>;
  createEvent(event: Record<string, unknown>): Promise<void>;
}

export class KubeClient implements KubeWrites {
  private readonly server: string;

  constructor(private readonly kc: KubeConfig) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error("kubeconfig has no current cluster");
    this.server = cluster.server.replace(/\/$/, "");
  }

  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    contentType = "application/json",
  ): Promise<T> {
    const url = new URL(this.server + path);
    const opts: import("node:https").RequestOptions = {
      method,
      headers: { Accept: "application/json", ...(body !== undefined ? { "Content-Type": contentType } : {}) },
    };
    await this.kc.applyToHTTPSOptions(opts);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = request(url, { ...opts, timeout: 30_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const code = res.statusCode ?? 0;
          if (code >= 200 && code < 300) {
            resolve((text ? JSON.parse(text) : undefined) as T);
          } else {
            let message = text;
            try {
              message = (JSON.parse(text) as { message?: string }).message ?? text;
            } catch {}
            reject(new KubeError(code, `${method} ${path}: ${code} ${message}`));
          }
        });
      });
      req.on("timeout", () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on("error", reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  private path(namespace: string, name: string): string {
    return `/apis/${group}/${version}/namespaces/${encodeURIComponent(namespace)}/${plural}/${encodeURIComponent(name)}`;
  }

  patchStatus(namespace: string, name: string, status: FlinkApplicationStatus) {
    // Status is written whole: every field the controller owns is in `status`, and null clears the
    // ones it no longer reports (merge patch removes keys set to null).
    return this.request<FlinkApplication>(
      "PATCH",
      `${this.path(namespace, name)}/status`,
      { status },
      "application/merge-patch+json",
    );
  }

  setFinalizers(obj: FlinkApplication, finalizers: string[]) {
    return this.request<FlinkApplication>(
      "PATCH",
      this.path(obj.metadata.namespace!, obj.metadata.name!),
      { metadata: { finalizers, resourceVersion: obj.metadata.resourceVersion } },
      "application/merge-patch+json",
    );
  }

  async createEvent(event: Record<string, unknown>) {
    const ns = (event.metadata as { namespace: string }).namespace;
    await this.request("POST", `/api/v1/namespaces/${encodeURIComponent(ns)}/events`, event);
  }
}
