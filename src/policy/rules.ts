// The operator-wide defaults and how a policy's rules fall back to them. A rule a policy leaves out is
// the default's; the defaults themselves are safe when nothing is configured (docs/security.md).

import { noBackslash, ruleProperties } from "../crds/flinkapplicationpolicy.js";
import type { PolicyRules } from "../crds/policy-types.generated.js";
import type { EffectiveRules } from "./evaluate.js";

/**
 * The operator-wide defaults that do not depend on where the operator runs: one table for the
 * controller (safeDefaults) and for the admission policy the chart renders (src/crds/generate.ts writes
 * it to the chart's files/tenancy-defaults.json). Secure by default (docs/adr/0013-tenant-policy.md):
 * - an AWS application name starts with the namespace and a dash, so one namespace cannot take the
 *   names another needs (names are unique per account and region);
 * - an execution role's name starts with the namespace and a dash, under any IAM path (paths are the
 *   platform's: docs/iam-policy.json grants iam:PassRole on role/flink/*), so a tenant cannot hand its
 *   job another team's permissions;
 * - a customer-managed KMS key is named by an alias that starts with the namespace and a dash (a key ARN
 *   or id only where a policy or the chart lists it): a key id says nothing about whose key it is;
 * - the log stream the job writes to (and the operator quotes error lines from) lies in a log group
 *   named /aws/kinesis-analytics/{namespace}-*: Managed Flink's console default group is
 *   /aws/kinesis-analytics/<application name> (https://docs.aws.amazon.com/managed-flink/latest/java/cloudwatch-logs.html),
 *   and names are {namespace}-* above, so a tenant cannot write into another team's logs;
 * - no adoption; deletionPolicy Delete allowed (it only deletes what the resource created).
 * A single-tenant install opts out per rule with "*" (chart tenancy.defaults).
 */
export const builtInDefaults = {
  serviceExecutionRoles: ["arn:aws:iam::*:role/{namespace}-*", "arn:aws:iam::*:role/*/{namespace}-*"],
  applicationNames: ["{namespace}-*"],
  encryptionKeys: ["arn:aws:kms:*:*:alias/{namespace}-*", "alias/{namespace}-*"],
  logStreams: ["arn:aws:logs:*:*:log-group:/aws/kinesis-analytics/{namespace}-*:log-stream:*"],
  allowAdoption: false,
  allowDeletionPolicyDelete: true,
} satisfies Partial<EffectiveRules>;

/**
 * The defaults when DEFAULT_POLICY says nothing: the table above, the operator's own region, no S3
 * location at all (a platform admin names the upload bucket), any public https host on port 443.
 */
export function safeDefaults(defaultRegion: string): EffectiveRules {
  return {
    ...structuredClone(builtInDefaults),
    regions: [defaultRegion],
    codeSources: [],
    artifactUploads: [],
    artifactHosts: [{ host: "*", port: 443 }],
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
    if (Array.isArray(v) && v.some((p) => typeof p === "string" && p.includes("\\"))) {
      throw new Error(`${where}.${k}: ${noBackslash.message}`);
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
