// Invalid manifests are refused by the API server itself (structural schema + CEL), with messages
// that name the field. Server-side dry run: nothing is stored.
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../../src/localstack/binaries.js";
import { Harness } from "./harness.js";

const h = new Harness();
beforeAll(() => h.setUp());

const valid = {
  runtimeEnvironment: "FLINK-1_20",
  serviceExecutionRole: "arn:aws:iam::123456789012:role/flink",
  code: { s3: { bucket: "flink-apps", key: "app.jar" } },
};

async function dryRun(obj: unknown) {
  return h.kubectl(["apply", "--dry-run=server", "-f", "-"], JSON.stringify(obj));
}

describe("admission", () => {
  it("accepts a valid manifest and fills defaults", async () => {
    const r = await h.kubectl(
      ["apply", "--dry-run=server", "-o", "json", "-f", "-"],
      JSON.stringify(h.app("ok", valid)),
    );
    expect(r.code, r.stderr).toBe(0);
    const spec = JSON.parse(r.stdout).spec;
    expect(spec).toMatchObject({
      desiredState: "Running",
      deletionPolicy: "Retain",
      allowNonRestoredState: false,
    });
  });

  it.each(readdirSync(join(repoRoot, "examples")).filter((f) => f.endsWith(".yaml")))(
    "accepts examples/%s",
    async (file) => {
      const doc = readFileSync(join(repoRoot, "examples", file), "utf8").replace(
        /namespace: (default|engagement)/g,
        `namespace: ${h.namespace}`,
      );
      const r = await h.kubectl(["apply", "--dry-run=server", "-f", "-"], doc);
      expect(r.code, r.stderr).toBe(0);
    },
  );

  const cases: [string, Record<string, unknown>, Record<string, unknown>, RegExp][] = [
    [
      "an unknown runtime",
      { ...valid, runtimeEnvironment: "FLINK-9_9" },
      {},
      /spec\.runtimeEnvironment.*supported values/s,
    ],
    [
      "a role that is not an ARN",
      { ...valid, serviceExecutionRole: "my-role" },
      {},
      /spec\.serviceExecutionRole.*should match '\^arn:/,
    ],
    [
      "both code sources",
      {
        ...valid,
        code: {
          s3: valid.code.s3,
          artifact: { sha256: "a".repeat(64), bucket: "b12", url: "https://x/y.jar" },
        },
      },
      {},
      /exactly one of code\.s3 or code\.artifact/,
    ],
    ["no code source", { ...valid, code: {} }, {}, /exactly one of code\.s3 or code\.artifact/],
    [
      "a bad sha256",
      { ...valid, code: { artifact: { sha256: "xyz", bucket: "bkt", url: "https://h/a.jar" } } },
      {},
      /spec\.code\.artifact\.sha256/,
    ],
    [
      "an ftp artifact URL",
      { ...valid, code: { artifact: { sha256: "a".repeat(64), bucket: "bkt", url: "ftp://h/a.jar" } } },
      {},
      /spec\.code\.artifact\.url/,
    ],
    [
      "parallelism 0",
      { ...valid, parallelism: { parallelism: 0 } },
      {},
      /spec\.parallelism\.parallelism.*greater than or equal to 1/,
    ],
    [
      "parallelismPerKPU above parallelism",
      { ...valid, parallelism: { parallelism: 2, parallelismPerKPU: 4 } },
      {},
      /parallelismPerKPU must not exceed/,
    ],
    [
      "a desiredState outside Running/Stopped",
      { ...valid, desiredState: "Paused" },
      {},
      /spec\.desiredState.*supported values: "Running", "Stopped"/,
    ],
    [
      "a restore snapshot without a name",
      { ...valid, restore: { type: "Snapshot" } },
      {},
      /restore\.snapshotName is required when restore\.type is Snapshot/,
    ],
    [
      "a 257-character snapshot name",
      { ...valid, restore: { type: "Snapshot", snapshotName: "s".repeat(257) } },
      {},
      /spec\.restore\.snapshotName.*256/,
    ],
    [
      "an invalid applicationName",
      { ...valid, applicationName: "has space" },
      {},
      /spec\.applicationName.*should match/,
    ],
    [
      "a metadata.name longer than AWS allows",
      valid,
      { name: `a${"b".repeat(140)}` },
      /metadata\.name is longer than the 128 characters/,
    ],
    [
      "a checkpoint interval of 0",
      { ...valid, checkpointing: { intervalMillis: 0 } },
      {},
      /spec\.checkpointing\.intervalMillis/,
    ],
    [
      "a bad property group id",
      { ...valid, environmentProperties: { "bad group": { k: "v" } } },
      {},
      /property group ids must be 1-50 characters/,
    ],
    [
      "a tag key in the aws: namespace",
      { ...valid, tags: { "aws:owner": "x" } },
      {},
      /must not start with aws:/,
    ],
    [
      "a missing serviceExecutionRole",
      { runtimeEnvironment: "FLINK-1_20", code: valid.code },
      {},
      /spec\.serviceExecutionRole: Required value/,
    ],
    [
      "an unknown deletionPolicy",
      { ...valid, deletionPolicy: "Orphan" },
      {},
      /spec\.deletionPolicy.*supported values: "Delete", "Retain"/,
    ],
  ];

  // Issue 14: inputs that passed admission, then stalled or were retried forever.
  const artifact = (over: Record<string, unknown>) => ({
    ...valid,
    code: { artifact: { sha256: "a".repeat(64), bucket: "flink-apps", ...over } },
  });
  const maven = (over: Record<string, unknown>) =>
    artifact({
      maven: {
        repository: "https://repo.example/maven2",
        groupId: "dev.example",
        artifactId: "app",
        version: "1.0",
        ...over,
      },
    });
  // A letter outside the BMP: one code point for CEL and OpenAPI, two UTF-16 units for AWS.
  const astral = "\u{1D400}";
  const hardening: [string, Record<string, unknown>, Record<string, unknown>, RegExp][] = [
    [
      "a metadata.name whose owner tag <namespace>/<name> exceeds AWS's 256 characters",
      { ...valid, applicationName: "short" },
      { name: `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(8)}` },
      /metadata\.name must be at most 192 characters/,
    ],
    [
      "50 user tags, 51 with the owner tag (AWS allows 50)",
      { ...valid, tags: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, "v"])) },
      {},
      /spec\.tags: Too many: 50: must have at most 49 items/,
    ],
    [
      "200 user tags",
      { ...valid, tags: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, "v"])) },
      {},
      /spec\.tags: Too many: 200: must have at most 49 items/,
    ],
    [
      "a user tag with the operator's owner key",
      { ...valid, tags: { "managedflink.dev/owner": "someone/else" } },
      {},
      /spec\.tags.*managedflink\.dev\/owner is reserved/,
    ],
    [
      "an AWS: tag key in upper case",
      { ...valid, tags: { "AWS:x": "y" } },
      {},
      /spec\.tags.*must not start with aws:/,
    ],
    [
      "a tag value in the aws: namespace",
      { ...valid, tags: { team: "Aws:x" } },
      {},
      /spec\.tags\[team\].*tag values must not start with aws:/,
    ],
    [
      "a tag key with a character AWS refuses",
      { ...valid, tags: { "team*": "x" } },
      {},
      /spec\.tags.*tag keys may contain only letters, digits, white space and _ \. : \/ = \+ - @/,
    ],
    [
      "a tag value with a character AWS refuses",
      { ...valid, tags: { team: "a#b" } },
      {},
      /spec\.tags\.team.*should match/,
    ],
    [
      "a tag key of 65 letters outside the BMP (130 UTF-16 units)",
      { ...valid, tags: { [astral.repeat(65)]: "x" } },
      {},
      /spec\.tags.*tag keys must be 1-128 UTF-16 code units/,
    ],
    [
      "a tag value of 129 letters outside the BMP (258 UTF-16 units)",
      { ...valid, tags: { team: astral.repeat(129) } },
      {},
      /spec\.tags\[team\].*tag values must be at most 256 UTF-16 code units/,
    ],
    [
      "an empty property group",
      { ...valid, environmentProperties: { empty: {} } },
      {},
      /spec\.environmentProperties\[empty\].*at least one property/,
    ],
    [
      "a property value of 1025 letters outside the BMP",
      { ...valid, environmentProperties: { g: { k: astral.repeat(1025) } } },
      {},
      /spec\.environmentProperties\[g\]\[k\].*at most 2048 UTF-16 code units/,
    ],
    [
      "a property key of 1025 letters outside the BMP",
      { ...valid, environmentProperties: { g: { [astral.repeat(1025)]: "v" } } },
      {},
      /spec\.environmentProperties\[g\].*property keys must be 1-2048 UTF-16 code units/,
    ],
    [
      "a description of 513 letters outside the BMP",
      { ...valid, description: astral.repeat(513) },
      {},
      /spec\.description.*at most 1024 UTF-16 code units/,
    ],
    [
      "an object key longer than S3's 1024 bytes",
      { ...valid, code: { s3: { bucket: "flink-apps", key: "\u00e9".repeat(600) } } },
      {},
      /spec\.code\.s3\.key.*at most 1024 bytes/,
    ],
    [
      "an artifact prefix that leaves no room for the key",
      artifact({ url: "https://h.example/a.jar", prefix: "\u00e9".repeat(300) }),
      {},
      /spec\.code\.artifact\.prefix.*at most 512 bytes/,
    ],
    [
      "a service execution role that is not an IAM role ARN",
      { ...valid, serviceExecutionRole: "arn:aws:s3:::flink-apps" },
      {},
      /spec\.serviceExecutionRole.*should match/,
    ],
    [
      "a service execution role ARN with a line break",
      { ...valid, serviceExecutionRole: "arn:aws:iam::123456789012:role/flink\r" },
      {},
      /spec\.serviceExecutionRole.*should match/,
    ],
    [
      "an on-demand snapshot request with snapshots disabled",
      { ...valid, snapshots: { enabled: false, beforeUpdate: false, request: "now" } },
      {},
      /spec\.snapshots\.request.*snapshots\.request needs snapshots\.enabled/,
    ],
    [
      "a KMS key id of 1025 letters outside the BMP (found by the property test)",
      { ...valid, encryption: { keyType: "CUSTOMER_MANAGED_KEY", keyId: astral.repeat(1025) } },
      {},
      /spec\.encryption\.keyId.*should match/,
    ],
    [
      "a Maven groupId with a leading dot",
      maven({ groupId: ".hidden" }),
      {},
      /spec\.code\.artifact\.maven\.groupId.*should match/,
    ],
    [
      "a Maven version with ..",
      maven({ version: "1..0" }),
      {},
      /spec\.code\.artifact\.maven\.version.*must not contain \.\./,
    ],
    [
      "a Maven repository URL with a space",
      maven({ repository: "https://repo.example/maven 2" }),
      {},
      /spec\.code\.artifact\.maven\.repository.*should match/,
    ],
  ];

  // S3 general purpose bucket naming rules (src/crds/aws-rules.ts), wherever the spec names a bucket.
  const badBuckets: [string, RegExp][] = [
    ["192.168.5.4", /must not be formatted as an IP address/],
    ["my..bucket", /must not contain two adjacent periods/],
    ["my.-bucket", /must not have a period next to a hyphen/],
    ["my-.bucket", /must not have a period next to a hyphen/],
    ["xn--bucket", /must not start with xn--/],
    ["sthree-bucket", /must not start with .*sthree-/],
    ["amzn-s3-demo-bucket", /must not start with .*amzn-s3-demo-/],
    ["bucket-s3alias", /must not end with -s3alias/],
    ["bucket--ol-s3", /must not end with .*--ol-s3/],
    ["bucket.mrap", /must not end with .*\.mrap/],
    ["bucket--x-s3", /must not end with .*--x-s3/],
    ["bucket--table-s3", /must not end with .*--table-s3/],
  ];
  for (const [bucket, message] of badBuckets) {
    hardening.push(
      [
        `code.s3.bucket ${bucket}`,
        { ...valid, code: { s3: { bucket, key: "app.jar" } } },
        {},
        new RegExp(`spec\\.code\\.s3\\.bucket.*${message.source}`),
      ],
      [
        `code.artifact.bucket ${bucket}`,
        artifact({ url: "https://h.example/a.jar", bucket }),
        {},
        new RegExp(`spec\\.code\\.artifact\\.bucket.*${message.source}`),
      ],
      [
        `an s3:// artifact URL in bucket ${bucket}`,
        artifact({ url: `s3://${bucket}/app.jar` }),
        {},
        new RegExp(`spec\\.code\\.artifact\\.url.*the bucket of an s3:// URL ${message.source}`),
      ],
    );
  }

  // src/artifacts/locations.ts parses s3:// URLs with new URL() and decodeURIComponent(): these threw
  // URIError (retried forever) or named another key than the one written.
  for (const url of [
    "s3://flink-apps/%zz.jar",
    "s3://flink-apps/%E0%A4.jar",
    "s3://flink-apps/%C0%AF.jar",
    "s3://flink-apps/%ED%A0%80.jar",
    "s3://flink-apps/",
    "s3://flink-apps",
    "s3://Flink-Apps/app.jar",
    "s3://flink-apps/app.jar?versionId=3",
    "s3://flink-apps/app.jar#x",
    "s3://flink-apps/a b.jar",
  ]) {
    hardening.push([
      `the artifact URL ${url}`,
      artifact({ url }),
      {},
      /spec\.code\.artifact\.url.*s3:\/\/<bucket>\/<key>|spec\.code\.artifact\.url.*should match/,
    ]);
  }
  // Found by admission-property.test.ts: these passed admission and then failed new URL() in the
  // artifact resolver, a terminal error for a spec admission can judge.
  for (const url of [
    "https://h.example:99999/app.jar",
    "https://1.2.3.999/app.jar",
    "https://[::1]/app.jar",
  ]) {
    hardening.push(
      [
        `the artifact URL ${url}`,
        artifact({ url }),
        {},
        /spec\.code\.artifact\.url.*an http\(s\) URL must be/,
      ],
      [
        `the Maven repository ${url}`,
        maven({ repository: url }),
        {},
        /spec\.code\.artifact\.maven\.repository.*an http\(s\) URL must be/,
      ],
    );
  }
  hardening.push([
    "an s3:// artifact URL with a .. segment",
    artifact({ url: "s3://flink-apps/builds/../app.jar" }),
    {},
    /spec\.code\.artifact\.url.*must not contain \. or \.\. path segments/,
  ]);

  it.each([...cases, ...hardening])("rejects %s", async (_what, spec, meta, message) => {
    const obj = h.app("bad", spec, meta);
    if (meta.name) obj.metadata.name = meta.name as string;
    const r = await dryRun(obj);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });

  it.each([
    "s3://flink-apps/builds/app%20v1.jar",
    "s3://flink-apps/builds/caf%C3%A9.jar",
    "s3://flink-apps/builds/café.jar",
    "s3://my.flink-apps/a..b/app.jar",
  ])("accepts the artifact URL %s", async (url) => {
    const r = await dryRun(h.app("url-ok", artifact({ url })));
    expect(r.code, r.stderr).toBe(0);
  });

  it("accepts 49 user tags and a 192-character metadata.name", async () => {
    const name = `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(64)}`;
    const tags = Object.fromEntries(Array.from({ length: 49 }, (_, i) => [`team:${i}`, "a b/c=d+e-f@g_h.i"]));
    const r = await dryRun(h.app(name, { ...valid, applicationName: "short", tags }));
    expect(name).toHaveLength(192);
    expect(r.code, r.stderr).toBe(0);
  });

  it("keeps FlinkApplications out of category all: kubectl delete all --all leaves them (and their AWS applications) alone", async () => {
    // A fresh discovery cache: kubectl caches API categories for minutes.
    const cache = ["--cache-dir", mkdtempSync(join(tmpdir(), "kubectl-cache-"))];
    await h.kubectlOk([...cache, "apply", "-f", "-"], JSON.stringify(h.app("survivor", valid)));
    await h.kubectlOk([...cache, "delete", "all", "--all", "-n", h.namespace, "--wait=false"]);
    expect(await h.get("survivor")).toBeDefined();
    const listed = await h.kubectlOk([...cache, "get", "flink", "-n", h.namespace, "-o", "name"]);
    expect(listed).toContain("flinkapplication.managedflink.dev/survivor");
  });

  describe("on update", () => {
    it("refuses changing applicationName, region, or downgrading the runtime", async () => {
      await h.kubectlOk(
        ["apply", "-f", "-"],
        JSON.stringify(
          h.app("immutable", { ...valid, region: "us-east-1", runtimeEnvironment: "FLINK-2_2" }),
        ),
      );
      const rename = await dryRun(
        h.app("immutable", {
          ...valid,
          region: "us-east-1",
          runtimeEnvironment: "FLINK-2_2",
          applicationName: "other",
        }),
      );
      expect(rename.stderr).toMatch(/spec\.applicationName is immutable/);
      const move = await dryRun(
        h.app("immutable", { ...valid, region: "eu-west-1", runtimeEnvironment: "FLINK-2_2" }),
      );
      expect(move.stderr).toMatch(/spec\.region is immutable/);
      const down = await dryRun(
        h.app("immutable", { ...valid, region: "us-east-1", runtimeEnvironment: "FLINK-1_20" }),
      );
      expect(down.stderr).toMatch(/spec\.runtimeEnvironment cannot be downgraded/);
      const up = await dryRun(
        h.app("immutable", { ...valid, region: "us-east-1", runtimeEnvironment: "FLINK-2_3" }),
      );
      expect(up.code, up.stderr).toBe(0);
    });
  });
});
