// Tenancy: what a namespace's FlinkApplications may reach, decided before any AWS or S3 call.
import {
  describeViolation,
  firstViolation,
  type NamedRules,
  type TenantApplication,
  type Violation,
} from "./evaluate.js";

export {
  adoptAnnotation,
  describeViolation,
  type EffectiveRules,
  firstViolation,
  matchesPattern,
  type NamedRules,
  type TenantApplication,
  type Violation,
} from "./evaluate.js";
export { defaultsFromEnv, mergeRules, safeDefaults, validateRules } from "./rules.js";
export { applicableRules, selects } from "./select.js";

export type TenantDecision =
  | { kind: "allowed"; assumeRoleARN?: string }
  | { kind: "refused"; violation: Violation; message: string }
  /** The namespace is not in the cache yet: nothing is decided, and nothing is called. */
  | { kind: "unknown"; message: string };

/** The verdict for one application under the rules that apply to its namespace (all of them must hold). */
export function decide(
  app: TenantApplication,
  applicable: NamedRules[],
  defaultRegion: string,
): TenantDecision {
  const violation = firstViolation(app, applicable, defaultRegion) ?? roleConflict(applicable);
  if (violation) return { kind: "refused", violation, message: describeViolation(violation) };
  const assumeRoleARN = applicable.find((r) => r.rules.assumeRoleARN)?.rules.assumeRoleARN;
  return { kind: "allowed", ...(assumeRoleARN ? { assumeRoleARN } : {}) };
}

/** Two policies naming different roles to assume: no single identity can satisfy both, so none is used. */
function roleConflict(applicable: NamedRules[]): Violation | undefined {
  const named = applicable.filter((r) => r.rules.assumeRoleARN);
  const roles = new Set(named.map((r) => r.rules.assumeRoleARN));
  if (roles.size <= 1) return undefined;
  return {
    source: named.map((r) => r.source).join(" and "),
    rule: "assumeRoleARN",
    field: "spec.assumeRoleARN of the policies",
    message: `the policies that select this namespace name different roles to assume (${[...roles].join(", ")}); a platform admin must make them agree`,
  };
}
