// What the plugin reads and writes in Kubernetes: FlinkApplications (get, merge patch of the spec)
// and their Events. Every operator action goes through the spec, as a GitOps user's edit would; the
// plugin never calls AWS to change anything (CloudNativePG's `kubectl cnpg` drives its operator the
// same way).
import { KubeConfig } from "@kubernetes/client-node";
import { isNotFound, KubeTransport } from "../controller/runtime/transport.js";
import { group, plural, version } from "../crds/flinkapplication.js";
import type { FlinkApplication } from "../crds/types.generated.js";
import { CliError } from "./errors.js";

export interface KubeOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

export interface KubeEvent {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  lastTimestamp?: string;
  eventTime?: string;
  firstTimestamp?: string;
  metadata: { creationTimestamp?: string };
}

export class FlinkApps {
  readonly namespace: string;
  private readonly transport: KubeTransport;

  constructor(o: KubeOptions) {
    const kc = new KubeConfig();
    if (o.kubeconfig) kc.loadFromFile(o.kubeconfig);
    else kc.loadFromDefault();
    if (o.context) kc.setCurrentContext(o.context);
    // As kubectl: -n, else the context's namespace, else "default".
    this.namespace = o.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? "default";
    this.transport = new KubeTransport(kc, { timeoutMs: 30_000 });
  }

  private path(name: string): string {
    return `/apis/${group}/${version}/namespaces/${encodeURIComponent(this.namespace)}/${plural}/${encodeURIComponent(name)}`;
  }

  async get(name: string): Promise<FlinkApplication> {
    try {
      return await this.transport.request<FlinkApplication>("GET", this.path(name));
    } catch (err) {
      if (isNotFound(err)) {
        throw new CliError(`flinkapplication "${name}" not found in namespace "${this.namespace}"`);
      }
      throw err;
    }
  }

  /** A JSON merge patch of the spec (RFC 7386): only the fields named change. */
  async patchSpec(name: string, spec: Record<string, unknown>): Promise<FlinkApplication> {
    await this.get(name); // a clear "not found" before anything is written
    return this.transport.request<FlinkApplication>("PATCH", this.path(name), {
      body: { spec },
      contentType: "application/merge-patch+json",
    });
  }

  /** The Events the operator recorded for one FlinkApplication, oldest first. */
  async events(obj: FlinkApplication): Promise<KubeEvent[]> {
    const selector = [
      `involvedObject.kind=FlinkApplication`,
      `involvedObject.name=${obj.metadata.name}`,
      ...(obj.metadata.uid ? [`involvedObject.uid=${obj.metadata.uid}`] : []),
    ].join(",");
    const list = await this.transport.request<{ items: KubeEvent[] }>(
      "GET",
      `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/events`,
      { query: { fieldSelector: selector } },
    );
    return list.items.sort((a, b) => eventTime(a).localeCompare(eventTime(b)));
  }

  close(): void {
    this.transport.close();
  }
}

export function eventTime(e: KubeEvent): string {
  return e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp ?? "";
}
