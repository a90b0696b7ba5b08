// Tenancy rules that allow everything the feature tests use (any bucket, region, host, adoption and
// deletion); tenancy itself is tested with real policies (test/unit/policy, tenancy.test.ts).
import type { EffectiveRules } from "../../src/policy/index.js";

export const unrestricted: EffectiveRules = {
  serviceExecutionRoles: ["*"],
  regions: ["*"],
  applicationNames: ["*"],
  codeSources: [{ bucket: "*" }],
  artifactUploads: [{ bucket: "*" }],
  artifactHosts: [{ host: "*", port: 443 }],
  allowAdoption: true,
  allowDeletionPolicyDelete: true,
};
