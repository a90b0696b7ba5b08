// A small OpenAPI v3 (structural schema) builder. It keeps src/crds/flinkapplication.ts readable and
// lets one definition produce both the CRD YAML and the TypeScript types (src/crds/generate.ts).

export interface Validation {
  rule: string;
  message: string;
  /** Where the error points, relative to the schema node (Kubernetes fieldPath). */
  fieldPath?: string;
  reason?: "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueRequired" | "FieldValueDuplicate";
  /** Evaluate the rule on create too, with oldSelf an optional (absent on create). */
  optionalOldSelf?: boolean;
}

export interface Schema {
  type?: "object" | "string" | "integer" | "boolean" | "array" | "number";
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: Schema;
  items?: Schema;
  enum?: (string | number)[];
  default?: unknown;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  format?: string;
  "x-kubernetes-validations"?: Validation[];
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-map-type"?: "atomic" | "granular";
  /** Not emitted: the TypeScript type name for this node, so generated types read well. */
  tsName?: string;
}

type Extra = Omit<Schema, "type" | "properties" | "required" | "items" | "additionalProperties">;

export const str = (description: string, extra: Extra = {}): Schema => ({
  type: "string",
  description,
  ...extra,
});
export const int = (description: string, extra: Extra = {}): Schema => ({
  type: "integer",
  description,
  ...extra,
});
export const num = (description: string, extra: Extra = {}): Schema => ({
  type: "number",
  description,
  ...extra,
});
export const bool = (description: string, extra: Extra = {}): Schema => ({
  type: "boolean",
  description,
  ...extra,
});

/** An object; members listed in `required` are required, the rest optional. */
export const obj = (
  description: string,
  properties: Record<string, Schema>,
  extra: Extra & { required?: string[] } = {},
): Schema => ({ type: "object", description, properties, ...extra });

export const mapOf = (description: string, value: Schema, extra: Extra = {}): Schema => ({
  type: "object",
  description,
  additionalProperties: value,
  ...extra,
});

export const listOf = (description: string, items: Schema, extra: Extra = {}): Schema => ({
  type: "array",
  description,
  items,
  ...extra,
});

/** Removes generator-only keys so the result is a plain structural schema for the API server. */
export function toOpenApi(s: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === "tsName" || v === undefined) continue;
    if (k === "properties") {
      out[k] = Object.fromEntries(
        Object.entries(v as Record<string, Schema>).map(([n, c]) => [n, toOpenApi(c)]),
      );
    } else if (k === "items" || k === "additionalProperties") {
      out[k] = toOpenApi(v as Schema);
    } else {
      out[k] = v;
    }
  }
  return out;
}

/** TypeScript declarations for a schema tree; named nodes become interfaces of their own. */
export function toTypeScript(root: Schema, rootName: string): string {
  const decls: string[] = [];
  const seen = new Set<string>();

  const typeOf = (s: Schema, indent: string): string => {
    if (s.enum) return s.enum.map((e) => JSON.stringify(e)).join(" | ");
    switch (s.type) {
      case "string":
        return "string";
      case "integer":
      case "number":
        return "number";
      case "boolean":
        return "boolean";
      case "array":
        return `${wrap(typeOf(s.items ?? {}, indent))}[]`;
      case "object":
        if (s.tsName) {
          declare(s);
          return s.tsName;
        }
        return body(s, indent);
      default:
        return "unknown";
    }
  };
  const wrap = (t: string) => (t.includes("|") ? `(${t})` : t);
  const body = (s: Schema, indent: string): string => {
    if (s.additionalProperties && !s.properties) {
      return `Record<string, ${typeOf(s.additionalProperties, indent)}>`;
    }
    if (!s.properties) return "Record<string, unknown>";
    const inner = `${indent}  `;
    const lines = Object.entries(s.properties).map(([name, child]) => {
      const optional = s.required?.includes(name) ? "" : "?";
      const doc = child.description ? `${inner}/** ${child.description.replace(/\*\//g, "* /")} */\n` : "";
      return `${doc}${inner}${name}${optional}: ${typeOf(child, inner)};`;
    });
    return `{\n${lines.join("\n")}\n${indent}}`;
  };
  const declare = (s: Schema) => {
    const name = s.tsName!;
    if (seen.has(name)) return;
    seen.add(name);
    const doc = s.description ? `/** ${s.description.replace(/\*\//g, "* /")} */\n` : "";
    decls.push(`${doc}export interface ${name} ${body(s, "")}\n`);
  };
  declare({ ...root, tsName: rootName });
  return decls.reverse().join("\n");
}
