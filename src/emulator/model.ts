import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

/** The subset of botocore's service-2.json that validation and routing need. */
export interface Shape {
  type:
    | "structure"
    | "list"
    | "map"
    | "string"
    | "integer"
    | "long"
    | "boolean"
    | "timestamp"
    | "blob"
    | "double"
    | "float";
  members?: Record<string, { shape: string }>;
  required?: string[];
  member?: { shape: string };
  key?: { shape: string };
  value?: { shape: string };
  enum?: string[];
  min?: number;
  max?: number;
  pattern?: string;
  exception?: boolean;
  fault?: boolean;
}

export interface Operation {
  name: string;
  input?: { shape: string };
  output?: { shape: string };
  errors?: { shape: string }[];
}

export interface ServiceModel {
  metadata: { targetPrefix: string; jsonVersion: string; protocol: string; apiVersion: string };
  operations: Record<string, Operation>;
  shapes: Record<string, Shape>;
}

/**
 * Loads botocore's official model (gzipped or plain JSON). The model is read from the installed botocore
 * package at start-up, never copied into the repository, so a botocore upgrade upgrades the emulator's
 * validation with it (docs/adr/0003-emulator.md).
 */
export function loadServiceModel(path: string): ServiceModel {
  const raw = readFileSync(path);
  const text = path.endsWith(".gz") ? gunzipSync(raw).toString("utf8") : raw.toString("utf8");
  const model = JSON.parse(text) as ServiceModel;
  if (!model.metadata?.targetPrefix || !model.operations || !model.shapes) {
    throw new Error(`${path} is not a botocore service model`);
  }
  return model;
}

/** The error shape names the model lists for an operation. */
export function operationErrors(model: ServiceModel, operation: string): string[] {
  return (model.operations[operation]?.errors ?? []).map((e) => e.shape);
}
