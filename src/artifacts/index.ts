export { type EnsureArtifactDeps, type EnsuredArtifact, ensureArtifact } from "./ensure-artifact.js";
export { ArtifactError, type ArtifactErrorReason } from "./errors.js";
export { type ArtifactPolicy, artifactPolicyFromEnv } from "./policy.js";
