// Invalid manifests are refused by the API server itself (structural schema + CEL), with messages
// that name the field. Server-side dry run: nothing is stored.
import { readdirSync, readFileSync } from "node:fs";
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
        /namespace: default/g,
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

  it.each(cases)("rejects %s", async (_what, spec, meta, message) => {
    const obj = h.app("bad", spec, meta);
    if (meta.name) obj.metadata.name = meta.name as string;
    const r = await dryRun(obj);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
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
