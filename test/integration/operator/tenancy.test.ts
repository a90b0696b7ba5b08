// Issue 13, as a tenant would try it: a user who may only edit FlinkApplications in its own namespace
// (RBAC + impersonation, `kubectl --as`) attempts every attack of the issue, first under the operator-wide
// defaults (no FlinkApplicationPolicy selects the namespace), then under a policy that allows a narrower
// set. Each attempt is refused with a message naming the rule and the field, and nothing is called in AWS
// for it nor written to S3; what the policy allows succeeds, and with an assumed role the operator's calls
// for that namespace are signed with the role's credentials.

import { join } from "node:path";
import { CreateApplicationCommand, DescribeApplicationCommand } from "@aws-sdk/client-kinesis-analytics-v2";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { vetAddress } from "../../../src/artifacts/policy.js";
import { accessKeyForRole } from "../../../src/emulator/sts.js";
import { repoRoot } from "../../../src/localstack/binaries.js";
import { waitFor } from "../../../src/localstack/processes.js";
import { safeDefaults } from "../../../src/policy/index.js";
import { SourceServer, sha256Of } from "../artifacts/source-server.js";
import { condition, Harness, isReady } from "./harness.js";

const h = new Harness();
const aws = h.awsClient();
const tenant = `tenant-${h.namespace}`;
const ns = h.namespace;
const account = "123456789012";
const platformBucket = `platform-${ns}`;
const teamA = `team-a-${ns}`;
const teamB = `team-b-${ns}`;
const policyName = `tenancy-${ns}`;
const tenantRole = `arn:aws:iam::${account}:role/tenant-a-operator`;
/** The namespace's own execution role, as the defaults want it named ({namespace}-*). */
const ownRole = `arn:aws:iam::${account}:role/${ns}-flink`;
const cmk = (keyId: string) => ({ encryption: { keyType: "CUSTOMER_MANAGED_KEY", keyId } });
/** spec.logging by name: the controller builds the ARN from the region and the role's account. */
const logTo = (group: string) => ({ logging: { logGroup: group, logStream: "app" } });
const logStreamArn = (group: string) =>
  `arn:aws:logs:${h.stack.region}:${account}:log-group:${group}:log-stream:app`;
/** Another team's log group, as the console names it: /aws/kinesis-analytics/<application name>. */
const teamBLogs = "/aws/kinesis-analytics/team-b-orders";
let source: SourceServer;
const jar = Buffer.from("PK\u0003\u0004 tenant job");

const spec = (extra: Record<string, unknown> = {}) => ({
  runtimeEnvironment: "FLINK-1_20",
  serviceExecutionRole: ownRole,
  code: { s3: { bucket: platformBucket, key: "jobs/app.jar" } },
  ...extra,
});

async function asTenant(args: string[], stdin?: string) {
  return h.kubectl([...args, "--as", tenant], stdin);
}

async function applyAsTenant(
  name: string,
  s: Record<string, unknown>,
  metadata: Record<string, unknown> = {},
) {
  const r = await asTenant(["apply", "-f", "-"], JSON.stringify(h.app(name, s, metadata)));
  if (r.code !== 0) throw new Error(`tenant could not apply ${name}: ${r.stderr}`);
}

/** Waits for Stalled PolicyViolation and returns its message. */
async function refused(name: string): Promise<string> {
  const o = await h.waitForApp(
    name,
    (x) => condition(x, "Stalled")?.reason === "PolicyViolation",
    "PolicyViolation",
  );
  expect(condition(o, "Stalled")?.status).toBe("True");
  return condition(o, "Stalled")!.message!;
}

async function keys(bucket: string): Promise<string[]> {
  const out = await h.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (out.Contents ?? []).map((o) => o.Key!).sort();
}

async function describeApp(name: string) {
  return aws.send(new DescribeApplicationCommand({ ApplicationName: name })).then((o) => o.ApplicationDetail);
}

async function events(name: string): Promise<string> {
  return h.kubectlOk([
    "get",
    "events",
    "-n",
    ns,
    "--field-selector",
    `involvedObject.name=${name}`,
    "-o",
    "json",
  ]);
}

let s3Before: Record<string, string[]>;

beforeAll(async () => {
  await h.setUp();
  // The controller's own enforcement is shown first, with no admission policy in the cluster, as a
  // cluster may run without it; the admission policy's own tests install it below.
  await h.kubectl(["delete", "-f", join(repoRoot, "manifests/tenancy-admission.yaml"), "--ignore-not-found"]);
  await h.kubectlOk(["wait", "--for=condition=Established", "crd/flinkapplicationpolicies.managedflink.dev"]);
  // The tenant: may edit FlinkApplications in its namespace, nothing else.
  await h.kubectlOk(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "v1",
      kind: "List",
      items: [
        {
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "Role",
          metadata: { name: "flinkapplication-editor", namespace: ns },
          rules: [
            {
              apiGroups: ["managedflink.dev"],
              resources: ["flinkapplications"],
              verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
            },
          ],
        },
        {
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "RoleBinding",
          metadata: { name: "flinkapplication-editor", namespace: ns },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "flinkapplication-editor" },
          subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: tenant }],
        },
      ],
    }),
  );
  await h.putCode(platformBucket, "jobs/app.jar");
  await h.putCode(teamA, "jobs/app.jar");
  await h.putCode(teamB, "secret/model.jar", "team b's secret");
  s3Before = { [platformBucket]: await keys(platformBucket), [teamB]: await keys(teamB) };
  source = await SourceServer.start();
  source.routes.set("/tenant.jar", { body: jar });
  // STS is the emulator too: the operator assumes tenant roles there (AWS_ENDPOINT_URL_STS).
  process.env.AWS_ENDPOINT_URL_STS = h.stack.emulatorEndpoint;
  await h.startOperator({
    artifactPolicy: { allowedHosts: [`127.0.0.1:${source.port}`], allowedCidrs: [] },
    // What a platform configures: its upload bucket, and its internal repository next to public https.
    tenancyDefaults: {
      ...safeDefaults(h.stack.region),
      artifactUploads: [{ bucket: platformBucket }],
      codeSources: [{ bucket: platformBucket }],
      artifactHosts: [
        { host: "*", port: 443 },
        { host: "127.0.0.1", port: source.port },
      ],
    },
  });
});

afterAll(async () => {
  await h.tearDown();
  await source?.stop();
  await h.kubectl(["delete", "flinkapplicationpolicy", policyName, "--ignore-not-found"]);
});

describe("the tenant's own permissions", () => {
  it("may edit FlinkApplications in its namespace, and neither policies nor namespace labels", async () => {
    const can = async (...a: string[]) =>
      (await h.kubectl(["auth", "can-i", ...a, "--as", tenant])).stdout.trim();
    expect(await can("create", "flinkapplications", "-n", ns)).toBe("yes");
    expect(await can("create", "flinkapplications", "-n", "default")).toBe("no");
    expect(await can("create", "flinkapplicationpolicies")).toBe("no");
    expect(await can("patch", `namespace/${ns}`)).toBe("no");
  });
});

describe("the FlinkApplicationPolicy CRD", () => {
  it("accepts the example policy and refuses a pattern with a backslash, naming the field", async () => {
    await h.kubectlOk([
      "apply",
      "--dry-run=server",
      "-f",
      join(repoRoot, "examples/tenancy/team-a-policy.yaml"),
    ]);
    const bad = {
      apiVersion: "managedflink.dev/v1alpha1",
      kind: "FlinkApplicationPolicy",
      metadata: { name: `bad-${ns}` },
      spec: { namespaceSelector: {}, serviceExecutionRoles: ["arn:*:role/\\E*"] },
    };
    const r = await h.kubectl(["apply", "--dry-run=server", "-f", "-"], JSON.stringify(bad));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("spec.serviceExecutionRoles");
    expect(r.stderr).toContain("a pattern may not hold a backslash");
  });
});

describe("no policy selects the namespace: the operator-wide defaults", () => {
  it("refuses taking over an untagged application with adopt + deletionPolicy Delete, and deleting it", async () => {
    const victim = `${ns}-victim`;
    await aws.send(
      new CreateApplicationCommand({
        ApplicationName: victim,
        RuntimeEnvironment: "FLINK-1_20",
        ServiceExecutionRole: `arn:aws:iam::${account}:role/other`,
      }),
    );
    const before = (await h.callsFor(victim)).length;
    await applyAsTenant("takeover", spec({ applicationName: victim, deletionPolicy: "Delete" }), {
      annotations: { "managedflink.dev/adopt": "true" },
    });
    const message = await refused("takeover");
    expect(message).toContain("operator defaults");
    expect(message).toContain("rule allowAdoption: metadata.annotations[managedflink.dev/adopt]");
    expect((await asTenant(["delete", "flinkapp", "takeover", "-n", ns, "--wait=true"])).code).toBe(0);
    await waitFor(async () => (await h.get("takeover")) === undefined, {
      timeoutMs: 15_000,
      description: "deleted",
    });
    // Not a single call for the victim, not even a read; it is still there.
    expect((await h.callsFor(victim)).slice(before)).toEqual([]);
    expect((await describeApp(victim))?.ApplicationName).toBe(victim);
  });

  it.each([
    ["another region", "region", spec({ region: "eu-central-1" }), "rule regions: spec.region"],
    [
      "code.s3 of another team (probing whether a key exists)",
      "probe",
      spec({ code: { s3: { bucket: teamB, key: "secret/model.jar" } } }),
      "rule codeSources: spec.code.s3",
    ],
    [
      "the same probe for a key that does not exist, refused identically",
      "probe-missing",
      spec({ code: { s3: { bucket: teamB, key: "secret/nothing.jar" } } }),
      "rule codeSources: spec.code.s3",
    ],
    [
      "an s3:// artifact copying another team's object (with a wrong digest)",
      "copy",
      spec({
        code: {
          artifact: { url: `s3://${teamB}/secret/model.jar`, sha256: "0".repeat(64), bucket: platformBucket },
        },
      }),
      "rule codeSources: spec.code.artifact.url",
    ],
    [
      "an upload into another team's bucket",
      "write",
      spec({
        code: {
          artifact: { url: "https://repo.example.com/tenant.jar", sha256: sha256Of(jar), bucket: teamB },
        },
      }),
      "rule artifactUploads: spec.code.artifact.bucket",
    ],
    [
      "an allowlisted host on another port (the emulator's admin API)",
      "port",
      spec({
        code: {
          artifact: {
            url: `${h.stack.emulatorEndpoint.replace("localhost", "127.0.0.1")}/_emulator/calls`,
            sha256: "0".repeat(64),
            bucket: platformBucket,
          },
        },
      }),
      "rule artifactHosts: spec.code.artifact.url",
    ],
    [
      "another team's execution role",
      "role",
      spec({ serviceExecutionRole: `arn:aws:iam::${account}:role/team-b-flink` }),
      `rule serviceExecutionRoles: spec.serviceExecutionRole: role arn:aws:iam::${account}:role/team-b-flink is not allowed; allowed: arn:aws:iam::*:role/${ns}-*`,
    ],
    [
      "another team's KMS key alias",
      "kms-alias",
      spec(cmk(`arn:aws:kms:${h.stack.region}:${account}:alias/team-b-state`)),
      `rule encryptionKeys: spec.encryption.keyId: KMS key arn:aws:kms:${h.stack.region}:${account}:alias/team-b-state is not allowed`,
    ],
    [
      "a KMS key ARN (whose key it is, nothing in it says)",
      "kms-arn",
      spec(cmk(`arn:aws:kms:${h.stack.region}:${account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`)),
      "rule encryptionKeys: spec.encryption.keyId",
    ],
    [
      "writing into another team's log group (by group and stream name)",
      "logs",
      spec(logTo(teamBLogs)),
      `rule logStreams: spec.logging: log stream ${logStreamArn(teamBLogs)} is not allowed; allowed: arn:aws:logs:*:*:log-group:/aws/kinesis-analytics/${ns}-*:log-stream:*`,
    ],
    [
      "writing into another team's log group (by ARN)",
      "logs-arn",
      spec({ logging: { logStreamARN: logStreamArn(teamBLogs) } }),
      `rule logStreams: spec.logging.logStreamARN: log stream ${logStreamArn(teamBLogs)} is not allowed`,
    ],
  ])("refuses %s", async (_what, suffix, s, expected) => {
    const name = `${ns}-${suffix}`;
    await applyAsTenant(name, s);
    const message = await refused(name);
    expect(message).toContain("operator defaults (no FlinkApplicationPolicy selects this namespace)");
    expect(message).toContain(expected);
    expect(await h.callsFor(name)).toEqual([]);
    // One Warning event carries the same message; nothing reveals a digest or size of team b's object.
    expect(await events(name)).toContain("PolicyViolation");
    expect(JSON.stringify(await h.get(name))).not.toMatch(/team b's secret|bytes/);
  });

  it("refuses squatting an application name another namespace needs, by either name field", async () => {
    const squatted = `payments-${ns.slice(2)}`;
    await applyAsTenant("squat-defaults", spec({ applicationName: squatted }));
    expect(await refused("squat-defaults")).toContain(
      `operator defaults (no FlinkApplicationPolicy selects this namespace), rule applicationNames: spec.applicationName: application name ${squatted} is not allowed; allowed: ${ns}-*`,
    );
    await applyAsTenant(squatted, spec());
    expect(await refused(squatted)).toContain("rule applicationNames: metadata.name");
    expect(await h.callsFor(squatted)).toEqual([]);
  });

  it("refuses the 6to4 form of 127.0.0.1: the CRD refuses the literal, the SSRF guard the address", async () => {
    // As a literal, the FlinkApplication schema already refuses it (no IPv6 literals in artifact URLs).
    const name = `${ns}-sixtofour`;
    const url = "https://[2002:7f00:1::]/x.jar";
    const r = await asTenant(
      ["apply", "-f", "-"],
      JSON.stringify(
        h.app(name, spec({ code: { artifact: { url, sha256: "0".repeat(64), bucket: platformBucket } } })),
      ),
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("spec.code.artifact.url");
    expect(await h.callsFor(name)).toEqual([]);
    // A host name whose AAAA record is that address meets the SSRF guard, which classifies it with
    // ipaddr.js (test/unit/artifacts/ip-ranges.test.ts has the whole table).
    expect(vetAddress("2002:7f00:1::", { allowedHosts: [], allowedCidrs: [] })).toEqual({
      allowed: false,
      why: expect.stringContaining("6to4"),
    });
  });

  it("keeps user:password@ out of status, Events and messages", async () => {
    const name = `${ns}-creds`;
    const url = source.url("/tenant.jar").replace("http://", "http://deploy:hunter2@");
    await applyAsTenant(
      name,
      spec({ code: { artifact: { url, sha256: sha256Of(jar), bucket: platformBucket } } }),
    );
    const o = await h.waitForApp(name, (x) => isReady(x), "Ready");
    expect(o.status?.artifact?.source).toBe(source.url("/tenant.jar"));
    expect(JSON.stringify(o.status)).not.toContain("hunter2");
    expect(await events(name)).not.toContain("hunter2");
  });

  it("succeeds with what the defaults allow, and left the other team's bucket as it was", async () => {
    // The namespace's own name, role, KMS key alias and log group: {namespace}-*.
    const name = `${ns}-allowed`;
    const key = `arn:aws:kms:${h.stack.region}:${account}:alias/${ns}-state`;
    const ownLogs = `/aws/kinesis-analytics/${name}`;
    await applyAsTenant(name, spec({ ...cmk(key), ...logTo(ownLogs) }));
    await h.waitForApp(name, (o) => isReady(o) && o.status?.applicationStatus === "RUNNING", "running");
    const described = await describeApp(name);
    expect(described?.ApplicationConfigurationDescription).toMatchObject({
      ApplicationEncryptionConfigurationDescription: { KeyType: "CUSTOMER_MANAGED_KEY", KeyId: key },
    });
    expect(described?.CloudWatchLoggingOptionDescriptions?.map((o) => o.LogStreamARN)).toEqual([
      logStreamArn(ownLogs),
    ]);
    expect(await keys(teamB)).toEqual(s3Before[teamB]);
    // Only the credentialed upload of the test above added an object to the platform bucket.
    expect((await keys(platformBucket)).filter((k) => !s3Before[platformBucket]!.includes(k))).toEqual([
      `flink-applications/${sha256Of(jar)}.jar`,
    ]);
  });
});

describe("a FlinkApplicationPolicy selects the namespace", () => {
  beforeAll(async () => {
    // managedflink.dev/policy: the policy allows more than the defaults (team a's roles), so the
    // admission policy for the defaults must leave this namespace to it (chart defaultsNamespaceSelector).
    await h.kubectlOk(["label", "namespace", ns, `tenancy-test=${ns}`, "managedflink.dev/policy=team-a"]);
    await h.kubectlOk(
      ["apply", "-f", "-"],
      JSON.stringify({
        apiVersion: "managedflink.dev/v1alpha1",
        kind: "FlinkApplicationPolicy",
        metadata: { name: policyName },
        spec: {
          namespaceSelector: { matchLabels: { "tenancy-test": ns } },
          // Wider than the defaults: team a's shared roles too.
          serviceExecutionRoles: [
            `arn:aws:iam::${account}:role/team-a-*`,
            `arn:aws:iam::*:role/{namespace}-*`,
          ],
          regions: [h.stack.region],
          applicationNames: ["{namespace}-*"],
          codeSources: [{ bucket: teamA, keyPrefix: "jobs/" }],
          artifactUploads: [{ bucket: teamA, keyPrefix: "artifacts/" }],
          allowAdoption: false,
          allowDeletionPolicyDelete: false,
        },
      }),
    );
  });

  it.each([
    [
      "another team's execution role",
      "role",
      spec({
        serviceExecutionRole: `arn:aws:iam::${account}:role/team-b-flink`,
        code: { s3: { bucket: teamA, key: "jobs/app.jar" } },
      }),
      "rule serviceExecutionRoles: spec.serviceExecutionRole",
    ],
    ["the platform bucket the defaults allowed", "platform", spec(), "rule codeSources: spec.code.s3"],
    [
      "deletionPolicy Delete",
      "delete",
      spec({ deletionPolicy: "Delete", code: { s3: { bucket: teamA, key: "jobs/app.jar" } } }),
      "rule allowDeletionPolicyDelete: spec.deletionPolicy",
    ],
  ])("refuses %s", async (_what, suffix, s, expected) => {
    const name = `${ns}-p-${suffix}`;
    await applyAsTenant(name, s);
    const message = await refused(name);
    expect(message).toContain(`FlinkApplicationPolicy ${policyName}, ${expected}`);
    expect(await h.callsFor(name)).toEqual([]);
  });

  it("refuses squatting an application name outside {namespace}-*", async () => {
    const squatted = `payments-${ns.slice(2)}`;
    await applyAsTenant(
      "squat",
      spec({ applicationName: squatted, code: { s3: { bucket: teamA, key: "jobs/app.jar" } } }),
    );
    expect(await refused("squat")).toContain(
      `rule applicationNames: spec.applicationName: application name ${squatted}`,
    );
    expect(await h.callsFor(squatted)).toEqual([]);
  });

  it("clears a refusal when the tenant fixes the spec", async () => {
    const name = `${ns}-p-role`;
    await h.mergePatch(name, { spec: { serviceExecutionRole: `arn:aws:iam::${account}:role/team-a-flink` } });
    await h.waitForApp(name, (o) => isReady(o), "Ready");
  });

  it("runs what the policy allows, and a role to assume signs every call for the namespace", async () => {
    await h.kubectlOk([
      "patch",
      "flinkapplicationpolicy",
      policyName,
      "--type=merge",
      "-p",
      JSON.stringify({ spec: { assumeRoleARN: tenantRole } }),
    ]);
    const name = `${ns}-p-assumed`;
    await applyAsTenant(name, spec({ code: { s3: { bucket: teamA, key: "jobs/app.jar" } } }));
    await h.waitForApp(name, (o) => isReady(o) && o.status?.applicationStatus === "RUNNING", "running");
    const calls = await h.callsFor(name);
    expect(calls.length).toBeGreaterThan(0);
    expect(new Set(calls.map((c) => c.accessKeyId))).toEqual(new Set([accessKeyForRole(tenantRole)]));
    // The operator assumed the role with its own credentials.
    const all = await h.emulator<{ operation: string; input: { RoleArn?: string }; accessKeyId?: string }[]>(
      "GET",
      "/calls",
    );
    const assumed = all.filter((c) => c.operation === "sts:AssumeRole" && c.input.RoleArn === tenantRole);
    // Once: the session is cached and shared by every client of the role until shortly before it expires.
    expect(assumed).toHaveLength(1);
    expect(assumed[0]!.accessKeyId).toBe("local");
    // Applications of namespaces without the role still use the operator's own key.
    const own = (await h.callsFor(`${ns}-allowed`)).filter((c) => c.operation === "CreateApplication");
    expect(own.map((c) => c.accessKeyId)).toEqual(["local"]);
  });
});

describe("the ValidatingAdmissionPolicy shipped in the chart refuses the same at admission", () => {
  const manifest = join(repoRoot, "manifests/tenancy-admission.yaml");
  beforeAll(async () => {
    await h.kubectlOk(["apply", "-f", manifest]);
  });
  afterAll(async () => {
    await h.kubectl(["delete", "-f", manifest, "--ignore-not-found"]);
  });

  /** A server-side dry run as the tenant: admission runs, nothing is stored. */
  const dryRun = (name: string, s: Record<string, unknown>, metadata: Record<string, unknown> = {}) =>
    asTenant(["apply", "--dry-run=server", "-f", "-"], JSON.stringify(h.app(name, s, metadata)));
  const inTeamA = { s3: { bucket: teamA, key: "jobs/app.jar" } };

  it.each([
    [
      "another team's role",
      spec({ serviceExecutionRole: `arn:aws:iam::${account}:role/team-b-flink`, code: inTeamA }),
      {},
      "rule serviceExecutionRoles: spec.serviceExecutionRole",
    ],
    [
      "another team's code",
      spec({ code: { s3: { bucket: teamB, key: "secret/model.jar" } } }),
      {},
      "rule codeSources: spec.code.s3",
    ],
    [
      "an s3:// copy of another team's object",
      spec({
        code: {
          artifact: {
            url: `s3://${teamB}/secret/model.jar`,
            sha256: "0".repeat(64),
            bucket: teamA,
            prefix: "artifacts",
          },
        },
      }),
      {},
      "rule codeSources: spec.code.artifact.url",
    ],
    [
      "an upload into another team's bucket",
      spec({
        code: { artifact: { url: `s3://${teamA}/jobs/app.jar`, sha256: "0".repeat(64), bucket: teamB } },
      }),
      {},
      "rule artifactUploads: spec.code.artifact.bucket",
    ],
    [
      "a key that leaves its prefix through ..",
      spec({ code: { s3: { bucket: teamA, key: "jobs/../secret/model.jar" } } }),
      {},
      "rule codeSources: spec.code.s3",
    ],
    ["a squatted name", spec({ applicationName: "payments", code: inTeamA }), {}, "rule applicationNames"],
    [
      "another team's KMS key (the policy leaves the rule to the defaults)",
      spec({ ...cmk("alias/team-b-state"), code: inTeamA }),
      {},
      "rule encryptionKeys: spec.encryption.keyId: KMS key alias/team-b-state is not allowed",
    ],
    [
      "another team's log stream (the policy leaves the rule to the defaults)",
      spec({ logging: { logStreamARN: logStreamArn(teamBLogs) }, code: inTeamA }),
      {},
      `rule logStreams: spec.logging.logStreamARN: log stream ${logStreamArn(teamBLogs)} is not allowed`,
    ],
    [
      "deletionPolicy Delete",
      spec({ deletionPolicy: "Delete", code: inTeamA }),
      {},
      "rule allowDeletionPolicyDelete: spec.deletionPolicy",
    ],
    [
      "adoption",
      spec({ code: inTeamA }),
      { annotations: { "managedflink.dev/adopt": "true" } },
      "rule allowAdoption",
    ],
  ])("refuses %s", async (_what, s, metadata, expected) => {
    // The API server picks up a new policy and binding asynchronously; wait until it refuses.
    const r = await waitFor(
      async () => {
        const out = await dryRun(`${ns}-adm`, s, metadata);
        return out.code !== 0 ? out : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 200, description: "admission refuses" },
    );
    expect(r.stderr).toContain(`FlinkApplicationPolicy ${policyName}, ${expected}`);
  });

  it("admits what the policy allows", async () => {
    const r = await dryRun(`${ns}-adm`, spec({ code: inTeamA }));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  describe("with no policy selecting the namespace: the operator-wide defaults", () => {
    beforeAll(async () => {
      await h.kubectlOk(["label", "namespace", ns, "tenancy-test-", "managedflink.dev/policy-"]);
    });

    it.each([
      [
        "another team's role",
        spec({ serviceExecutionRole: `arn:aws:iam::${account}:role/team-b-flink` }),
        `rule serviceExecutionRoles: spec.serviceExecutionRole: role arn:aws:iam::${account}:role/team-b-flink is not allowed; allowed: arn:aws:iam::*:role/${ns}-*`,
      ],
      [
        "a squatted name",
        spec({ applicationName: "payments" }),
        `rule applicationNames: spec.applicationName (else metadata.name): application name payments is not allowed; allowed: ${ns}-*`,
      ],
      [
        "another team's KMS key",
        spec(cmk(`arn:aws:kms:${h.stack.region}:${account}:alias/team-b-state`)),
        "rule encryptionKeys: spec.encryption.keyId: KMS key",
      ],
      [
        "another team's log group, by name",
        spec(logTo(teamBLogs)),
        `rule logStreams: spec.logging: log group ${teamBLogs} stream app is not allowed; allowed: arn:aws:logs:*:*:log-group:/aws/kinesis-analytics/${ns}-*:log-stream:*`,
      ],
      [
        "another team's log group, by ARN",
        spec({ logging: { logStreamARN: logStreamArn(teamBLogs) } }),
        `rule logStreams: spec.logging.logStreamARN: log stream ${logStreamArn(teamBLogs)} is not allowed`,
      ],
    ])("refuses %s", async (_what, s, expected) => {
      const r = await waitFor(
        async () => {
          const out = await dryRun(`${ns}-adm`, s);
          return out.code !== 0 ? out : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 200, description: "admission refuses" },
      );
      expect(r.stderr).toContain(`operator defaults, ${expected}`);
    });

    it("admits the namespace's own name, role, key and log group", async () => {
      for (const logging of [
        logTo(`/aws/kinesis-analytics/${ns}-adm`),
        { logging: { logStreamARN: logStreamArn(`/aws/kinesis-analytics/${ns}-adm`) } },
      ]) {
        const r = await dryRun(
          `${ns}-adm`,
          spec({ ...cmk(`arn:aws:kms:${h.stack.region}:${account}:alias/${ns}-state`), ...logging }),
        );
        expect(r.stderr).toBe("");
        expect(r.code).toBe(0);
      }
    });
  });
});
