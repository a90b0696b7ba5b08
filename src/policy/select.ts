// Which policies apply to a namespace: those whose namespaceSelector matches the namespace's labels, with
// Kubernetes label-selector semantics (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors).
import type { FlinkApplicationPolicy, NamespaceSelector } from "../crds/policy-types.generated.js";
import type { EffectiveRules, NamedRules } from "./evaluate.js";
import { mergeRules } from "./rules.js";

export function selects(selector: NamespaceSelector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = e.key in labels;
    const values = e.values ?? [];
    const holds =
      e.operator === "In"
        ? has && values.includes(labels[e.key]!)
        : e.operator === "NotIn"
          ? !has || !values.includes(labels[e.key]!)
          : e.operator === "Exists"
            ? has
            : !has;
    if (!holds) return false;
  }
  return true;
}

/**
 * The rules that apply to a namespace: every selecting policy over the defaults, or the defaults alone
 * when none selects it. Policies are sorted by name so messages are stable.
 */
export function applicableRules(
  policies: FlinkApplicationPolicy[],
  namespaceLabels: Record<string, string>,
  defaults: EffectiveRules,
): NamedRules[] {
  const selecting = policies
    .filter((p) => p.spec?.namespaceSelector && selects(p.spec.namespaceSelector, namespaceLabels))
    .sort((a, b) => (a.metadata.name ?? "").localeCompare(b.metadata.name ?? ""));
  if (selecting.length === 0)
    return [
      { source: "operator defaults (no FlinkApplicationPolicy selects this namespace)", rules: defaults },
    ];
  return selecting.map((p) => {
    const { namespaceSelector: _s, ...rules } = p.spec;
    return { source: `FlinkApplicationPolicy ${p.metadata.name}`, rules: mergeRules(defaults, rules) };
  });
}
