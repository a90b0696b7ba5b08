// spec.environmentPropertiesFrom: property groups whose key/value pairs live in ConfigMaps. They are
// resolved into spec.environmentProperties before planning, so the configuration table compares and
// updates them like any inline property (a ConfigMap edit is drift: one snapshot-first update), and
// their content hash goes to status. Limits are AWS's (PropertyGroup: PropertyMap of at most 50
// entries, keys and values 1-2048 characters; at most 50 groups —
// https://docs.aws.amazon.com/managed-flink/latest/apiv2/API_PropertyGroup.html).
import { createHash } from "node:crypto";
import type { FlinkApplicationSpec, PropertiesFromStatus } from "../crds/types.generated.js";

/** The part of a core/v1 ConfigMap we read. */
export interface ConfigMapLike {
  metadata: { name?: string; namespace?: string; resourceVersion?: string };
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

/** A read of the operator's ConfigMap cache (kept current by a watch). */
export type ConfigMapLookup = (namespace: string, name: string) => ConfigMapLike | undefined;

export type ResolvedProperties =
  | { spec: FlinkApplicationSpec; from?: PropertiesFromStatus }
  | { error: { reason: string; message: string } };

const maxEntries = 50;
const maxLength = 2048;

/** The spec with the ConfigMap groups merged into environmentProperties, or why that is impossible. */
export function resolveProperties(
  spec: FlinkApplicationSpec,
  namespace: string,
  lookup: ConfigMapLookup | undefined,
): ResolvedProperties {
  const sources = spec.environmentPropertiesFrom ?? [];
  if (sources.length === 0) return { spec };
  const groups: Record<string, Record<string, string>> = {};
  const read: string[] = [];
  for (const [i, source] of sources.entries()) {
    const field = `spec.environmentPropertiesFrom[${i}]`;
    const group = readGroup(field, source, namespace, spec, lookup);
    if ("error" in group) return group;
    groups[source.propertyGroupId] = group.properties;
    read.push(`${group.name}@${group.resourceVersion ?? ""}`);
  }
  return {
    spec: { ...spec, environmentProperties: { ...spec.environmentProperties, ...groups } },
    from: { hash: contentHash(groups), configMaps: read.sort() },
  };
}

type Source = NonNullable<FlinkApplicationSpec["environmentPropertiesFrom"]>[number];

function readGroup(
  field: string,
  source: Source,
  namespace: string,
  spec: FlinkApplicationSpec,
  lookup: ConfigMapLookup | undefined,
) {
  const fail = (reason: string, message: string) => ({
    error: { reason, message: `${message}; nothing was changed in AWS` },
  });
  // The API server refuses these already (CRD validation); this covers a server without CEL rules.
  if (source.secretRef) {
    return fail(
      "SecretRefused",
      `${field}.secretRef: Secrets are not copied into Managed Flink properties, which anyone allowed DescribeApplication reads in plain text; keep the secret in AWS Secrets Manager and let the job read it (docs/properties-from-configmaps.md)`,
    );
  }
  const name = source.configMapRef?.name;
  if (!name) return fail("InvalidPropertiesFrom", `${field}.configMapRef.name is required`);
  if (spec.environmentProperties?.[source.propertyGroupId]) {
    return fail(
      "InvalidPropertiesFrom",
      `${field}.propertyGroupId ${source.propertyGroupId} is also in spec.environmentProperties; a group comes from one place`,
    );
  }
  const cm = lookup?.(namespace, name);
  if (!cm)
    return fail("ConfigMapNotFound", `${field}.configMapRef: ConfigMap ${namespace}/${name} not found`);
  const where = `ConfigMap ${namespace}/${name} (${field})`;
  if (cm.binaryData && Object.keys(cm.binaryData).length > 0) {
    return fail("InvalidConfigMap", `${where} has binaryData; properties are text (use data)`);
  }
  const properties = cm.data ?? {};
  const entries = Object.entries(properties);
  if (entries.length === 0) return fail("InvalidConfigMap", `${where} has no data`);
  if (entries.length > maxEntries) {
    return fail(
      "InvalidConfigMap",
      `${where} has ${entries.length} keys; a property group holds at most ${maxEntries}`,
    );
  }
  const bad = entries.find(([, v]) => v.length < 1 || v.length > maxLength);
  if (bad)
    return fail("InvalidConfigMap", `${where}: the value of ${bad[0]} must be 1-${maxLength} characters`);
  const longKey = entries.find(([k]) => k.length > maxLength);
  if (longKey)
    return fail(
      "InvalidConfigMap",
      `${where}: key ${longKey[0].slice(0, 40)}… is longer than ${maxLength} characters`,
    );
  return { name, resourceVersion: cm.metadata.resourceVersion, properties };
}

/** sha256 over the groups in a canonical order: equal content, equal hash, whatever the key order. */
export function contentHash(groups: Record<string, Record<string, string>>): string {
  const canonical = Object.keys(groups)
    .sort()
    .map((id) => [id, Object.entries(groups[id]!).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
  return createHash("sha256").update(JSON.stringify(canonical)).digest("hex").slice(0, 16);
}
