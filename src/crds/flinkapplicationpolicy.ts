// The FlinkApplicationPolicy API (managedflink.dev/v1alpha1, cluster-scoped): what platform admins allow
// the FlinkApplications of the namespaces a policy selects. The controller enforces it before any AWS or
// S3 call (src/policy/), and the chart's ValidatingAdmissionPolicy at admission; docs/security.md and
// docs/adr/0013-tenant-policy.md explain the model.
//
// Every rule is optional: a rule a policy leaves out falls back to the operator-wide defaults (the chart's
// tenancy.defaults), so a policy only ever states what differs for its tenants.
import { group, version } from "./flinkapplication.js";
import { bool, int, listOf, mapOf, obj, type Schema, str, toOpenApi } from "./schema-dsl.js";

export const policyKind = "FlinkApplicationPolicy";
export const policyPlural = "flinkapplicationpolicies";
export const policySingular = "flinkapplicationpolicy";

// In a pattern each `*` matches any run of characters (also none). The admission policy quotes the rest
// for RE2 as \Q...\E, which a backslash could end; no ARN, region or name holds one.
export const noBackslash = {
  rule: "self.all(p, !p.contains('\\\\'))",
  message: "a pattern may not hold a backslash",
};

const patterns = (description: string, maxLength: number) =>
  listOf(
    description,
    str("A value, or a pattern where each * stands for any run of characters.", { minLength: 1, maxLength }),
    {
      maxItems: 64,
      "x-kubernetes-validations": [noBackslash],
    },
  );

const bucket = str('Bucket name, or a pattern with * ("*" alone: any bucket).', {
  minLength: 1,
  maxLength: 63,
  pattern: "^[a-z0-9*][a-z0-9.*-]*$",
});

const prefix = (what: string) =>
  str(
    `${what} Empty or omitted: the whole bucket. Compared with the key as a plain string prefix, so end it with / to mean a folder.`,
    {
      maxLength: 1024,
    },
  );

const labelSelector = obj(
  "Which namespaces the policy applies to, by their labels (a Kubernetes label selector). {} selects every namespace.",
  {
    matchLabels: mapOf(
      "Labels a namespace must carry with exactly these values.",
      str("value", { maxLength: 63 }),
      {
        maxProperties: 32,
      },
    ),
    matchExpressions: listOf(
      "Label requirements; all must hold.",
      obj(
        "One requirement.",
        {
          key: str("Label key.", { minLength: 1, maxLength: 317 }),
          operator: str("In, NotIn, Exists or DoesNotExist.", {
            enum: ["In", "NotIn", "Exists", "DoesNotExist"],
          }),
          values: listOf("Values for In and NotIn.", str("value", { maxLength: 63 }), { maxItems: 64 }),
        },
        {
          required: ["key", "operator"],
          tsName: "LabelSelectorRequirement",
          "x-kubernetes-validations": [
            {
              rule: "(self.operator in ['In', 'NotIn']) == (has(self.values) && size(self.values) > 0)",
              message: "values are required with In and NotIn and not allowed with Exists and DoesNotExist",
            },
          ],
        },
      ),
      { maxItems: 32 },
    ),
  },
  { tsName: "NamespaceSelector" },
);

/** The rules, shared by a policy's spec and the operator-wide defaults (DEFAULT_POLICY). */
export const ruleProperties: Record<string, Schema> = {
  serviceExecutionRoles: patterns(
    "IAM role ARNs allowed as spec.serviceExecutionRole, e.g. arn:aws:iam::111122223333:role/team-a-*; {namespace} stands for the resource's namespace. Omitted: the operator-wide default (arn:aws:iam::*:role/{namespace}-* and arn:aws:iam::*:role/*/{namespace}-*).",
    2048,
  ),
  regions: patterns(
    "AWS regions allowed as spec.region. Omitted: the operator-wide default (the operator's own region).",
    32,
  ),
  applicationNames: patterns(
    "AWS application names allowed (spec.applicationName, else metadata.name); {namespace} stands for the resource's namespace, e.g. {namespace}-*. Omitted: the operator-wide default ({namespace}-*).",
    256,
  ),
  encryptionKeys: patterns(
    "KMS keys allowed as spec.encryption.keyId with CUSTOMER_MANAGED_KEY (as written: key ARN, key id, alias ARN or alias name); {namespace} stands for the resource's namespace. Omitted: the operator-wide default (arn:aws:kms:*:*:alias/{namespace}-* and alias/{namespace}-*).",
    2048,
  ),
  logStreams: patterns(
    "CloudWatch Logs stream ARNs allowed as spec.logging (logStreamARN, or the ARN the controller builds from logGroup and logStream with the region and the account of serviceExecutionRole); {namespace} stands for the resource's namespace. Write all eight colons of arn:aws:logs:<region>:<account>:log-group:<group>:log-stream:<stream> so that each * stays within its part (a log stream ARN has exactly eight). Omitted: the operator-wide default (arn:aws:logs:*:*:log-group:/aws/kinesis-analytics/{namespace}-*:log-stream:*).",
    2048,
  ),
  codeSources: listOf(
    "S3 locations code may be read from: spec.code.s3 and s3:// artifact URLs. Omitted: the operator-wide default.",
    obj(
      "A bucket and key prefix.",
      { bucket, keyPrefix: prefix("Keys must start with this.") },
      { required: ["bucket"], tsName: "S3Location" },
    ),
    { maxItems: 64 },
  ),
  artifactUploads: listOf(
    "Where spec.code.artifact may be uploaded: artifact.bucket, with keys under the prefix. Omitted: the operator-wide default.",
    obj(
      "A bucket and key prefix for uploads.",
      {
        bucket,
        keyPrefix: prefix(
          "The content-addressed key (<artifact.prefix>/<sha256>.<ext>) must start with this.",
        ),
      },
      { required: ["bucket"], tsName: "UploadLocation" },
    ),
    { maxItems: 64 },
  ),
  artifactHosts: listOf(
    "Hosts https:// artifact URLs and Maven repositories may name, each with its port. Omitted: the operator-wide default (any host the SSRF guard allows, on port 443).",
    obj(
      "A host and port.",
      {
        host: str("Host name, *.domain, or * for any host the SSRF guard allows.", {
          minLength: 1,
          maxLength: 253,
          pattern: "^(\\*|(\\*\\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?)$",
        }),
        port: int("Port; 443 when omitted.", { minimum: 1, maximum: 65535 }),
      },
      { required: ["host"], tsName: "HostPort" },
    ),
    { maxItems: 64 },
  ),
  allowAdoption: bool(
    "Whether the annotation managedflink.dev/adopt may take over an existing application the operator did not create. Omitted: the operator-wide default (false).",
  ),
  allowDeletionPolicyDelete: bool(
    "Whether spec.deletionPolicy may be Delete (deleting the resource deletes the application and its snapshots). Omitted: the operator-wide default (true).",
  ),
  assumeRoleARN: str(
    "An IAM role the operator assumes (STS AssumeRole) for every AWS and S3 call of these namespaces' applications, so that IAM itself bounds each tenant. Omitted: the operator's own credentials.",
    { minLength: 20, maxLength: 2048, pattern: "^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$" },
  ),
};

const policySpec = obj(
  "What FlinkApplications in the selected namespaces may do. A namespace several policies select must satisfy all of them.",
  { namespaceSelector: labelSelector, ...ruleProperties },
  { required: ["namespaceSelector"], tsName: "FlinkApplicationPolicySpec" },
);

export const policyOpenApiSchema: Schema = obj(
  "A FlinkApplicationPolicy bounds what the FlinkApplications of the namespaces it selects may reach in AWS.",
  { apiVersion: str("APIVersion"), kind: str("Kind"), metadata: { type: "object" }, spec: policySpec },
  { required: ["spec"] },
);

export function policyCustomResourceDefinition(): Record<string, unknown> {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${policyPlural}.${group}` },
    spec: {
      group,
      scope: "Cluster",
      names: {
        kind: policyKind,
        listKind: `${policyKind}List`,
        plural: policyPlural,
        singular: policySingular,
        shortNames: ["flinkpolicy"],
        categories: ["flink"],
      },
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: toOpenApi(policyOpenApiSchema) },
          additionalPrinterColumns: [{ name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" }],
        },
      ],
    },
  };
}
