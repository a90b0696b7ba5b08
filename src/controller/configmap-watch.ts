// The ConfigMaps that spec.environmentPropertiesFrom reads: watched (one informer per watched
// namespace, or one for the cluster) so that an edit or a deletion queues every FlinkApplication that
// refers to it, and read from that cache while reconciling — no API call per reconcile.
import type { Logger } from "pino";
import type { FlinkApplication } from "../crds/types.generated.js";
import type { ConfigMapLike, ConfigMapLookup } from "./properties-from.js";
import { Informer } from "./runtime/informer.js";
import type { KubeTransport } from "./runtime/transport.js";

export interface ConfigMapWatch {
  informers: Informer<ConfigMapLike & { metadata: { name?: string } }>[];
  lookup: ConfigMapLookup;
}

export function refersTo(
  app: FlinkApplication,
  namespace: string | undefined,
  name: string | undefined,
): boolean {
  return (
    app.metadata.namespace === namespace &&
    (app.spec.environmentPropertiesFrom ?? []).some((s) => s.configMapRef?.name === name)
  );
}

export function watchConfigMaps(opts: {
  transport: KubeTransport;
  namespaces: string[];
  resyncPeriodMs: number;
  log: Logger;
  /** The FlinkApplications known now (from their informers). */
  applications: () => FlinkApplication[];
  enqueue: (app: FlinkApplication) => void;
}): ConfigMapWatch {
  const paths =
    opts.namespaces.length === 0
      ? ["/api/v1/configmaps"]
      : opts.namespaces.map((ns) => `/api/v1/namespaces/${encodeURIComponent(ns)}/configmaps`);
  const changed = (cm: ConfigMapLike) => {
    for (const app of opts.applications()) {
      if (refersTo(app, cm.metadata.namespace, cm.metadata.name)) opts.enqueue(app);
    }
  };
  const informers = paths.map(
    (listPath) =>
      new Informer<ConfigMapLike & { metadata: { name?: string } }>({
        transport: opts.transport,
        listPath,
        // The FlinkApplication informers resync every application already; nothing to add here.
        resyncPeriodMs: 0,
        onAdd: changed,
        onUpdate: changed,
        onDelete: changed,
        log: opts.log,
      }),
  );
  const lookup: ConfigMapLookup = (namespace, name) => {
    for (const inf of informers) {
      const cm = inf.get(namespace, name);
      if (cm) return cm;
    }
    return undefined;
  };
  return { informers, lookup };
}
