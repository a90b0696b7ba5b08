import { invalidArgument, type ServiceError, serialization } from "./errors.js";
import type { ServiceModel, Shape } from "./model.js";

/** One constraint violation, phrased as Coral (the framework behind AWS's JSON services) phrases it. */
export interface Violation {
  path: string;
  value: unknown;
  constraint: string;
}

/**
 * Checks an operation's input against its shape in the official model: types, required members, enums,
 * lengths, patterns, numeric ranges, list and map sizes, recursively.
 *
 * Unknown members are ignored, as AWS's JSON-protocol services do (the Smithy awsJson1_1 protocol tells
 * servers to ignore unrecognised members so that newer clients keep working against older servers); see
 * docs/emulator.md.
 *
 * Returns the constraint violations; throws SerializationException for values of the wrong JSON type,
 * which Coral rejects while deserializing, before any constraint is checked.
 */
export function findViolations(model: ServiceModel, operation: string, input: unknown): Violation[] {
  const op = model.operations[operation];
  if (!op) throw new Error(`operation ${operation} is not in the model`);
  if (!op.input) return [];
  const violations: Violation[] = [];
  checkShape(model, op.input.shape, input ?? {}, "", violations);
  return violations;
}

/** Throws InvalidArgumentException carrying every violation in one message, or returns. */
export function validateInput(model: ServiceModel, operation: string, input: unknown): void {
  const violations = findViolations(model, operation, input);
  if (violations.length > 0) throw invalidArgument(formatViolations(violations));
}

/**
 * "1 validation error detected: Value 'x' at 'snapshotName' failed to satisfy constraint: Member must have
 * length less than or equal to 256" — the wording Coral services return (seen in AWS CLI output for many
 * services; kinesisanalyticsv2 does not document it).
 */
export function formatViolations(violations: Violation[]): string {
  const n = violations.length;
  const parts = violations.map(
    (v) => `Value ${renderValue(v.value)} at '${v.path}' failed to satisfy constraint: ${v.constraint}`,
  );
  return `${n} validation error${n === 1 ? "" : "s"} detected: ${parts.join("; ")}`;
}

function renderValue(value: unknown): string {
  if (value === undefined || value === null) return "null";
  if (typeof value === "string") return `'${value}'`;
  if (typeof value === "number" || typeof value === "boolean") return `'${value}'`;
  return `'${JSON.stringify(value)}'`;
}

/** Coral names members in lower camel case in its paths: `applicationConfiguration.flinkApplicationConfiguration`. */
function memberPath(parent: string, member: string): string {
  const name = member.charAt(0).toLowerCase() + member.slice(1);
  return parent ? `${parent}.${name}` : name;
}

function typeError(path: string, expected: string, value: unknown): ServiceError {
  const got = Array.isArray(value) ? "array" : value === null ? "null" : typeof value;
  return serialization(`Expected ${expected} at '${path || "(root)"}' but found ${got}`);
}

function shapeOf(model: ServiceModel, name: string): Shape {
  const shape = model.shapes[name];
  if (!shape) throw new Error(`shape ${name} is not in the model`);
  return shape;
}

function checkShape(
  model: ServiceModel,
  shapeName: string,
  value: unknown,
  path: string,
  out: Violation[],
): void {
  const shape = shapeOf(model, shapeName);
  switch (shape.type) {
    case "structure":
      checkStructure(model, shape, value, path, out);
      return;
    case "list":
      checkList(model, shape, value, path, out);
      return;
    case "map":
      checkMap(model, shape, value, path, out);
      return;
    case "string":
      checkString(shape, value, path, out);
      return;
    case "integer":
    case "long": {
      if (typeof value !== "number" || !Number.isInteger(value))
        throw typeError(path, `an ${shape.type}`, value);
      checkRange(shape, value, path, out);
      return;
    }
    case "double":
    case "float": {
      if (typeof value !== "number") throw typeError(path, "a number", value);
      checkRange(shape, value, path, out);
      return;
    }
    case "boolean":
      if (typeof value !== "boolean") throw typeError(path, "a boolean", value);
      return;
    case "timestamp":
      // The JSON protocol sends timestamps as epoch seconds, possibly fractional.
      if (typeof value !== "number" || !Number.isFinite(value)) throw typeError(path, "epoch seconds", value);
      return;
    case "blob": {
      if (typeof value !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
        throw typeError(path, "a base64 string", value);
      }
      checkLength(shape, Buffer.from(value, "base64").length, "<binary>", path, out);
      return;
    }
    default:
      throw new Error(`shape type ${(shape as Shape).type} is not supported`);
  }
}

function checkStructure(
  model: ServiceModel,
  shape: Shape,
  value: unknown,
  path: string,
  out: Violation[],
): void {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw typeError(path, "an object", value);
  const obj = value as Record<string, unknown>;
  for (const req of shape.required ?? []) {
    if (obj[req] === undefined || obj[req] === null) {
      out.push({ path: memberPath(path, req), value: null, constraint: "Member must not be null" });
    }
  }
  for (const [name, member] of Object.entries(shape.members ?? {})) {
    const v = obj[name];
    if (v === undefined || v === null) continue;
    checkShape(model, member.shape, v, memberPath(path, name), out);
  }
}

function checkList(model: ServiceModel, shape: Shape, value: unknown, path: string, out: Violation[]): void {
  if (!Array.isArray(value)) throw typeError(path, "an array", value);
  checkLength(shape, value.length, value, path, out);
  value.forEach((item, i) => {
    if (item === null || item === undefined) {
      out.push({ path: `${path}.${i + 1}.member`, value: null, constraint: "Member must not be null" });
      return;
    }
    checkShape(model, shape.member!.shape, item, `${path}.${i + 1}.member`, out);
  });
}

function checkMap(model: ServiceModel, shape: Shape, value: unknown, path: string, out: Violation[]): void {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw typeError(path, "an object", value);
  const entries = Object.entries(value as Record<string, unknown>);
  checkLength(shape, entries.length, value, path, out);
  for (const [k, v] of entries) {
    checkShape(model, shape.key!.shape, k, `${path}.key`, out);
    if (v === null || v === undefined) {
      out.push({ path: `${path}.${k}.value`, value: null, constraint: "Member must not be null" });
      continue;
    }
    checkShape(model, shape.value!.shape, v, `${path}.${k}.value`, out);
  }
}

function checkString(shape: Shape, value: unknown, path: string, out: Violation[]): void {
  if (typeof value !== "string") throw typeError(path, "a string", value);
  if (shape.enum && !shape.enum.includes(value)) {
    out.push({ path, value, constraint: `Member must satisfy enum value set: [${shape.enum.join(", ")}]` });
  }
  // Lengths count UTF-16 code units, as java.lang.String.length() does.
  checkLength(shape, value.length, value, path, out);
  if (shape.pattern && !patternRegExp(shape.pattern).test(value)) {
    out.push({ path, value, constraint: `Member must satisfy regular expression pattern: ${shape.pattern}` });
  }
}

function checkLength(shape: Shape, length: number, value: unknown, path: string, out: Violation[]): void {
  if (shape.min !== undefined && length < shape.min) {
    out.push({ path, value, constraint: `Member must have length greater than or equal to ${shape.min}` });
  }
  if (shape.max !== undefined && length > shape.max) {
    out.push({ path, value, constraint: `Member must have length less than or equal to ${shape.max}` });
  }
}

function checkRange(shape: Shape, n: number, path: string, out: Violation[]): void {
  if (shape.min !== undefined && n < shape.min) {
    out.push({ path, value: n, constraint: `Member must have value greater than or equal to ${shape.min}` });
  }
  if (shape.max !== undefined && n > shape.max) {
    out.push({ path, value: n, constraint: `Member must have value less than or equal to ${shape.max}` });
  }
}

const patterns = new Map<string, RegExp>();

/**
 * The model's patterns are Java regexes that Coral applies with Matcher.matches(), so the whole value must
 * match. Every pattern in the kinesisanalyticsv2 model is also a valid JavaScript RegExp with the `u` flag
 * (test/unit/emulator/validation.test.ts compiles them all), with the same meaning except at the edges
 * docs/emulator.md lists: Java's `\s` is ASCII whitespace where JavaScript's is Unicode, and Java's `.`
 * also refuses U+0085.
 */
export function patternRegExp(pattern: string): RegExp {
  let re = patterns.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${pattern})$`, "u");
    patterns.set(pattern, re);
  }
  return re;
}
