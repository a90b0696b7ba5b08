// Which applications the health monitor reads: from the operator's informer cache, those whose job
// runs (status.applicationStatus RUNNING), that are not being deleted, that their namespace's tenancy
// policy allows (a refused application gets no AWS call of any kind, ADR 0013), and whose spec.health
// does not turn checks off. A pure function, so the rule is tested without a cluster.

import { logStreamArn as logStreamArnOf } from "../controller/desired.js";
import type { FlinkApplication } from "../crds/types.generated.js";
import { decide, type NamedRules } from "../policy/index.js";
import { healthChecksEnabled, thresholdsFrom } from "./judge.js";
import type { HealthTarget, HealthThresholds } from "./types.js";

export interface TargetContext {
  /** The tenancy rules of a namespace; undefined while its namespace is not cached (nothing is read). */
  rulesFor(namespace: string): NamedRules[] | undefined;
  defaultRegion: string;
  defaults: HealthThresholds;
  /** Called for an application whose spec.health is invalid: it is skipped, the reconcile reports it. */
  onInvalid?: (key: string, message: string) => void;
}

export function healthTargets(apps: FlinkApplication[], ctx: TargetContext): HealthTarget[] {
  return apps.flatMap((o) => {
    const t = targetOf(o, ctx);
    return t ? [t] : [];
  });
}

function targetOf(o: FlinkApplication, ctx: TargetContext): HealthTarget | undefined {
  const namespace = o.metadata.namespace!;
  const key = `${namespace}/${o.metadata.name}`;
  if (o.status?.applicationStatus !== "RUNNING" || o.metadata.deletionTimestamp) return undefined;
  if (!healthChecksEnabled(o.spec.health)) return undefined;
  const rules = ctx.rulesFor(namespace);
  if (!rules) return undefined;
  const app = { namespace, name: o.metadata.name!, annotations: o.metadata.annotations, spec: o.spec };
  const decision = decide(app, rules, ctx.defaultRegion);
  if (decision.kind !== "allowed") return undefined;
  let thresholds: HealthThresholds;
  try {
    thresholds = thresholdsFrom(o.spec.health, ctx.defaults);
  } catch (err) {
    ctx.onInvalid?.(key, (err as Error).message);
    return undefined;
  }
  const region = o.status.region ?? o.spec.region ?? ctx.defaultRegion;
  const logStreamArn = logStreamArnOf(o.spec, region);
  return {
    key,
    applicationName: o.status.applicationName ?? o.spec.applicationName ?? o.metadata.name!,
    region,
    ...(decision.assumeRoleARN ? { assumeRoleARN: decision.assumeRoleARN } : {}),
    ...(logStreamArn ? { logStreamArn } : {}),
    ...(o.status.applicationARN ? { applicationARN: o.status.applicationARN } : {}),
    thresholds,
    stabilizing: Boolean(o.status.operation),
    ...(o.status.job?.verdict ? { recorded: o.status.job.verdict } : {}),
  };
}
