// Property (issue 14): no FlinkApplication is accepted and then stuck. Every generated manifest is either
// refused by the real API server (server-side dry-run create, so the CRD's OpenAPI schema and CEL rules
// decide) with causes that name a field, or the object it admits yields a CreateApplication request (and
// the StartApplication and UpdateApplication requests the spec implies) that the AWS model, as the
// emulator validates it, accepts.
//
// Seeded and reproducible: ADMISSION_PROPERTY_SEED and ADMISSION_PROPERTY_RUNS override the defaults.
// The manifests are fast-check samples checked in parallel; on a failure, the first failing sample is
// replayed by fast-check (same seed, its path) and shrunk, and the shrunk counterexample is reported.
import { readFileSync } from "node:fs";
import { Agent, type RequestOptions, request } from "node:https";
import { gunzipSync } from "node:zlib";
import type { ApplicationDetail } from "@aws-sdk/client-kinesis-analytics-v2";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  artifactExtension,
  artifactSource,
  contentKey,
  validateSha256,
} from "../../../src/artifacts/locations.js";
import {
  configurationDrift,
  createApplicationRequest,
  ownerTag,
  runConfiguration,
  runConfigurationUpdate,
} from "../../../src/controller/desired.js";
import {
  group,
  ownerTagKey,
  plural,
  runtimeEnvironments,
  version,
} from "../../../src/crds/flinkapplication.js";
import type { FlinkApplication } from "../../../src/crds/types.generated.js";
import { findViolations } from "../../../src/emulator/validation.js";
import { binaryPaths } from "../../../src/localstack/binaries.js";
import { Harness } from "./harness.js";

const seed = Number(process.env.ADMISSION_PROPERTY_SEED ?? 14_2026);
const runs = Number(process.env.ADMISSION_PROPERTY_RUNS ?? 10_000);
// Requests in flight. The API server is CPU-bound (schema and CEL evaluation): a few requests per core
// keep it busy, more only queue (4, 8, 16 and 32 measured within the noise of a shared 2-core machine).
const concurrency = Number(process.env.ADMISSION_PROPERTY_CONCURRENCY ?? 8);

/** AWS allows 50 user-defined tags per application ("Using tagging" in the Managed Flink guide). */
const maxAwsTags = 50;

type ServiceModel = Parameters<typeof findViolations>[0];

const h = new Harness();
let model: ServiceModel;
let post: (body: unknown) => Promise<{ status: number; body: Record<string, unknown> }>;

beforeAll(async () => {
  await h.setUp();
  model = JSON.parse(gunzipSync(readFileSync(binaryPaths().serviceModel)).toString("utf8")) as ServiceModel;
  // One keep-alive agent: a TLS handshake per request would cost more than the admission itself.
  const tls: RequestOptions = {};
  await h.kc.applyToHTTPSOptions(tls);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const server = h.kc.getCurrentCluster()!.server.replace(/\/$/, "");
  const url = new URL(`${server}/apis/${group}/${version}/namespaces/${h.namespace}/${plural}?dryRun=All`);
  post = (body) =>
    new Promise((resolve, reject) => {
      const payload = JSON.stringify(body);
      const req = request(
        url,
        {
          ...tls,
          agent,
          method: "POST",
          headers: { ...tls.headers, "Content-Type": "application/json", Accept: "application/json" },
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            try {
              resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> });
            } catch {
              reject(new Error(`API server answered ${res.statusCode} with non-JSON: ${text.slice(0, 500)}`));
            }
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error("dry-run create timed out")));
      req.on("error", reject);
      req.end(payload);
    });
});

// ---------------------------------------------------------------- generators

/** Mostly `good`, sometimes `bad`: each field is usually valid so that many manifests are admitted. */
const mostly = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>, badWeight = 1) =>
  fc.oneof({ arbitrary: good, weight: 12 }, { arbitrary: bad, weight: badWeight });

const absent = Symbol("absent");

/**
 * An object with the given fields: the required ones always, each other one a third of the time, so
 * that a typical manifest sets a few fields and is often valid. Shrinks towards fewer fields.
 */
const some = (fields: Record<string, fc.Arbitrary<unknown>>, required: string[] = []) =>
  fc
    .record(
      Object.fromEntries(
        Object.entries(fields).map(([k, a]) => [
          k,
          required.includes(k)
            ? a
            : fc.oneof({ arbitrary: fc.constant(absent), weight: 2 }, { arbitrary: a, weight: 1 }),
        ]),
      ),
    )
    .map((o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== absent)));

/** A value of the wrong JSON type. */
const wrongType = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
  fc.string({ maxLength: 3 }),
);

/** Characters that sit on the edges of the rules: non-ASCII, outside the BMP, white space, controls. */
const edgeChar = fc.constantFrom(
  "a",
  "Z",
  "0",
  "-",
  ".",
  "_",
  " ",
  "é",
  "ß",
  "\u{1D400}",
  "😀",
  "\u00A0",
  "\u2028",
  "\r",
  "\n",
  "\t",
  "\u0000",
  "%",
  "/",
  ":",
  "@",
  "#",
  "?",
  "*",
);

/** Text around a length limit: random characters, or one edge character repeated to the limit ±1. */
const textNear = (limit: number) =>
  fc.oneof(
    { arbitrary: fc.string({ unit: "binary", maxLength: 12 }), weight: 2 },
    { arbitrary: fc.string({ unit: edgeChar, maxLength: 12 }), weight: 2 },
    {
      // One character repeated to the limit ±1, or to just over half of it: with a character outside the
      // BMP (half the time), that is within the limit in code points and over it in UTF-16 units.
      arbitrary: fc
        .tuple(
          fc.oneof(edgeChar, fc.constantFrom("\u{1D400}", "😀")),
          fc.constantFrom(limit - 1, limit, limit + 1, Math.ceil(limit / 2), Math.ceil(limit / 2) + 1),
        )
        .map(([c, n]) => c.repeat(Math.max(0, n))),
      weight: 4,
    },
    { arbitrary: fc.constantFrom("", "aws:x", "AWS:Name", ownerTagKey), weight: 1 },
  );

const lowerWord = fc.stringMatching(/^[a-z0-9]{1,12}$/);

const bucket = mostly(
  fc
    .tuple(lowerWord, fc.constantFrom("", "-", ".", "--"), lowerWord)
    .map(([a, sep, b]) => `${a}${sep}${b}`)
    .filter((b) => b.length >= 3),
  fc.oneof(
    fc.constantFrom(
      "192.168.5.4",
      "999.1.1.1",
      "my..bucket",
      "my.-bucket",
      "my-.bucket",
      "xn--bucket",
      "sthree-bucket",
      "sthree-configurator",
      "amzn-s3-demo-bucket",
      "bucket-s3alias",
      "bucket--ol-s3",
      "bucket.mrap",
      "bucket--x-s3",
      "bucket--table-s3",
      "ab",
      "a".repeat(64),
      "a".repeat(63),
      "Bucket",
      "bucket_",
      "-bucket",
      "bucket.",
    ),
    textNear(63),
  ),
  3,
);

const objectKey = mostly(
  fc
    .array(fc.stringMatching(/^[A-Za-z0-9_.-]{1,10}$/), { minLength: 1, maxLength: 4 })
    .map((p) => p.join("/")),
  textNear(1024),
  3,
);

const hexByte = fc
  .integer({ min: 0, max: 255 })
  .map((n) => `%${n.toString(16).padStart(2, "0").toUpperCase()}`);
const urlKey = fc
  .array(
    fc.oneof(
      { arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/), weight: 8 },
      {
        arbitrary: fc.constantFrom("/", ".", "..", "/./", "/../", "é", "%20", "%C3%A9", "%2e%2E"),
        weight: 2,
      },
      { arbitrary: hexByte, weight: 1 },
      { arbitrary: fc.constantFrom("%", "%zz", "%E0%A4", "?", "#", " ", "\u0000", "\\"), weight: 1 },
    ),
    { minLength: 0, maxLength: 6 },
  )
  .map((parts) => parts.join(""));

const s3Url = fc
  .tuple(bucket, urlKey, fc.constantFrom(".jar", ".zip", ""))
  .map(([b, k, ext]) => `s3://${b}/${k}${ext}`);
const httpsUrl = fc.oneof(
  fc.constantFrom(
    "https://repo.example/app.jar",
    "https://repo.example:8443/a/b/app.zip?token=x#frag",
    "http://10.0.0.1/app.jar",
    "https://[::1]/app.jar",
    "https://exa mple.com/app.jar",
    "https://%zz/app.jar",
    "https://h.example:99999/app.jar",
    "https://",
    "https:///app.jar",
    "ftp://h/app.jar",
  ),
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
);
const artifactUrl = fc.oneof(s3Url, httpsUrl, fc.constantFrom("s3://", "s3://bucket", "s3:///key"));

const coordinate = mostly(
  fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,12}$/),
  fc.oneof(fc.constantFrom(".hidden", "a..b", "..", "a/b", "a b", "", "-x", "+x"), textNear(128)),
  2,
);
const maven = some(
  {
    repository: mostly(
      fc.constantFrom("https://repo1.maven.org/maven2", "https://repo.example/m2/"),
      fc.oneof(httpsUrl, textNear(16)),
    ),
    groupId: coordinate,
    artifactId: coordinate,
    version: coordinate,
    classifier: coordinate,
    extension: mostly(fc.constantFrom("jar", "zip"), fc.constantFrom("war", "")),
  },
  ["repository", "groupId", "artifactId", "version"],
);

const sha256 = mostly(
  fc.stringMatching(/^[a-f0-9]{64}$/),
  fc.constantFrom("xyz", "A".repeat(64), "a".repeat(63)),
);

const code = fc.oneof(
  {
    arbitrary: some(
      {
        s3: some(
          {
            bucket,
            key: objectKey,
            objectVersion: mostly(fc.stringMatching(/^[A-Za-z0-9._-]{1,32}$/), textNear(1024), 2),
          },
          ["bucket", "key"],
        ),
      },
      ["s3"],
    ),
    weight: 6,
  },
  {
    arbitrary: some(
      {
        artifact: fc
          .tuple(
            some(
              {
                sha256,
                bucket,
                prefix: mostly(
                  fc.constantFrom("flink-applications", "", "/", "a//b/", "team/apps"),
                  textNear(512),
                  2,
                ),
              },
              ["sha256", "bucket"],
            ),
            // Exactly one source, mostly; now and then both or neither.
            fc.oneof(
              { arbitrary: artifactUrl.map((url) => ({ url })), weight: 6 },
              { arbitrary: maven.map((maven) => ({ maven })), weight: 4 },
              { arbitrary: fc.record({ url: artifactUrl, maven }), weight: 1 },
              { arbitrary: fc.constant({}), weight: 1 },
            ),
          )
          .map(([rest, source]) => ({ ...rest, ...source })),
      },
      ["artifact"],
    ),
    weight: 4,
  },
  { arbitrary: fc.constantFrom({}, { s3: {} }), weight: 1 },
);

const roleArn = mostly(
  fc.oneof(
    fc.constant("arn:aws:iam::123456789012:role/flink"),
    fc.stringMatching(/^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:role\/([a-z]{1,5}\/)?[A-Za-z0-9+=,.@_-]{1,20}$/),
  ),
  fc.oneof(
    fc.constantFrom(
      "arn:",
      "arn:aws:s3:::bucket",
      "arn:aws:iam::123456789012:role/flink\r",
      "arn:aws:iam::123456789012:role/flink\u2028",
      "my-role",
    ),
    textNear(2048).map((t) => `arn:${t}`),
  ),
);

const tagKey = mostly(fc.stringMatching(/^[A-Za-z0-9 _.:/=+@-]{1,16}$/), textNear(128), 2);
const tagValue = mostly(fc.stringMatching(/^[A-Za-z0-9 _.:/=+@-]{0,16}$/), textNear(256), 2);
const tags = fc
  .oneof(
    { arbitrary: fc.integer({ min: 0, max: 5 }), weight: 8 },
    { arbitrary: fc.integer({ min: 47, max: 52 }), weight: 1 },
  )
  .chain((n) =>
    fc.uniqueArray(fc.tuple(tagKey, tagValue), { minLength: n, maxLength: n, selector: ([k]) => k }),
  )
  .map((entries) => Object.fromEntries(entries));

const groupId = mostly(fc.stringMatching(/^[A-Za-z0-9_.-]{1,20}$/), textNear(50), 2);
const propertyKey = mostly(fc.stringMatching(/^[A-Za-z0-9_.-]{1,20}$/), textNear(2048), 2);
const propertyValue = mostly(fc.string({ minLength: 1, maxLength: 20 }), textNear(2048), 2);
const propertyGroup = fc
  .oneof(
    { arbitrary: fc.integer({ min: 1, max: 4 }), weight: 8 },
    { arbitrary: fc.constantFrom(0, 50, 51), weight: 1 },
  )
  .chain((n) =>
    fc.uniqueArray(fc.tuple(propertyKey, propertyValue), {
      minLength: n,
      maxLength: n,
      selector: ([k]) => k,
    }),
  )
  .map((entries) => Object.fromEntries(entries));
const environmentProperties = fc
  .oneof(
    { arbitrary: fc.integer({ min: 0, max: 4 }), weight: 8 },
    { arbitrary: fc.constantFrom(49, 50, 51), weight: 1 },
  )
  .chain((n) =>
    fc.uniqueArray(fc.tuple(groupId, propertyGroup), { minLength: n, maxLength: n, selector: ([g]) => g }),
  )
  .map((entries) => Object.fromEntries(entries));

const int = (min: number, max: number) =>
  mostly(
    fc.integer({ min, max }),
    fc.constantFrom(min - 1, max + 1, 0, -1, 2 ** 31, Number.MAX_SAFE_INTEGER, 1.5),
  );
const bool = mostly(fc.boolean(), wrongType);
const oneOfStrings = (good: string[], bad: string[]) =>
  mostly(fc.constantFrom(...good), fc.constantFrom(...bad));
const snapshotName = mostly(fc.stringMatching(/^[a-zA-Z0-9_.-]{1,20}$/), textNear(256), 2);

const spec = some(
  {
    applicationName: mostly(fc.stringMatching(/^[a-zA-Z0-9_.-]{1,40}$/), textNear(128), 2),
    region: oneOfStrings(
      ["us-east-1", "eu-west-1", "ap-southeast-2"],
      ["US-EAST-1", "mars", "us-east-1\n", ""],
    ),
    runtimeEnvironment: oneOfStrings(runtimeEnvironments, ["FLINK-1_13", "FLINK-9_9", "SQL-1_0", ""]),
    serviceExecutionRole: roleArn,
    description: mostly(fc.string({ maxLength: 40 }), textNear(1024), 2),
    tags,
    desiredState: oneOfStrings(["Running", "Stopped"], ["Paused", "running"]),
    code,
    checkpointing: some(
      { enabled: bool, intervalMillis: int(1, 3_600_000), minPauseBetweenCheckpointsMillis: int(0, 600_000) },
      [],
    ),
    parallelism: some({ parallelism: int(1, 65_536), parallelismPerKPU: int(1, 8), autoScaling: bool }, []),
    snapshots: some(
      {
        enabled: bool,
        beforeUpdate: bool,
        retention: some({ maxCount: int(1, 50), maxAgeDays: int(1, 3650) }, []),
        request: mostly(fc.stringMatching(/^[a-zA-Z0-9_.-]{1,12}$/), textNear(64), 2),
      },
      [],
    ),
    rollback: some(
      {
        systemRollback: bool,
        onFailure: oneOfStrings(["Report", "RestorePreviousVersion"], ["Rollback"]),
        updateTimeoutSeconds: int(30, 86_400),
      },
      [],
    ),
    monitoring: some(
      {
        logLevel: oneOfStrings(["INFO", "WARN", "ERROR", "DEBUG"], ["TRACE", "info"]),
        metricsLevel: oneOfStrings(["APPLICATION", "TASK", "OPERATOR", "PARALLELISM"], ["JOB"]),
      },
      [],
    ),
    environmentProperties,
    vpc: some(
      {
        subnetIds: mostly(
          fc.uniqueArray(fc.stringMatching(/^subnet-[0-9a-f]{8,17}$/), { minLength: 1, maxLength: 16 }),
          fc.uniqueArray(mostly(fc.stringMatching(/^subnet-[0-9a-f]{8}$/), textNear(64)), { maxLength: 17 }),
        ),
        securityGroupIds: mostly(
          fc.uniqueArray(fc.stringMatching(/^sg-[0-9a-f]{8,17}$/), { minLength: 1, maxLength: 5 }),
          fc.uniqueArray(mostly(fc.stringMatching(/^sg-[0-9a-f]{8}$/), textNear(64)), { maxLength: 6 }),
        ),
      },
      ["subnetIds", "securityGroupIds"],
    ),
    encryption: mostly(
      fc.oneof(
        fc.record({ keyType: fc.constant("AWS_OWNED_KEY") }),
        fc.record({
          keyType: fc.constant("CUSTOMER_MANAGED_KEY"),
          keyId: mostly(
            fc.oneof(
              fc.uuid(),
              fc.constant("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
              fc.stringMatching(/^alias\/[A-Za-z0-9/_-]{1,20}$/),
            ),
            textNear(2048),
            2,
          ),
        }),
      ),
      some({
        keyType: oneOfStrings(["AWS_OWNED_KEY", "CUSTOMER_MANAGED_KEY"], ["KMS"]),
        keyId: textNear(2048),
      }),
    ),
    restore: mostly(
      fc.oneof(
        fc.record({ type: fc.constantFrom("LatestSnapshot", "SkipRestore") }),
        fc.record({ type: fc.constant("Snapshot"), snapshotName }),
      ),
      some({ type: oneOfStrings(["LatestSnapshot", "SkipRestore", "Snapshot"], ["Latest"]), snapshotName }),
    ),
    allowNonRestoredState: bool,
    deletionPolicy: oneOfStrings(["Delete", "Retain"], ["Orphan"]),
  },
  ["runtimeEnvironment", "serviceExecutionRole", "code"],
);

// Kubernetes names are DNS subdomains of at most 253 characters; 128 (AWS application names) and 192
// (the owner tag) are the limits that matter here.
const metadataName = mostly(
  fc
    .tuple(
      fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/),
      fc.oneof(
        { arbitrary: fc.constant(0), weight: 8 },
        { arbitrary: fc.constantFrom(100, 127, 128, 129, 191, 192, 193, 240), weight: 2 },
      ),
    )
    .map(([base, pad]) => (pad > base.length ? `${base}.${"x".repeat(pad - base.length - 1)}` : base)),
  fc.constantFrom("Upper", "under_score", "a".repeat(254), "-lead", "dot."),
);

/** A manifest, with a few of its spec's fields replaced by values of the wrong type now and then. */
const manifest = fc
  .tuple(
    metadataName,
    spec,
    fc.oneof(
      { arbitrary: fc.constant(undefined), weight: 19 },
      {
        arbitrary: fc.tuple(fc.constantFrom("code", "tags", "parallelism", "description", "vpc"), wrongType),
        weight: 1,
      },
    ),
  )
  .map(([name, s, wrong]) => ({
    name,
    spec: wrong ? { ...s, [wrong[0]]: wrong[1] } : (s as Record<string, unknown>),
  }));

// ---------------------------------------------------------------- the property

/**
 * An application as DescribeApplication reports it, unlike the generated specs in every section, so that
 * configurationDrift against it yields an UpdateApplication request that carries every field a spec sets.
 */
const describedBaseline: ApplicationDetail = {
  ApplicationARN: "arn:aws:kinesisanalytics:us-east-1:123456789012:application/baseline",
  ApplicationName: "baseline",
  ApplicationStatus: "RUNNING",
  ApplicationVersionId: 1,
  RuntimeEnvironment: "FLINK-1_6",
  ServiceExecutionRole: "arn:aws:iam::123456789012:role/baseline",
  ApplicationConfigurationDescription: {
    ApplicationCodeConfigurationDescription: {
      CodeContentType: "ZIPFILE",
      CodeContentDescription: {
        S3ApplicationCodeLocationDescription: { BucketARN: "arn:aws:s3:::baseline", FileKey: "baseline.jar" },
      },
    },
    FlinkApplicationConfigurationDescription: {
      CheckpointConfigurationDescription: {
        ConfigurationType: "CUSTOM",
        CheckpointingEnabled: false,
        CheckpointInterval: 7,
        MinPauseBetweenCheckpoints: 3,
      },
      ParallelismConfigurationDescription: {
        ConfigurationType: "CUSTOM",
        Parallelism: 3,
        ParallelismPerKPU: 3,
        CurrentParallelism: 3,
        AutoScalingEnabled: false,
      },
      MonitoringConfigurationDescription: {
        ConfigurationType: "CUSTOM",
        LogLevel: "ERROR",
        MetricsLevel: "OPERATOR",
      },
    },
    EnvironmentPropertyDescriptions: {
      PropertyGroupDescriptions: [{ PropertyGroupId: "baseline", PropertyMap: { k: "v" } }],
    },
    ApplicationSnapshotConfigurationDescription: { SnapshotsEnabled: false },
    ApplicationSystemRollbackConfigurationDescription: { RollbackEnabled: true },
    VpcConfigurationDescriptions: [
      { VpcConfigurationId: "1.1", VpcId: "vpc-0", SubnetIds: ["subnet-0"], SecurityGroupIds: ["sg-0"] },
    ],
    ApplicationEncryptionConfigurationDescription: {
      KeyType: "CUSTOMER_MANAGED_KEY",
      KeyId: "arn:aws:kms:us-east-1:123456789012:key/baseline",
    },
  },
};

type Outcome = { admitted: true } | { admitted: false; fields: string[] };

/** Throws, with what went wrong, when the outcome is neither a field-naming refusal nor valid requests. */
async function check(m: { name: string; spec: Record<string, unknown> }): Promise<Outcome> {
  const res = await post({
    apiVersion: `${group}/${version}`,
    kind: "FlinkApplication",
    metadata: { name: m.name, namespace: h.namespace },
    spec: m.spec,
  });
  if (res.status === 422 || res.status === 400) {
    const details = res.body.details as { causes?: { field?: string; message?: string }[] } | undefined;
    // The API server adds a cause without a field when schema errors kept it from running the CEL rules.
    const causes = (details?.causes ?? []).filter(
      (c) => !/some validation rules were not checked/.test(c.message ?? ""),
    );
    const names = (c: { field?: string; message?: string }) =>
      /^\.?(spec|metadata)\b/.test(c.field ?? "") || /\b(spec|metadata)\.[A-Za-z]/.test(c.message ?? "");
    if (causes.length === 0 || !causes.every(names)) {
      throw new Error(`refused without naming a field: ${JSON.stringify(res.body)}`);
    }
    return { admitted: false, fields: causes.map((c) => c.field ?? "") };
  }
  if (res.status !== 201) throw new Error(`unexpected ${res.status}: ${JSON.stringify(res.body)}`);

  // What the operator would see: the admitted object, with defaults and the API server's normalisation.
  const obj = res.body as unknown as FlinkApplication;
  const s = obj.spec;
  const applicationName = s.applicationName ?? obj.metadata.name!;
  let codeObject: { bucket: string; key: string; objectVersion?: string };
  if (s.code.s3) {
    codeObject = s.code.s3;
  } else {
    const a = s.code.artifact!;
    // Everything the operator derives from the spec alone must succeed: a throw here would be retried
    // or reported for a spec that admission could have refused.
    validateSha256(a.sha256);
    const source = artifactSource(a);
    if (source.kind === "s3" && !a.url?.includes(`//${source.bucket}/`)) {
      throw new Error(`s3 URL ${a.url} parsed as bucket ${source.bucket}`);
    }
    codeObject = { bucket: a.bucket, key: contentKey(a.prefix, a.sha256, artifactExtension(a)) };
  }
  const create = createApplicationRequest(
    applicationName,
    s,
    codeObject,
    `${h.namespace}/${obj.metadata.name}`,
  );
  const update = configurationDrift(s, codeObject, describedBaseline).update;
  const problems = [
    ...findViolations(model, "CreateApplication", create),
    ...findViolations(model, "StartApplication", {
      ApplicationName: applicationName,
      RunConfiguration: runConfiguration(s),
    }),
    ...findViolations(model, "UpdateApplication", {
      ApplicationName: applicationName,
      CurrentApplicationVersionId: 1,
      ...update,
      RunConfigurationUpdate: runConfigurationUpdate(s),
    }),
  ];
  if ((create.Tags?.length ?? 0) > maxAwsTags) {
    problems.push({ path: "tags", value: create.Tags?.length, constraint: `at most ${maxAwsTags} tags` });
  }
  if (problems.length > 0) {
    throw new Error(`admitted, but AWS would refuse it: ${JSON.stringify(problems).slice(0, 2000)}`);
  }
  return { admitted: true };
}

describe("admission property", () => {
  it("the CRD reserves the tag key the controller writes", () => {
    expect(ownerTagKey).toBe(ownerTag);
  });

  it("the described baseline differs from a spec that sets everything in every section", () => {
    const everything = {
      runtimeEnvironment: "FLINK-1_20",
      serviceExecutionRole: "arn:aws:iam::123456789012:role/flink",
      code: { s3: { bucket: "flink-apps", key: "app.jar" } },
      checkpointing: { enabled: true, intervalMillis: 60_000, minPauseBetweenCheckpointsMillis: 5_000 },
      parallelism: { parallelism: 4, parallelismPerKPU: 1, autoScaling: true },
      monitoring: { logLevel: "INFO", metricsLevel: "TASK" },
      environmentProperties: { g: { k: "v" } },
      snapshots: { enabled: true },
      rollback: { systemRollback: false },
      vpc: { subnetIds: ["subnet-1"], securityGroupIds: ["sg-1"] },
      encryption: { keyType: "AWS_OWNED_KEY" },
    } as FlinkApplication["spec"];
    const drift = configurationDrift(everything, { bucket: "flink-apps", key: "app.jar" }, describedBaseline);
    expect(drift.uncorrectable).toEqual([]);
    expect(drift.fields).toEqual([
      "code",
      "checkpointing",
      "parallelism",
      "monitoring",
      "environmentProperties",
      "snapshots.enabled",
      "rollback.systemRollback",
      "vpc",
      "encryption",
      "runtimeEnvironment",
      "serviceExecutionRole",
    ]);
  });

  it(`refuses naming a field, or admits only what AWS accepts (${runs} manifests, seed ${seed})`, {
    timeout: 600_000,
  }, async () => {
    const generating = performance.now();
    const samples = fc.sample(manifest, { seed, numRuns: runs });
    const started = performance.now();
    const failures: { index: number; error: Error }[] = [];
    let admitted = 0;
    const refusedBy = new Map<string, number>();
    let next = 0;
    const worker = async () => {
      while (next < samples.length) {
        const index = next++;
        try {
          const outcome = await check(samples[index]!);
          if (outcome.admitted) admitted++;
          else {
            // Map keys and list indexes vary; the field they belong to is what is worth counting.
            for (const f of new Set(outcome.fields.map((f) => f.replace(/\[[^\]]*\]|\.\d+/g, "[]")))) {
              refusedBy.set(f, (refusedBy.get(f) ?? 0) + 1);
            }
          }
        } catch (err) {
          failures.push({ index, error: err as Error });
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `admission property: ${samples.length} manifests generated in ${((started - generating) / 1000).toFixed(1)} s, ` +
        `checked in ${seconds.toFixed(1)} s ` +
        `(${(samples.length / seconds).toFixed(0)}/s): ${admitted} admitted, ${samples.length - admitted - failures.length} refused, ${failures.length} failed\n` +
        `refusals naming each field: ${[...refusedBy]
          .sort((a, b) => b[1] - a[1])
          .map(([f, n]) => `${f} ${n}`)
          .join(", ")}`,
    );

    if (failures.length > 0) {
      failures.sort((a, b) => a.index - b.index);
      const first = failures[0]!;
      // fast-check replays the failing sample (same seed, its path) and shrinks it; assert throws with
      // the shrunk counterexample and the seed and path that reproduce it.
      await fc.assert(
        fc.asyncProperty(manifest, async (m) => {
          await check(m);
        }),
        { seed, path: String(first.index) },
      );
      throw new Error(
        `${failures.length} manifests failed; the first (index ${first.index}) did not fail again when replayed: ` +
          `${first.error.message}\n${JSON.stringify(samples[first.index])}`,
      );
    }
    expect(samples).toHaveLength(runs);
    expect(admitted).toBeGreaterThan(samples.length / 10);
  });
});
