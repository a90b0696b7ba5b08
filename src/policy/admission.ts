// The FlinkApplicationPolicy rules as a ValidatingAdmissionPolicy: CEL evaluated by the API server
// itself, no webhook server (https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/).
// The binding selects every FlinkApplicationPolicy as a parameter (paramRef.selector: {}); the API server
// evaluates the policy once per parameter and admits only if all pass, which is exactly the controller's
// "every selecting policy must hold" (src/policy/evaluate.ts). Each validation first asks whether that
// policy selects the request's namespace, from `namespaceObject.metadata.labels`.
//
// What admission does not check, and the controller does: rules a policy leaves to the operator-wide
// defaults, and namespaces no policy selects (the defaults live in the operator's configuration, not in
// any object a CEL expression can read). The controller checks everything again before any AWS call, so
// a cluster without this policy is still safe; admission only refuses earlier, at `kubectl apply`.
//
// Matching is the controller's: a pattern holds at most one `*`, compared with startsWith/endsWith; key
// prefixes are plain string prefixes.
import { group, version } from "../crds/flinkapplication.js";
import { policyKind } from "../crds/flinkapplicationpolicy.js";

export const admissionPolicyName = `flinkapplicationpolicies.${group}`;
/** Replaced by the chart with the operator's service account user name. */
export const operatorUserPlaceholder = "__OPERATOR_SERVICE_ACCOUNT_USER__";

/** CEL: `value` matches `pattern` (at most one `*`). Both are CEL expressions of type string. */
export function celMatch(value: string, pattern: string): string {
  return `(${pattern}.contains('*') ? (${value}.startsWith(${pattern}.split('*')[0]) && ${value}.endsWith(${pattern}.split('*')[1]) && size(${value}) >= size(${pattern}) - 1) : ${value} == ${pattern})`;
}

const labels = "namespaceObject.metadata.labels";
const hasLabel = (key: string) => `(has(${labels}) && ${key} in ${labels})`;

/** CEL: the parameter's namespaceSelector selects the request's namespace (label-selector semantics). */
const selects = [
  `(!has(params.spec.namespaceSelector.matchLabels) || params.spec.namespaceSelector.matchLabels.all(k, ${hasLabel("k")} && ${labels}[k] == params.spec.namespaceSelector.matchLabels[k]))`,
  `(!has(params.spec.namespaceSelector.matchExpressions) || params.spec.namespaceSelector.matchExpressions.all(e, e.operator == 'In' ? (${hasLabel("e.key")} && has(e.values) && ${labels}[e.key] in e.values) : e.operator == 'NotIn' ? (!${hasLabel("e.key")} || !has(e.values) || !(${labels}[e.key] in e.values)) : e.operator == 'Exists' ? ${hasLabel("e.key")} : !${hasLabel("e.key")}))`,
].join(" && ");

const spec = "object.spec";
const artifact = `${spec}.code.artifact`;
const s3Url = `(has(${artifact}) && has(${artifact}.url) && ${artifact}.url.startsWith('s3://'))`;
const s3UrlBucket = `${artifact}.url.substring(5).split('/')[0]`;
const s3UrlKey = `${artifact}.url.substring(6 + size(${s3UrlBucket}))`;
const fetched = `(has(${artifact}) && (has(${artifact}.maven) || (has(${artifact}.url) && !${artifact}.url.startsWith('s3://'))))`;
const fetchUrl = `(has(${artifact}.maven) ? ${artifact}.maven.repository : ${artifact}.url)`;
const fetchPort = `(url(${fetchUrl}).getPort() != '' ? int(url(${fetchUrl}).getPort()) : (url(${fetchUrl}).getScheme() == 'http' ? 80 : 443))`;
const fetchHost = `url(${fetchUrl}).getHostname().lowerAscii()`;

// As the controller: a key with a . or .. segment is outside every prefix.
const inLocations = (list: string, bucket: string, key: string) =>
  `(!${key}.matches('(^|/)[.][.]?(/|$)') && ${list}.exists(l, ${celMatch(bucket, "l.bucket")} && ${key}.startsWith(has(l.keyPrefix) ? l.keyPrefix : '')))`;

const showLocations = (list: string) =>
  `${list}.map(l, 's3://' + l.bucket + '/' + (has(l.keyPrefix) ? l.keyPrefix : '')).join(', ')`;

interface Rule {
  rule: string;
  field: string;
  /** CEL: true when the object keeps the rule (only evaluated for a selecting policy). */
  holds: string;
  /** CEL string: what is wrong and what is allowed. */
  message: string;
}

const rules: Rule[] = [
  {
    rule: "regions",
    field: "spec.region",
    // Without spec.region the operator's own region applies, which admission does not know.
    holds: `!has(params.spec.regions) || !has(${spec}.region) || params.spec.regions.exists(p, ${celMatch(`${spec}.region`, "p")})`,
    message: `'region ' + ${spec}.region + ' is not allowed; allowed: ' + params.spec.regions.join(', ')`,
  },
  {
    rule: "applicationNames",
    field: "spec.applicationName (else metadata.name)",
    holds: `!has(params.spec.applicationNames) || params.spec.applicationNames.exists(p, ${celMatch(
      "variables.applicationName",
      "p.replace('{namespace}', request.namespace)",
    )})`,
    message: `'application name ' + variables.applicationName + ' is not allowed; allowed: ' + params.spec.applicationNames.map(p, p.replace('{namespace}', request.namespace)).join(', ')`,
  },
  {
    rule: "serviceExecutionRoles",
    field: "spec.serviceExecutionRole",
    holds: `!has(params.spec.serviceExecutionRoles) || params.spec.serviceExecutionRoles.exists(p, ${celMatch(`${spec}.serviceExecutionRole`, "p")})`,
    message: `'role ' + ${spec}.serviceExecutionRole + ' is not allowed; allowed: ' + params.spec.serviceExecutionRoles.join(', ')`,
  },
  // Code sources default to the policy's upload locations (src/policy/rules.ts mergeRules); two rules,
  // because the two lists are different types to the CEL type checker.
  {
    rule: "codeSources",
    field: "spec.code.s3",
    holds: `!has(${spec}.code.s3) || !has(params.spec.codeSources) || ${inLocations("params.spec.codeSources", `${spec}.code.s3.bucket`, `${spec}.code.s3.key`)}`,
    message: `'code may not be read from s3://' + ${spec}.code.s3.bucket + '/' + ${spec}.code.s3.key + '; allowed: ' + ${showLocations("params.spec.codeSources")}`,
  },
  {
    rule: "codeSources",
    field: "spec.code.s3",
    holds: `!has(${spec}.code.s3) || has(params.spec.codeSources) || !has(params.spec.artifactUploads) || ${inLocations("params.spec.artifactUploads", `${spec}.code.s3.bucket`, `${spec}.code.s3.key`)}`,
    message: `'code may not be read from s3://' + ${spec}.code.s3.bucket + '/' + ${spec}.code.s3.key + '; allowed: ' + ${showLocations("params.spec.artifactUploads")}`,
  },
  {
    rule: "codeSources",
    field: "spec.code.artifact.url",
    holds: `!${s3Url} || !has(params.spec.codeSources) || ${inLocations("params.spec.codeSources", s3UrlBucket, s3UrlKey)}`,
    message: `'code may not be read from ' + ${artifact}.url + '; allowed: ' + ${showLocations("params.spec.codeSources")}`,
  },
  {
    rule: "codeSources",
    field: "spec.code.artifact.url",
    holds: `!${s3Url} || has(params.spec.codeSources) || !has(params.spec.artifactUploads) || ${inLocations("params.spec.artifactUploads", s3UrlBucket, s3UrlKey)}`,
    message: `'code may not be read from ' + ${artifact}.url + '; allowed: ' + ${showLocations("params.spec.artifactUploads")}`,
  },
  {
    rule: "artifactUploads",
    field: "spec.code.artifact.bucket",
    // The key is <prefix>/<sha256>.<ext>; the prefix is defaulted by the FlinkApplication schema.
    holds: `!has(${artifact}) || !has(params.spec.artifactUploads) || ${inLocations(
      "params.spec.artifactUploads",
      `${artifact}.bucket`,
      `((has(${artifact}.prefix) ? ${artifact}.prefix : 'flink-applications') + '/')`,
    )}`,
    message: `'the artifact may not be uploaded to s3://' + ${artifact}.bucket + '/' + (has(${artifact}.prefix) ? ${artifact}.prefix : 'flink-applications') + '/; allowed: ' + ${showLocations("params.spec.artifactUploads")}`,
  },
  {
    rule: "artifactHosts",
    field: "spec.code.artifact.url or .maven.repository",
    holds: `!${fetched} || !has(params.spec.artifactHosts) || (isURL(${fetchUrl}) && params.spec.artifactHosts.exists(h, (h.host == '*' || (h.host.startsWith('*.') ? ${fetchHost}.endsWith(h.host.substring(1)) : ${fetchHost} == h.host)) && (has(h.port) ? h.port : 443) == ${fetchPort}))`,
    // Host and port only: the URL may carry user:password@ or a presigned query string.
    message: `'the host ' + (isURL(${fetchUrl}) ? ${fetchHost} + ' port ' + string(${fetchPort}) : '(not a URL)') + ' is not allowed; allowed: ' + params.spec.artifactHosts.map(h, h.host + ':' + string(has(h.port) ? h.port : 443)).join(', ')`,
  },
  {
    rule: "allowAdoption",
    field: "metadata.annotations[managedflink.dev/adopt]",
    holds: `!has(params.spec.allowAdoption) || params.spec.allowAdoption || !has(object.metadata.annotations) || !('managedflink.dev/adopt' in object.metadata.annotations) || object.metadata.annotations['managedflink.dev/adopt'] != 'true'`,
    message: `'adopting an application the operator did not create is not allowed here; remove the annotation'`,
  },
  {
    rule: "allowDeletionPolicyDelete",
    field: "spec.deletionPolicy",
    holds: `!has(params.spec.allowDeletionPolicyDelete) || params.spec.allowDeletionPolicyDelete || !has(${spec}.deletionPolicy) || ${spec}.deletionPolicy != 'Delete'`,
    message: `'deletionPolicy Delete is not allowed here; use Retain'`,
  },
];

export function validatingAdmissionPolicy(): Record<string, unknown> {
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicy",
    metadata: { name: admissionPolicyName },
    spec: {
      // A parameter that cannot be evaluated refuses the request: a broken policy must not let everything in.
      failurePolicy: "Fail",
      paramKind: { apiVersion: `${group}/${version}`, kind: policyKind },
      matchConstraints: {
        resourceRules: [
          {
            apiGroups: [group],
            apiVersions: ["*"],
            operations: ["CREATE", "UPDATE"],
            resources: ["flinkapplications"],
          },
        ],
      },
      matchConditions: [
        // The operator only adds and removes its finalizer on the main resource; it must be able to do so
        // for a resource a newer policy refuses, or deleting that resource would hang.
        { name: "not-the-operator", expression: `request.userInfo.username != '${operatorUserPlaceholder}'` },
        // Removing finalizers from a resource being deleted changes nothing a policy bounds.
        { name: "not-being-deleted", expression: "!has(object.metadata.deletionTimestamp)" },
      ],
      variables: [
        { name: "selected", expression: selects },
        {
          name: "applicationName",
          expression: `has(${spec}.applicationName) ? ${spec}.applicationName : object.metadata.name`,
        },
      ],
      validations: rules.map((r) => ({
        expression: `!variables.selected || (${r.holds})`,
        messageExpression: `'FlinkApplicationPolicy ' + params.metadata.name + ', rule ${r.rule}: ${r.field}: ' + ${r.message}`,
        reason: "Forbidden",
      })),
    },
  };
}

export function validatingAdmissionPolicyBinding(): Record<string, unknown> {
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicyBinding",
    metadata: { name: admissionPolicyName },
    spec: {
      policyName: admissionPolicyName,
      // Every FlinkApplicationPolicy is a parameter; with none, nothing is checked here (the controller
      // applies the operator-wide defaults).
      paramRef: { selector: {}, parameterNotFoundAction: "Allow" },
      validationActions: ["Deny"],
    },
  };
}
