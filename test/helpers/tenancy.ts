// Tenancy rules that allow everything the feature tests use (any bucket, region, host, name, role, KMS
// key and log stream, adoption and deletion: what a single-tenant install opts out to); tenancy itself is
// tested with the shipped defaults and real policies (test/unit/policy, tenancy.test.ts).
import type { EffectiveRules } from "../../src/policy/index.js";

export const unrestricted: EffectiveRules = {
  serviceExecutionRoles: ["*"],
  regions: ["*"],
  applicationNames: ["*"],
  encryptionKeys: ["*"],
  logStreams: ["*"],
  codeSources: [{ bucket: "*" }],
  artifactUploads: [{ bucket: "*" }],
  artifactHosts: [{ host: "*", port: 443 }],
  allowAdoption: true,
  allowDeletionPolicyDelete: true,
};
