// The FlinkApplicationPolicy rules as a ValidatingAdmissionPolicy: CEL evaluated by the API server
// itself, no webhook server (https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/).
// The binding selects every FlinkApplicationPolicy as a parameter (paramRef.selector: {}); the API server
// evaluates the policy once per parameter and admits only if all pass, which is exactly the controller's
// "every selecting policy must hold" (src/policy/evaluate.ts). Each validation first asks whether that
// policy selects the request's namespace, from `namespaceObject.metadata.labels`.
//
// The defaults for names, roles, KMS keys and log streams (src/policy/rules.ts builtInDefaults, merged with the chart's
// tenancy.defaults) are rendered into both policies as CEL variables. A second policy, without parameters,
// checks those defaults in the namespaces its binding selects: CEL sees one parameter at a time, so it
// cannot tell whether any FlinkApplicationPolicy selects the namespace, and the binding's
// namespaceSelector (chart tenancy.admissionPolicy.defaultsNamespaceSelector: namespaces without the
// label managedflink.dev/policy) stands in for "no policy selects it".
//
// What admission does not check, and the controller does: the other defaults (region, S3 locations,
// hosts, adoption) where no policy states them. The controller checks everything again before any AWS
// call, so a cluster without these policies is still safe; admission only refuses earlier, at `kubectl apply`.
//
// Matching is the controller's (src/policy/evaluate.ts matchesPattern): each `*` any run of characters,
// the rest literal (RE2 \Q...\E); key prefixes are plain string prefixes.
import { group, version } from "../crds/flinkapplication.js";
import { policyKind } from "../crds/flinkapplicationpolicy.js";

export const admissionPolicyName = `flinkapplicationpolicies.${group}`;
export const defaultsPolicyName = `flinkapplicationdefaults.${group}`;
/** The rules whose operator-wide defaults admission knows (the chart renders them). */
export const admissionDefaults = [
  "applicationNames",
  "serviceExecutionRoles",
  "encryptionKeys",
  "logStreams",
] as const;
type DefaultedRule = (typeof admissionDefaults)[number];
/** Replaced by the chart with the rule's default as a CEL list (JSON). */
export const defaultPlaceholder = (rule: DefaultedRule) => `__TENANCY_DEFAULT_${rule}__`;
/** Replaced by the chart with tenancy.admissionPolicy.defaultsNamespaceSelector. */
export const defaultsSelectorPlaceholder = "__TENANCY_DEFAULTS_NAMESPACE_SELECTOR__";
/** Replaced by the chart with the operator's service account user name. */
export const operatorUserPlaceholder = "__OPERATOR_SERVICE_ACCOUNT_USER__";

/**
 * CEL: `value` matches `pattern`, each `*` any run of characters. Both are CEL expressions of type string.
 * The literal parts are quoted for RE2 (\Q...\E; the CRD refuses a backslash in a pattern), and
 * replace() replaces every `*` (https://pkg.go.dev/github.com/google/cel-go/ext#Strings).
 */
export function celMatch(value: string, pattern: string): string {
  return `${value}.matches('(?s)^\\\\Q' + ${pattern}.replace('*', '\\\\E.*\\\\Q') + '\\\\E$')`;
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

/**
 * Where a rule's value comes from: a FlinkApplicationPolicy (params), falling back to the rendered
 * defaults for the defaulted rules, or the rendered defaults alone.
 */
interface RuleSource {
  /** CEL: the source states the rule (a rule it does not state is not checked here). */
  given(rule: string): string;
  /** CEL: the rule's value. */
  value(rule: string): string;
  /** CEL string: who refuses, for the message. */
  who: string;
  /** CEL: the source applies to this request. */
  applies: string;
}

const defaultVariable = (rule: string) => `variables.default_${rule}`;
const isDefaulted = (rule: string): rule is DefaultedRule =>
  (admissionDefaults as readonly string[]).includes(rule);

const fromPolicy: RuleSource = {
  given: (rule) => (isDefaulted(rule) ? "true" : `has(params.spec.${rule})`),
  value: (rule) =>
    isDefaulted(rule)
      ? `(has(params.spec.${rule}) ? params.spec.${rule} : ${defaultVariable(rule)})`
      : `params.spec.${rule}`,
  who: "'FlinkApplicationPolicy ' + params.metadata.name",
  applies: "variables.selected",
};

const fromDefaults: RuleSource = {
  given: () => "true",
  value: defaultVariable,
  who: "'operator defaults'",
  applies: "true",
};

/** `{namespace}` in each pattern of a list, as the controller substitutes it. */
const namespaced = (list: string) => `${list}.map(p, p.replace('{namespace}', request.namespace))`;

/** A pattern rule: the value matches one of the listed patterns, `{namespace}` substituted. */
const patternRule = (
  s: RuleSource,
  rule: DefaultedRule,
  field: string,
  value: string,
  what: string,
  when?: string,
): Rule => ({
  rule,
  field,
  holds: [
    ...(when ? [`!(${when})`] : []),
    ...(s.given(rule) === "true" ? [] : [`!${s.given(rule)}`]),
    `${namespaced(s.value(rule))}.exists(p, ${celMatch(value, "p")})`,
  ].join(" || "),
  message: `'${what} ' + ${value} + ' is not allowed; allowed: ' + ${namespaced(s.value(rule))}.join(', ')`,
});

const cmk = `has(${spec}.encryption) && has(${spec}.encryption.keyId) && ${spec}.encryption.keyType == 'CUSTOMER_MANAGED_KEY'`;

const logging = `${spec}.logging`;
const loggingByName = `has(${logging}) && has(${logging}.logGroup) && has(${logging}.logStream)`;

/**
 * logGroup + logStream: the controller builds the ARN with the region and the account (src/policy/
 * evaluate.ts checkLogStream), which admission may not know (no spec.region: the operator's). A
 * pattern with all eight colons of arn:<partition>:logs:<region>:<account>:log-group:<group>:log-stream:<stream>
 * matches an ARN exactly when each part matches (the ARN has eight colons, none inside a part), so
 * admission compares the parts it knows: the partition and account of serviceExecutionRole (the
 * controller's source for them), spec.region when given, the group and the stream. A pattern of any
 * other shape is left to the controller: admission only refuses what the controller would.
 */
const logStreamByName = (s: RuleSource): Rule => {
  const role = `${spec}.serviceExecutionRole.split(':')`;
  const parts: [number, string][] = [
    [0, "'arn'"],
    [1, `${role}[1]`],
    [2, "'logs'"],
    [4, `${role}[4]`],
    [5, "'log-group'"],
    [6, `${logging}.logGroup`],
    [7, "'log-stream'"],
    [8, `${logging}.logStream`],
  ];
  const each = parts.map(([i, v]) => celMatch(v, `q[${i}]`)).join(" && ");
  const region = `(!has(${spec}.region) || ${celMatch(`${spec}.region`, "q[3]")})`;
  return {
    rule: "logStreams",
    field: "spec.logging",
    holds: `!(${loggingByName}) || ${namespaced(s.value("logStreams"))}.map(p, p.split(':')).exists(q, size(q) != 9 || (${each} && ${region}))`,
    message: `'log group ' + ${logging}.logGroup + ' stream ' + ${logging}.logStream + ' is not allowed; allowed: ' + ${namespaced(s.value("logStreams"))}.join(', ')`,
  };
};

/** The rules with operator-wide defaults admission knows: names, execution roles, KMS keys, log streams. */
const defaultedRules = (s: RuleSource): Rule[] => [
  patternRule(
    s,
    "applicationNames",
    "spec.applicationName (else metadata.name)",
    "variables.applicationName",
    "application name",
  ),
  patternRule(
    s,
    "serviceExecutionRoles",
    "spec.serviceExecutionRole",
    `${spec}.serviceExecutionRole`,
    "role",
  ),
  patternRule(s, "encryptionKeys", "spec.encryption.keyId", `${spec}.encryption.keyId`, "KMS key", cmk),
  // The CRD's pattern for logStreamARN has the eight colons the controller relies on; matched whole.
  patternRule(
    s,
    "logStreams",
    "spec.logging.logStreamARN",
    `${logging}.logStreamARN`,
    "log stream",
    `has(${logging}) && has(${logging}.logStreamARN)`,
  ),
  logStreamByName(s),
];

const s = fromPolicy;
const rules: Rule[] = [
  {
    rule: "regions",
    field: "spec.region",
    // Without spec.region the operator's own region applies, which admission does not know.
    holds: `!${s.given("regions")} || !has(${spec}.region) || ${s.value("regions")}.exists(p, ${celMatch(`${spec}.region`, "p")})`,
    message: `'region ' + ${spec}.region + ' is not allowed; allowed: ' + ${s.value("regions")}.join(', ')`,
  },
  ...defaultedRules(s),
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

/** The chart fills in each default; the generated file keeps a placeholder the template replaces. */
const defaultVariables = admissionDefaults.map((rule) => ({
  name: `default_${rule}`,
  expression: defaultPlaceholder(rule),
}));

function policy(name: string, source: RuleSource, checked: Rule[], extra: Record<string, unknown>) {
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicy",
    metadata: { name },
    spec: {
      // A parameter that cannot be evaluated refuses the request: a broken policy must not let everything in.
      failurePolicy: "Fail",
      ...extra,
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
        ...(source === fromPolicy ? [{ name: "selected", expression: selects }] : []),
        {
          name: "applicationName",
          expression: `has(${spec}.applicationName) ? ${spec}.applicationName : object.metadata.name`,
        },
        ...defaultVariables,
      ],
      validations: checked.map((r) => ({
        expression: source.applies === "true" ? r.holds : `!${source.applies} || (${r.holds})`,
        messageExpression: `${source.who} + ', rule ${r.rule}: ${r.field}: ' + ${r.message}`,
        reason: "Forbidden",
      })),
    },
  };
}

/** Every FlinkApplicationPolicy as a parameter: each selecting policy's rules, over the defaults. */
export function validatingAdmissionPolicy(): Record<string, unknown> {
  return policy(admissionPolicyName, fromPolicy, rules, {
    paramKind: { apiVersion: `${group}/${version}`, kind: policyKind },
  });
}

/** The defaults alone, for the namespaces the binding selects (no parameter). */
export function defaultsAdmissionPolicy(): Record<string, unknown> {
  return policy(defaultsPolicyName, fromDefaults, defaultedRules(fromDefaults), {});
}

export function validatingAdmissionPolicyBinding(): Record<string, unknown> {
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicyBinding",
    metadata: { name: admissionPolicyName },
    spec: {
      policyName: admissionPolicyName,
      // Every FlinkApplicationPolicy is a parameter; with none, nothing is checked here (the defaults
      // policy below and the controller apply the operator-wide defaults).
      paramRef: { selector: {}, parameterNotFoundAction: "Allow" },
      validationActions: ["Deny"],
    },
  };
}

export function defaultsAdmissionPolicyBinding(): Record<string, unknown> {
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicyBinding",
    metadata: { name: defaultsPolicyName },
    spec: {
      policyName: defaultsPolicyName,
      matchResources: { namespaceSelector: defaultsSelectorPlaceholder },
      validationActions: ["Deny"],
    },
  };
}
