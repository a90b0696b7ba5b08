// Does a FlinkApplication stay inside what its namespace is allowed? A pure function of the resource and
// the rules, evaluated by the controller before any AWS or S3 call (docs/adr/0013-tenant-policy.md). The
// chart's ValidatingAdmissionPolicies state the same rules in CEL; the matchers here (* patterns, string
// prefixes) are chosen so that CEL can say exactly the same thing (src/policy/admission.ts).
import { artifactExtension, contentKey, redactUrl } from "../artifacts/locations.js";
import { logStreamArn } from "../controller/desired.js";
import { logStreamArnPattern } from "../crds/flinkapplication.js";
import type { PolicyRules } from "../crds/policy-types.generated.js";
import type { FlinkApplicationSpec } from "../crds/types.generated.js";

export const adoptAnnotation = "managedflink.dev/adopt";

/** Rules with every member decided: a policy merged over the operator-wide defaults. */
export type EffectiveRules = Required<Omit<PolicyRules, "assumeRoleARN">> &
  Pick<PolicyRules, "assumeRoleARN">;

/** Where the rules came from, for messages: a policy's name, or the operator-wide defaults. */
export interface NamedRules {
  source: string;
  rules: EffectiveRules;
}

/** The FlinkApplication as the policy sees it. */
export interface TenantApplication {
  namespace: string;
  name: string;
  annotations?: Record<string, string>;
  spec: FlinkApplicationSpec;
}

export interface Violation {
  /** "FlinkApplicationPolicy <name>" or "operator defaults". */
  source: string;
  /** The rule that refused, e.g. regions. */
  rule: keyof PolicyRules;
  /** The field that broke it, e.g. spec.region. */
  field: string;
  message: string;
}

/**
 * Each `*` matches any run of characters (also none, also `/` and `:`); everything else is literal. The
 * admission policy compiles the same pattern to the RE2 expression `^\Q<literal>\E.*\Q<literal>\E$`,
 * which is why a pattern may not hold a backslash (it could end the quoting); the regex built here
 * matches the same strings.
 */
export function matchesPattern(value: string, pattern: string): boolean {
  if (!pattern.includes("*")) return value === pattern;
  const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${pattern.split("*").map(literal).join(".*")}$`, "s").test(value);
}

/** `{namespace}` in a pattern stands for the resource's namespace (the defaults rely on it). */
export const withNamespace = (pattern: string, namespace: string) =>
  pattern.replaceAll("{namespace}", namespace);

type Check = (
  app: TenantApplication,
  rules: EffectiveRules,
  defaultRegion: string,
) => Omit<Violation, "source"> | undefined;

const list = (items: string[]) => (items.length === 0 ? "nothing" : items.join(", "));

const checkRegion: Check = (app, rules, defaultRegion) => {
  const region = app.spec.region ?? defaultRegion;
  if (rules.regions.some((p) => matchesPattern(region, p))) return undefined;
  return {
    rule: "regions",
    field: "spec.region",
    message: `region ${region}${app.spec.region ? "" : " (the operator's default)"} is not allowed; allowed: ${list(rules.regions)}`,
  };
};

const checkApplicationName: Check = (app, rules) => {
  const name = app.spec.applicationName ?? app.name;
  const allowed = rules.applicationNames.map((p) => withNamespace(p, app.namespace));
  if (allowed.some((p) => matchesPattern(name, p))) return undefined;
  return {
    rule: "applicationNames",
    field: app.spec.applicationName ? "spec.applicationName" : "metadata.name",
    message: `application name ${name} is not allowed; allowed: ${list(allowed)}`,
  };
};

const checkRole: Check = (app, rules) => {
  const role = app.spec.serviceExecutionRole;
  const allowed = rules.serviceExecutionRoles.map((p) => withNamespace(p, app.namespace));
  if (allowed.some((p) => matchesPattern(role, p))) return undefined;
  return {
    rule: "serviceExecutionRoles",
    field: "spec.serviceExecutionRole",
    message: `role ${role} is not allowed; allowed: ${list(allowed)}`,
  };
};

/**
 * A customer-managed key encrypts the application's state with a key the operator's identity may use
 * (kms:DescribeKey, kms:CreateGrant); without this rule a tenant could name another team's key
 * (https://docs.aws.amazon.com/managed-flink/latest/java/encryption-at-rest.html).
 */
const checkEncryptionKey: Check = (app, rules) => {
  const e = app.spec.encryption;
  if (e?.keyType !== "CUSTOMER_MANAGED_KEY" || !e.keyId) return undefined;
  const allowed = rules.encryptionKeys.map((p) => withNamespace(p, app.namespace));
  if (allowed.some((p) => matchesPattern(e.keyId!, p))) return undefined;
  return {
    rule: "encryptionKeys",
    field: "spec.encryption.keyId",
    message: `KMS key ${e.keyId} is not allowed; allowed: ${list(allowed)}`,
  };
};

/**
 * The log stream the job writes into, and whose ERROR lines the operator reads with its own credentials
 * (src/health/logs.ts): without this rule a tenant could pollute another team's logs. The ARN is the
 * controller's (desired.ts logStreamArn), so the logGroup/logStream form is checked in the region and
 * account it will really name. A `*` may cross `:`, so against a crafted value a star of
 * `…/{namespace}-*:log-stream:*` could run through a stream part into another log group; a well-formed
 * ARN has exactly eight colons, none inside a part, so refusing any other value keeps each star of a
 * pattern that writes all eight colons within its own part (the CRD's pattern refuses it too; this
 * does not rely on it).
 */
const checkLogStream: Check = (app, rules, defaultRegion) => {
  const arn = logStreamArn(app.spec, app.spec.region ?? defaultRegion);
  if (arn === undefined) return undefined;
  const wellFormed = new RegExp(logStreamArnPattern).test(arn);
  const allowed = rules.logStreams.map((p) => withNamespace(p, app.namespace));
  if (wellFormed && allowed.some((p) => matchesPattern(arn, p))) return undefined;
  return {
    rule: "logStreams",
    field: app.spec.logging?.logStreamARN ? "spec.logging.logStreamARN" : "spec.logging",
    message: `log stream ${arn}${wellFormed ? "" : " (not a log stream ARN)"} is not allowed; allowed: ${list(allowed)}`,
  };
};

/**
 * A key with a `.` or `..` segment is refused whatever the prefix: `jobs/../team-b/x.jar` starts with
 * `jobs/` as a string, and a client or proxy that normalises paths would read or write outside it.
 */
const dotSegment = /(^|\/)\.\.?(\/|$)/;

const inLocations = (bucket: string, key: string, locations: EffectiveRules["codeSources"]) =>
  !dotSegment.test(key) &&
  locations.some((l) => matchesPattern(bucket, l.bucket) && key.startsWith(l.keyPrefix ?? ""));

const showLocations = (locations: EffectiveRules["codeSources"]) =>
  list(locations.map((l) => `s3://${l.bucket}/${l.keyPrefix ?? ""}`));

/** code.s3, or an s3:// artifact URL: the operator reads it with its own credentials, so the policy bounds it. */
const checkCodeSource: Check = (app, rules) => {
  const { s3, artifact } = app.spec.code;
  let source: { bucket: string; key: string; field: string } | undefined;
  if (s3) source = { bucket: s3.bucket, key: s3.key, field: "spec.code.s3" };
  else if (artifact?.url?.startsWith("s3://")) {
    const u = safeUrl(artifact.url);
    if (!u) return undefined; // unparseable: the artifact step refuses it, before any call
    source = {
      bucket: u.hostname,
      key: decodeURIComponent(u.pathname.replace(/^\//, "")),
      field: "spec.code.artifact.url",
    };
  }
  if (!source || inLocations(source.bucket, source.key, rules.codeSources)) return undefined;
  return {
    rule: "codeSources",
    field: source.field,
    message: `code may not be read from s3://${source.bucket}/${source.key}; allowed: ${showLocations(rules.codeSources)}`,
  };
};

const checkUpload: Check = (app, rules) => {
  const a = app.spec.code.artifact;
  if (!a) return undefined;
  const key = contentKey(a.prefix, a.sha256, artifactExtension(a));
  if (inLocations(a.bucket, key, rules.artifactUploads)) return undefined;
  return {
    rule: "artifactUploads",
    field: "spec.code.artifact.bucket",
    message: `the artifact may not be uploaded to s3://${a.bucket}/${key}; allowed: ${showLocations(rules.artifactUploads)}`,
  };
};

const defaultPort = (u: URL) => (u.port ? Number(u.port) : u.protocol === "http:" ? 80 : 443);

const hostMatches = (host: string, entry: string) =>
  entry === "*" || (entry.startsWith("*.") ? host.endsWith(entry.slice(1)) : host === entry);

/** https:// URLs and Maven repositories: the host and the port must both be listed. */
const checkHost: Check = (app, rules) => {
  const a = app.spec.code.artifact;
  const raw = a?.maven?.repository ?? (a?.url && !a.url.startsWith("s3://") ? a.url : undefined);
  if (!a || !raw) return undefined;
  const field = a.maven ? "spec.code.artifact.maven.repository" : "spec.code.artifact.url";
  const u = safeUrl(raw);
  if (!u) return undefined;
  const host = u.hostname.toLowerCase().replace(/\.$/, "");
  const port = defaultPort(u);
  if (rules.artifactHosts.some((h) => hostMatches(host, h.host) && (h.port ?? 443) === port))
    return undefined;
  return {
    rule: "artifactHosts",
    field,
    message: `${redactUrl(u)} names host ${host} port ${port}, which is not allowed; allowed: ${list(
      rules.artifactHosts.map((h) => `${h.host}:${h.port ?? 443}`),
    )}`,
  };
};

const checkAdoption: Check = (app, rules) => {
  // The reconciler adopts only on "true"; any other value asks for nothing the policy bounds.
  if (rules.allowAdoption || app.annotations?.[adoptAnnotation] !== "true") return undefined;
  return {
    rule: "allowAdoption",
    field: `metadata.annotations[${adoptAnnotation}]`,
    message: "adopting an application the operator did not create is not allowed here; remove the annotation",
  };
};

const checkDeletionPolicy: Check = (app, rules) => {
  if (rules.allowDeletionPolicyDelete || app.spec.deletionPolicy !== "Delete") return undefined;
  return {
    rule: "allowDeletionPolicyDelete",
    field: "spec.deletionPolicy",
    message: "deletionPolicy Delete is not allowed here; use Retain",
  };
};

const checks: Check[] = [
  checkRegion,
  checkApplicationName,
  checkRole,
  checkEncryptionKey,
  checkLogStream,
  checkCodeSource,
  checkUpload,
  checkHost,
  checkAdoption,
  checkDeletionPolicy,
];

/** The first rule the application breaks, across every policy that applies (all must hold). */
export function firstViolation(
  app: TenantApplication,
  applicable: NamedRules[],
  defaultRegion: string,
): Violation | undefined {
  for (const { source, rules } of applicable) {
    for (const check of checks) {
      const v = check(app, rules, defaultRegion);
      if (v) return { source, ...v };
    }
  }
  return undefined;
}

/** One sentence for Stalled and the Event: who refused, which rule, which field, what is allowed. */
export function describeViolation(v: Violation): string {
  return `${v.source}, rule ${v.rule}: ${v.field}: ${v.message}`;
}

function safeUrl(raw: string): URL | undefined {
  try {
    return new URL(raw);
  } catch {
    return undefined;
  }
}
