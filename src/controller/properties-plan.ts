// Status of spec.environmentPropertiesFrom: the content hash is recorded once AWS runs with that
// content (the application is steady with no drift), so status says which ConfigMap content is live.
import type { PlanInput, StatusChanges } from "./plan-types.js";

export function propertiesApplied(input: PlanInput): { changes?: StatusChanges } {
  const want = input.propertiesFrom;
  const have = input.status.propertiesFrom;
  if (!want && !have) return {};
  if (want && have && want.hash === have.hash && want.configMaps?.join() === have.configMaps?.join())
    return {};
  return { changes: { propertiesFrom: want ?? null } };
}

/**
 * Whether the last failed update is the one this spec and ConfigMap content would make again: a
 * failed update is not retried until the spec (generation) or the ConfigMap content (hash) changes.
 */
export function failedAlready(input: PlanInput): boolean {
  const failed = input.status.lastFailedUpdate;
  return (
    failed?.generation === input.generation &&
    (failed.propertiesHash ?? "") === (input.propertiesFrom?.hash ?? "")
  );
}

/** The ConfigMap content an update applies, so lastUpdate can tell a later ConfigMap edit from old drift. */
export function propertiesOf(input: PlanInput): { propertiesHash?: string } {
  return input.propertiesFrom ? { propertiesHash: input.propertiesFrom.hash } : {};
}
