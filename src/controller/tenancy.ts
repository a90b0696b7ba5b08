// The cluster state the tenancy policy reads: every FlinkApplicationPolicy and the labels of the watched
// namespaces, each from an informer cache, so deciding costs no API call. A change to either requeues the
// applications it may affect (a Stalled PolicyViolation clears as soon as a policy allows it).
import type { V1Namespace } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { group, version } from "../crds/flinkapplication.js";
import { policyPlural } from "../crds/flinkapplicationpolicy.js";
import type { FlinkApplicationPolicy } from "../crds/policy-types.generated.js";
import { applicableRules, type EffectiveRules, type NamedRules } from "../policy/index.js";
import type { TenancyRules } from "./reconciler.js";
import { Informer, type InformerTransport } from "./runtime/informer.js";

export interface TenancyCacheOptions {
  transport: InformerTransport;
  /** Namespaces watched; empty: all. With a list, only those namespaces are read (by name). */
  watchNamespaces: string[];
  defaults: EffectiveRules;
  resyncPeriodMs: number;
  log: Logger;
  /** A policy or a namespace changed: look at the applications again. */
  onChange: () => void;
}

export class TenancyCache implements TenancyRules {
  private readonly policies: Informer<FlinkApplicationPolicy>;
  private readonly namespaces: Informer<V1Namespace>[];

  constructor(private readonly o: TenancyCacheOptions) {
    const common = { transport: o.transport, resyncPeriodMs: 0, log: o.log };
    const changed = { onAdd: o.onChange, onUpdate: o.onChange, onDelete: o.onChange };
    this.policies = new Informer<FlinkApplicationPolicy>({
      ...common,
      ...changed,
      listPath: `/apis/${group}/${version}/${policyPlural}`,
    });
    // One namespace each, by name: RBAC can then grant get/list/watch on exactly the watched namespaces
    // (resourceNames applies to a list or watch with fieldSelector metadata.name=<name>).
    this.namespaces = (o.watchNamespaces.length === 0 ? [undefined] : o.watchNamespaces).map(
      (ns) =>
        new Informer<V1Namespace>({
          ...common,
          ...changed,
          // Namespaces change status and annotations too; only their labels select policies.
          onUpdate: (n, old) => {
            if (JSON.stringify(n.metadata?.labels ?? {}) !== JSON.stringify(old.metadata?.labels ?? {}))
              o.onChange();
          },
          listPath: "/api/v1/namespaces",
          ...(ns ? { fieldSelector: `metadata.name=${ns}` } : {}),
        }),
    );
  }

  async start(): Promise<void> {
    await Promise.all([this.policies.start(), ...this.namespaces.map((i) => i.start())]);
  }

  stop(): void {
    this.policies.stop();
    for (const i of this.namespaces) i.stop();
  }

  rulesFor(namespace: string): NamedRules[] | undefined {
    let ns: V1Namespace | undefined;
    for (const i of this.namespaces) ns ??= i.get(undefined, namespace);
    if (!ns) return undefined;
    return applicableRules(this.policies.list(), ns.metadata?.labels ?? {}, this.o.defaults);
  }
}
