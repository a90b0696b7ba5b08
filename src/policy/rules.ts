// The operator-wide defaults and how a policy's rules fall back to them. A rule a policy leaves out is
// the default's; the defaults themselves are safe when nothing is configured (docs/security.md).

import { ruleProperties } from "../crds/flinkapplicationpolicy.js";
import type { PolicyRules } from "../crds/policy-types.generated.js";
import type { EffectiveRules } from "./evaluate.js";

/**
 * The defaults when DEFAULT_POLICY says nothing: any role (iam:PassRole bounds it), the operator's own
 * region, any application name, no S3 location at all (a platform admin names the upload bucket), any
 * public https host on port 443, no adoption, deletionPolicy Delete allowed (it only deletes what the
 * resource created or was allowed to adopt).
 */
export function safeDefaults(defaultRegion: string): EffectiveRules {
  return {
    serviceExecutionRoles: ["*"],
    regions: [defaultRegion],
    applicationNames: ["*"],
    codeSources: [],
    artifactUploads: [],
    artifactHosts: [{ host: "*", port: 443 }],
    allowAdoption: false,
    allowDeletionPolicyDelete: true,
  };
}

/**
 * A policy's rules over a base. Code may be read from where artifacts are uploaded unless the policy
 * lists code sources of its own: the bucket a tenant uploads to is the bucket its code runs from.
 */
export function mergeRules(base: EffectiveRules, over: PolicyRules): EffectiveRules {
  const defined = Object.fromEntries(Object.entries(over).filter(([, v]) => v !== undefined)) as PolicyRules;
  return {
    ...base,
    ...defined,
    codeSources: over.codeSources ?? over.artifactUploads ?? base.codeSources,
  } as EffectiveRules;
}

/**
 * Reads DEFAULT_POLICY (JSON, the rules of a FlinkApplicationPolicy without namespaceSelector). Bad input
 * stops the controller at start-up with the member named, as the other variables do.
 */
export function defaultsFromEnv(defaultRegion: string, env: NodeJS.ProcessEnv = process.env): EffectiveRules {
  const raw = env.DEFAULT_POLICY?.trim();
  const base = safeDefaults(defaultRegion);
  if (!raw) return base;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new Error(`DEFAULT_POLICY is not JSON: ${(err as Error).message}`);
  }
  return mergeRules(base, validateRules(parsed, "DEFAULT_POLICY"));
}

/** Checks the shape the CRD schema would check, for rules that do not pass through the API server. */
export function validateRules(value: unknown, where: string): PolicyRules {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`${where} must be an object with the rules of a FlinkApplicationPolicy`);
  }
  for (const [k, v] of Object.entries(value)) {
    const schema = ruleProperties[k];
    if (!schema) {
      throw new Error(`${where}.${k} is not a rule; rules are ${Object.keys(ruleProperties).join(", ")}`);
    }
    const ok =
      schema.type === "boolean"
        ? typeof v === "boolean"
        : schema.type === "string"
          ? typeof v === "string" && new RegExp(schema.pattern ?? "").test(v)
          : Array.isArray(v) && v.every((item) => validItem(item, k));
    if (!ok) throw new Error(`${where}.${k}: ${schema.description}`);
    if (Array.isArray(v) && v.some((p) => typeof p === "string" && (p.match(/\*/g)?.length ?? 0) > 1)) {
      throw new Error(`${where}.${k}: a pattern may hold at most one *`);
    }
  }
  return value as PolicyRules;
}

function validItem(item: unknown, rule: string): boolean {
  if (rule === "artifactHosts") {
    const o = item as Record<string, unknown> | null;
    return (
      typeof o?.host === "string" &&
      o.host.length > 0 &&
      (o.port === undefined ||
        (Number.isInteger(o.port) && (o.port as number) >= 1 && (o.port as number) <= 65535))
    );
  }
  if (rule === "codeSources" || rule === "artifactUploads") {
    const o = item as Record<string, unknown> | null;
    return (
      typeof o?.bucket === "string" &&
      o.bucket.length > 0 &&
      (o.keyPrefix === undefined || typeof o.keyPrefix === "string")
    );
  }
  return typeof item === "string" && item.length > 0;
}
