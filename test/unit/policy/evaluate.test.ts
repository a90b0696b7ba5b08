import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { FlinkApplicationPolicy } from "../../../src/crds/policy-types.generated.js";
import type { FlinkApplicationSpec } from "../../../src/crds/types.generated.js";
import { repoRoot } from "../../../src/localstack/binaries.js";
import {
  applicableRules,
  decide,
  defaultsFromEnv,
  type EffectiveRules,
  matchesPattern,
  safeDefaults,
  selects,
  type TenantApplication,
  validateRules,
} from "../../../src/policy/index.js";

const region = "us-east-1";
const sha = "a".repeat(64);

function app(
  spec: Partial<FlinkApplicationSpec> = {},
  extra: Partial<TenantApplication> = {},
): TenantApplication {
  return {
    namespace: "team-a",
    name: "team-a-orders",
    spec: {
      runtimeEnvironment: "FLINK-1_20",
      serviceExecutionRole: "arn:aws:iam::111122223333:role/team-a-flink",
      code: { s3: { bucket: "team-a-code", key: "jobs/orders.jar" } },
      ...spec,
    },
    ...extra,
  };
}

/** The defaults with the shared upload bucket configured, as a platform would. */
const defaults: EffectiveRules = {
  ...safeDefaults(region),
  artifactUploads: [{ bucket: "platform-artifacts" }],
  codeSources: [{ bucket: "platform-artifacts" }],
};

const teamA: FlinkApplicationPolicy = {
  apiVersion: "managedflink.dev/v1alpha1",
  kind: "FlinkApplicationPolicy",
  metadata: { name: "team-a" },
  spec: {
    namespaceSelector: { matchLabels: { team: "a" } },
    serviceExecutionRoles: ["arn:aws:iam::111122223333:role/team-a-*"],
    regions: ["us-east-1", "eu-west-1"],
    applicationNames: ["{namespace}-*"],
    artifactUploads: [{ bucket: "team-a-code", keyPrefix: "artifacts/" }],
    codeSources: [{ bucket: "team-a-code" }],
    artifactHosts: [{ host: "repo.example.com" }],
    allowDeletionPolicyDelete: false,
  },
};

const underTeamA = (a: TenantApplication) =>
  decide(a, applicableRules([teamA], { team: "a" }, defaults), region);
const underDefaults = (a: TenantApplication) => decide(a, applicableRules([teamA], {}, defaults), region);

describe("patterns", () => {
  it.each([
    ["abc", "abc", true],
    ["abc", "abd", false],
    ["team-a-orders", "team-a-*", true],
    ["team-a-", "team-a-*", true],
    ["team-b-orders", "team-a-*", false],
    ["x/role/a-flink", "*-flink", true],
    ["anything", "*", true],
    ["ab", "a*b*", true],
    ["arn:aws:iam::111122223333:role/team-a-flink", "arn:aws:iam::*:role/team-a-*", true],
    ["arn:aws:iam::111122223333:role/team-b-flink", "arn:aws:iam::*:role/team-a-*", false],
    ["arn:aws:iam::111122223333:role/flink/team-a-x", "arn:aws:iam::*:role/team-a-*", false],
    // Everything but * is literal: no regex or glob character means anything.
    ["abc", "a.c", false],
    ["a.c", "a.c", true],
    ["aab", "a+b", false],
    ["a?b", "a?*", true],
  ])("%s against %s: %s", (value, pattern, expected) => {
    expect(matchesPattern(value, pattern)).toBe(expected);
  });
});

describe("namespace selectors", () => {
  it("matchLabels and every operator of matchExpressions", () => {
    expect(selects({}, {})).toBe(true);
    expect(selects({ matchLabels: { team: "a" } }, { team: "a", x: "y" })).toBe(true);
    expect(selects({ matchLabels: { team: "a" } }, { team: "b" })).toBe(false);
    const tenant = { key: "tenant", operator: "Exists" } as const;
    expect(selects({ matchExpressions: [tenant] }, { tenant: "" })).toBe(true);
    expect(selects({ matchExpressions: [tenant] }, {})).toBe(false);
    expect(
      selects({ matchExpressions: [{ key: "t", operator: "In", values: ["a", "b"] }] }, { t: "b" }),
    ).toBe(true);
    expect(selects({ matchExpressions: [{ key: "t", operator: "NotIn", values: ["a"] }] }, {})).toBe(true);
    expect(selects({ matchExpressions: [{ key: "t", operator: "DoesNotExist" }] }, { t: "a" })).toBe(false);
  });

  it("falls back to the operator defaults when no policy selects the namespace", () => {
    expect(applicableRules([teamA], { team: "b" }, defaults)).toEqual([
      { source: expect.stringContaining("operator defaults"), rules: defaults },
    ]);
  });
});

describe("a namespace no policy selects (the safe defaults)", () => {
  it("allows code from the platform bucket in the operator's region", () => {
    expect(underDefaults(app({ code: { s3: { bucket: "platform-artifacts", key: "x.jar" } } }))).toEqual({
      kind: "allowed",
    });
  });

  it.each<[string, TenantApplication, string, string]>([
    [
      "adoption",
      app(
        { code: { s3: { bucket: "platform-artifacts", key: "x.jar" } } },
        { annotations: { "managedflink.dev/adopt": "true" } },
      ),
      "allowAdoption",
      "metadata.annotations[managedflink.dev/adopt]",
    ],
    ["another region", app({ region: "eu-west-1" }), "regions", "spec.region"],
    [
      "another team's bucket",
      app({ code: { s3: { bucket: "team-b-code", key: "x.jar" } } }),
      "codeSources",
      "spec.code.s3",
    ],
    [
      "an s3:// copy of another team's object",
      app({
        code: { artifact: { url: "s3://team-b-code/secret.jar", sha256: sha, bucket: "platform-artifacts" } },
      }),
      "codeSources",
      "spec.code.artifact.url",
    ],
    [
      "an upload into another team's bucket",
      app({
        code: { artifact: { url: "https://repo.example.com/a.jar", sha256: sha, bucket: "team-b-code" } },
      }),
      "artifactUploads",
      "spec.code.artifact.bucket",
    ],
    [
      "a port other than 443",
      app({
        code: {
          artifact: {
            url: "https://repo.example.com:4566/_emulator/calls",
            sha256: sha,
            bucket: "platform-artifacts",
          },
        },
      }),
      "artifactHosts",
      "spec.code.artifact.url",
    ],
  ])("refuses %s", (_what, a, rule, field) => {
    const d = underDefaults(a);
    expect(d.kind).toBe("refused");
    if (d.kind !== "refused") return;
    expect(d.violation).toMatchObject({ rule, field });
    expect(d.message).toContain("operator defaults");
    expect(d.message).toContain(`rule ${rule}: ${field}`);
  });
});

describe("the shipped defaults for names, execution roles and KMS keys (no policy selects the namespace)", () => {
  const inPlatform = { code: { s3: { bucket: "platform-artifacts", key: "x.jar" } } };
  const cmk = (keyId: string) => ({ encryption: { keyType: "CUSTOMER_MANAGED_KEY" as const, keyId } });

  it("allows the namespace's own names, roles and key aliases", () => {
    for (const a of [
      app(inPlatform),
      app({ ...inPlatform, applicationName: "team-a-payments" }),
      app({ ...inPlatform, serviceExecutionRole: "arn:aws:iam::111122223333:role/flink/team-a-x" }),
      app({ ...inPlatform, ...cmk("arn:aws:kms:us-east-1:111122223333:alias/team-a-state") }),
      app({ ...inPlatform, ...cmk("alias/team-a-state") }),
      app({ ...inPlatform, encryption: { keyType: "AWS_OWNED_KEY" } }),
    ])
      expect(underDefaults(a)).toEqual({ kind: "allowed" });
  });

  it.each<[string, TenantApplication, string, string, string]>([
    [
      "another team's execution role",
      app({ ...inPlatform, serviceExecutionRole: "arn:aws:iam::111122223333:role/team-b-flink" }),
      "serviceExecutionRoles",
      "spec.serviceExecutionRole",
      "allowed: arn:aws:iam::*:role/team-a-*",
    ],
    [
      "another team's role under a path",
      app({ ...inPlatform, serviceExecutionRole: "arn:aws:iam::111122223333:role/flink/team-b-x" }),
      "serviceExecutionRoles",
      "spec.serviceExecutionRole",
      "role arn:aws:iam::111122223333:role/flink/team-b-x is not allowed",
    ],
    [
      "a squatted application name",
      app({ ...inPlatform, applicationName: "payments" }),
      "applicationNames",
      "spec.applicationName",
      "application name payments is not allowed; allowed: team-a-*",
    ],
    [
      "a metadata.name outside the namespace prefix",
      app(inPlatform, { name: "payments" }),
      "applicationNames",
      "metadata.name",
      "allowed: team-a-*",
    ],
    [
      "another team's key alias",
      app({ ...inPlatform, ...cmk("arn:aws:kms:us-east-1:111122223333:alias/team-b-state") }),
      "encryptionKeys",
      "spec.encryption.keyId",
      "KMS key arn:aws:kms:us-east-1:111122223333:alias/team-b-state is not allowed",
    ],
    [
      "a key ARN (it says nothing about whose key it is)",
      app({
        ...inPlatform,
        ...cmk("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
      }),
      "encryptionKeys",
      "spec.encryption.keyId",
      "allowed: arn:aws:kms:*:*:alias/team-a-*, alias/team-a-*",
    ],
    [
      "a bare key id",
      app({ ...inPlatform, ...cmk("1234abcd-12ab-34cd-56ef-1234567890ab") }),
      "encryptionKeys",
      "spec.encryption.keyId",
      "is not allowed",
    ],
  ])("refuses %s", (_what, a, rule, field, message) => {
    const d = underDefaults(a);
    expect(d).toMatchObject({ kind: "refused", violation: { rule, field } });
    if (d.kind !== "refused") return;
    expect(d.message).toContain(
      `operator defaults (no FlinkApplicationPolicy selects this namespace), rule ${rule}: ${field}`,
    );
    expect(d.message).toContain(message);
  });

  it("applies to a policy that leaves the rule out, and a policy may widen it", () => {
    const narrow: FlinkApplicationPolicy = { ...teamA, spec: { namespaceSelector: {}, regions: [region] } };
    const squat = app({ ...inPlatform, applicationName: "payments" });
    expect(decide(squat, applicableRules([narrow], {}, defaults), region)).toMatchObject({
      violation: { source: "FlinkApplicationPolicy team-a", rule: "applicationNames" },
    });
    const wide = { ...narrow, spec: { ...narrow.spec, applicationNames: ["*"] } };
    expect(decide(squat, applicableRules([wide], {}, defaults), region)).toEqual({ kind: "allowed" });
  });

  it('opts out per rule with "*" (a single-tenant install)', () => {
    const optOut = defaultsFromEnv(region, {
      DEFAULT_POLICY: JSON.stringify({
        applicationNames: ["*"],
        serviceExecutionRoles: ["*"],
        encryptionKeys: ["*"],
        logStreams: ["*"],
        codeSources: [{ bucket: "platform-artifacts" }],
      }),
    });
    const a = app({
      ...inPlatform,
      applicationName: "payments",
      serviceExecutionRole: "arn:aws:iam::111122223333:role/anything",
      ...cmk("1234abcd-12ab-34cd-56ef-1234567890ab"),
      logging: { logGroup: "/platform/shared", logStream: "all" },
    });
    expect(decide(a, applicableRules([], {}, optOut), region)).toEqual({ kind: "allowed" });
  });
});

describe("the shipped default for log streams (spec.logging)", () => {
  const inPlatform = { code: { s3: { bucket: "platform-artifacts", key: "x.jar" } } };
  const arn = (group: string, stream = "app") =>
    `arn:aws:logs:us-east-1:111122223333:log-group:${group}:log-stream:${stream}`;
  const byArn = (logStreamARN: string) => app({ ...inPlatform, logging: { logStreamARN } });
  const byName = (logGroup: string, logStream = "app", extra: Partial<FlinkApplicationSpec> = {}) =>
    app({ ...inPlatform, ...extra, logging: { logGroup, logStream } });

  it("allows a stream in a log group of the namespace's own applications, in any region and account", () => {
    for (const a of [
      byArn(arn("/aws/kinesis-analytics/team-a-orders")),
      byArn(arn("/aws/kinesis-analytics/team-a-orders", "kinesis-analytics-log-stream")),
      byArn("arn:aws:logs:eu-west-1:444455556666:log-group:/aws/kinesis-analytics/team-a-x:log-stream:s"),
      byName("/aws/kinesis-analytics/team-a-orders"),
      byName("/aws/kinesis-analytics/team-a-orders", "app", { region: "eu-west-1" }),
      app(inPlatform),
    ])
      expect(decide(a, applicableRules([], {}, { ...defaults, regions: ["*"] }), region)).toEqual({
        kind: "allowed",
      });
  });

  it.each<[string, TenantApplication, string, string]>([
    [
      "another team's log group, by ARN",
      byArn(arn("/aws/kinesis-analytics/team-b-orders")),
      "spec.logging.logStreamARN",
      `log stream ${arn("/aws/kinesis-analytics/team-b-orders")} is not allowed; allowed: arn:aws:logs:*:*:log-group:/aws/kinesis-analytics/team-a-*:log-stream:*`,
    ],
    [
      "another team's log group, by name (the ARN the controller would build is named)",
      byName("/aws/kinesis-analytics/team-b-orders"),
      "spec.logging",
      `log stream ${arn("/aws/kinesis-analytics/team-b-orders")} is not allowed`,
    ],
    [
      "a log group outside /aws/kinesis-analytics/",
      byName("/team-a-orders"),
      "spec.logging",
      "is not allowed",
    ],
    [
      "the namespace's name without the dash (namespace team-a is not team-ab)",
      byName("/aws/kinesis-analytics/team-ab"),
      "spec.logging",
      "is not allowed",
    ],
    [
      // Against the pattern alone, the stars would cross the colons: the region's star takes
      // us-east-1:1…:log-group:/aws/kinesis-analytics/team-b-x:log-stream, the account's star takes s.
      "an ARN whose stream part names a second log group (the : crossing case)",
      byArn(
        "arn:aws:logs:us-east-1:111122223333:log-group:/aws/kinesis-analytics/team-b-x:log-stream:s:log-group:/aws/kinesis-analytics/team-a-y:log-stream:z",
      ),
      "spec.logging.logStreamARN",
      "(not a log stream ARN) is not allowed",
    ],
  ])("refuses %s", (_what, a, field, message) => {
    const d = underDefaults(a);
    expect(d).toMatchObject({ kind: "refused", violation: { rule: "logStreams", field } });
    if (d.kind !== "refused") return;
    expect(d.message).toContain(
      `operator defaults (no FlinkApplicationPolicy selects this namespace), rule logStreams: ${field}: log stream `,
    );
    expect(d.message).toContain(message);
  });

  it("needs the shape check: the pattern alone would let a * cross : into the stream part", () => {
    const crafted =
      "arn:aws:logs:us-east-1:111122223333:log-group:/aws/kinesis-analytics/team-b-x:log-stream:s:log-group:/aws/kinesis-analytics/team-a-y:log-stream:z";
    expect(
      matchesPattern(crafted, "arn:aws:logs:*:*:log-group:/aws/kinesis-analytics/team-a-*:log-stream:*"),
    ).toBe(true);
    // A well-formed ARN has eight colons and so has the pattern: no star can take one.
    expect(
      matchesPattern(
        arn("/aws/kinesis-analytics/team-b-x", "s"),
        "arn:aws:logs:*:*:log-group:/aws/kinesis-analytics/team-a-*:log-stream:*",
      ),
    ).toBe(false);
  });

  it("is the policy's where it lists log streams, and may pin the account", () => {
    const policy: FlinkApplicationPolicy = {
      ...teamA,
      spec: {
        ...teamA.spec,
        serviceExecutionRoles: ["arn:aws:iam::*:role/team-a-*"],
        logStreams: ["arn:aws:logs:*:111122223333:log-group:/platform/flink:log-stream:{namespace}-*"],
      },
    };
    const under = (a: TenantApplication) =>
      decide(a, applicableRules([policy], { team: "a" }, defaults), region);
    const inTeamA = { code: { s3: { bucket: "team-a-code", key: "x.jar" } } };
    expect(
      under(app({ ...inTeamA, logging: { logGroup: "/platform/flink", logStream: "team-a-orders" } })),
    ).toEqual({ kind: "allowed" });
    for (const a of [
      app({ ...inTeamA, logging: { logGroup: "/platform/flink", logStream: "team-b-orders" } }),
      app({ ...inTeamA, logging: { logGroup: "/aws/kinesis-analytics/team-a-orders", logStream: "s" } }),
      app({
        ...inTeamA,
        serviceExecutionRole: "arn:aws:iam::999999999999:role/team-a-flink",
        logging: { logGroup: "/platform/flink", logStream: "team-a-orders" },
      }),
    ])
      expect(under(a)).toMatchObject({
        violation: { source: "FlinkApplicationPolicy team-a", rule: "logStreams" },
      });
  });
});

describe("a FlinkApplicationPolicy", () => {
  it("allows what it lists", () => {
    expect(underTeamA(app())).toEqual({ kind: "allowed" });
    expect(underTeamA(app({ region: "eu-west-1" }))).toEqual({ kind: "allowed" });
    const artifact = {
      url: "https://repo.example.com/orders.jar",
      sha256: sha,
      bucket: "team-a-code",
      prefix: "artifacts",
    };
    expect(underTeamA(app({ code: { artifact } }))).toEqual({ kind: "allowed" });
  });

  it.each<[string, Partial<FlinkApplicationSpec>, string, string]>([
    [
      "another team's role",
      { serviceExecutionRole: "arn:aws:iam::111122223333:role/team-b-flink" },
      "serviceExecutionRoles",
      "spec.serviceExecutionRole",
    ],
    [
      "a name outside {namespace}-*",
      { applicationName: "team-b-orders" },
      "applicationNames",
      "spec.applicationName",
    ],
    ["a region it does not list", { region: "ap-south-1" }, "regions", "spec.region"],
    [
      "deletionPolicy Delete",
      { deletionPolicy: "Delete" },
      "allowDeletionPolicyDelete",
      "spec.deletionPolicy",
    ],
    [
      "an upload outside its prefix",
      {
        code: {
          artifact: {
            url: "https://repo.example.com/a.jar",
            sha256: sha,
            bucket: "team-a-code",
            prefix: "other",
          },
        },
      },
      "artifactUploads",
      "spec.code.artifact.bucket",
    ],
    [
      "a Maven repository host it does not list",
      {
        code: {
          artifact: {
            maven: { repository: "https://evil.example.net/m2", groupId: "g", artifactId: "a", version: "1" },
            sha256: sha,
            bucket: "team-a-code",
            prefix: "artifacts",
          },
        },
      },
      "artifactHosts",
      "spec.code.artifact.maven.repository",
    ],
  ])("refuses %s, naming the policy, rule and field", (_what, spec, rule, field) => {
    const d = underTeamA(app(spec));
    expect(d).toMatchObject({
      kind: "refused",
      violation: { source: "FlinkApplicationPolicy team-a", rule, field },
    });
  });

  it("refuses a key that leaves its prefix through a dot segment", () => {
    for (const key of ["jobs/../secret.jar", "../x.jar", "jobs/./x.jar"]) {
      expect(underTeamA(app({ code: { s3: { bucket: "team-a-code", key } } }))).toMatchObject({
        violation: { rule: "codeSources" },
      });
    }
    const artifact = {
      url: "https://repo.example.com/a.jar",
      sha256: sha,
      bucket: "team-a-code",
      prefix: "artifacts/../other",
    };
    expect(underTeamA(app({ code: { artifact } }))).toMatchObject({ violation: { rule: "artifactUploads" } });
  });

  it('treats only adopt: "true" as asking for adoption, as the reconciler does', () => {
    expect(underTeamA(app({}, { annotations: { "managedflink.dev/adopt": "false" } }))).toEqual({
      kind: "allowed",
    });
  });

  it("names the metadata.name when no applicationName is set", () => {
    expect(underTeamA(app({}, { name: "orders" }))).toMatchObject({
      violation: { rule: "applicationNames", field: "metadata.name" },
    });
  });

  it("never shows a URL's user:password in the message", () => {
    const url = "https://user:hunter2@evil.example.net/a.jar?X-Amz-Signature=s";
    const d = underTeamA(
      app({ code: { artifact: { url, sha256: sha, bucket: "team-a-code", prefix: "artifacts" } } }),
    );
    expect(d.kind).toBe("refused");
    expect(JSON.stringify(d)).not.toMatch(/hunter2|X-Amz-Signature/);
  });

  it("all selecting policies must hold, and must agree on the role to assume", () => {
    const narrower: FlinkApplicationPolicy = {
      ...teamA,
      metadata: { name: "z-prod" },
      // Rules it leaves out are the defaults', not team-a's: each policy must hold on its own.
      spec: {
        namespaceSelector: { matchLabels: { env: "prod" } },
        regions: ["eu-west-1"],
        codeSources: [{ bucket: "team-a-code" }],
      },
    };
    const rules = applicableRules([teamA, narrower], { team: "a", env: "prod" }, defaults);
    expect(decide(app(), rules, region)).toMatchObject({
      violation: { source: "FlinkApplicationPolicy z-prod", rule: "regions" },
    });
    expect(decide(app({ region: "eu-west-1" }), rules, region)).toEqual({ kind: "allowed" });

    const roleA = {
      ...teamA,
      spec: { ...teamA.spec, assumeRoleARN: "arn:aws:iam::111122223333:role/tenant-a" },
    };
    expect(decide(app(), applicableRules([roleA], { team: "a" }, defaults), region)).toEqual({
      kind: "allowed",
      assumeRoleARN: "arn:aws:iam::111122223333:role/tenant-a",
    });
    const roleB = {
      ...narrower,
      spec: {
        ...narrower.spec,
        regions: ["us-east-1"],
        assumeRoleARN: "arn:aws:iam::444455556666:role/tenant-a",
      },
    };
    expect(
      decide(app(), applicableRules([roleA, roleB], { team: "a", env: "prod" }, defaults), region),
    ).toMatchObject({
      kind: "refused",
      violation: { rule: "assumeRoleARN" },
    });
  });
});

describe("DEFAULT_POLICY", () => {
  it("is the safe defaults when unset: the operator's region, no S3 location, no adoption", () => {
    expect(defaultsFromEnv(region, {})).toEqual(safeDefaults(region));
    expect(safeDefaults(region)).toMatchObject({
      applicationNames: ["{namespace}-*"],
      serviceExecutionRoles: ["arn:aws:iam::*:role/{namespace}-*", "arn:aws:iam::*:role/*/{namespace}-*"],
      encryptionKeys: ["arn:aws:kms:*:*:alias/{namespace}-*", "alias/{namespace}-*"],
      logStreams: ["arn:aws:logs:*:*:log-group:/aws/kinesis-analytics/{namespace}-*:log-stream:*"],
      regions: [region],
      codeSources: [],
      artifactUploads: [],
      allowAdoption: false,
    });
  });

  it("reads code sources from the upload bucket unless it lists its own", () => {
    const d = defaultsFromEnv(region, {
      DEFAULT_POLICY: JSON.stringify({ artifactUploads: [{ bucket: "platform-artifacts" }] }),
    });
    expect(d.codeSources).toEqual([{ bucket: "platform-artifacts" }]);
  });

  it.each([
    ["not json", /DEFAULT_POLICY is not JSON/],
    ['{"region": ["x"]}', /DEFAULT_POLICY.region is not a rule/],
    ['{"regions": "us-east-1"}', /DEFAULT_POLICY.regions: AWS regions allowed/],
    [
      '{"serviceExecutionRoles": ["a\\\\Eb*"]}',
      /DEFAULT_POLICY.serviceExecutionRoles: a pattern may not hold a backslash/,
    ],
    ['{"encryptionKeys": "alias/x"}', /DEFAULT_POLICY.encryptionKeys: KMS keys allowed/],
    ['{"logStreams": ["arn:*\\\\E"]}', /DEFAULT_POLICY.logStreams: a pattern may not hold a backslash/],
    ['{"allowAdoption": "yes"}', /DEFAULT_POLICY.allowAdoption/],
    ['{"assumeRoleARN": "role/x"}', /DEFAULT_POLICY.assumeRoleARN/],
    ['{"codeSources": [{"host": "x"}]}', /DEFAULT_POLICY.codeSources/],
    ['{"artifactHosts": [{"host": "x", "port": 0}]}', /DEFAULT_POLICY.artifactHosts/],
  ])("refuses %s, naming the member", (raw, message) => {
    expect(() => defaultsFromEnv(region, { DEFAULT_POLICY: raw })).toThrow(message);
  });
});

describe("examples/tenancy/team-a-policy.yaml", () => {
  it("is a valid policy that admits a conforming application and refuses another team's role", () => {
    const doc = parse(
      readFileSync(join(repoRoot, "examples/tenancy/team-a-policy.yaml"), "utf8"),
    ) as FlinkApplicationPolicy;
    const { namespaceSelector: _s, ...rules } = doc.spec;
    expect(() => validateRules(rules, "example")).not.toThrow();
    const applicable = applicableRules([doc], { "managedflink.dev/policy": "team-a" }, defaults);
    const ok = app({
      region: "eu-west-1",
      serviceExecutionRole: "arn:aws:iam::111122223333:role/flink/team-a-orders",
      code: { s3: { bucket: "team-a-flink", key: "jobs/orders.jar" } },
    });
    expect(decide(ok, applicable, region)).toEqual({ kind: "allowed" });
    const other = {
      ...ok,
      spec: { ...ok.spec, serviceExecutionRole: "arn:aws:iam::111122223333:role/flink/team-b-x" },
    };
    expect(decide(other, applicable, region)).toMatchObject({ violation: { rule: "serviceExecutionRoles" } });
  });
});
