import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  FlinkRuntime,
  parallelismOf,
  propertyGroups,
  removeSavepoint,
} from "../../../src/emulator/flink/runtime.js";
import type { RunSpec } from "../../../src/emulator/runtime.js";

const root = mkdtempSync(join(tmpdir(), "flink-runtime-unit-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const run = (application: string): RunSpec => ({
  application,
  versionId: 1,
  runtimeEnvironment: "FLINK-1_20",
  configuration: {
    FlinkApplicationConfigurationDescription: {
      ParallelismConfigurationDescription: { Parallelism: 2, CurrentParallelism: 3, ParallelismPerKPU: 1 },
    },
    EnvironmentPropertyDescriptions: {
      PropertyGroupDescriptions: [{ PropertyGroupId: "G", PropertyMap: { k: "v" } }],
    },
  },
  allowNonRestoredState: false,
  logStreamArns: [],
});

describe("FlinkRuntime without Flink", () => {
  it("reads parallelism (current first) and runtime properties the way Managed Flink hands them over", () => {
    expect(parallelismOf(run("a").configuration)).toBe(3);
    expect(parallelismOf({})).toBe(1);
    expect(propertyGroups(run("a").configuration)).toEqual([
      { PropertyGroupId: "G", PropertyMap: { k: "v" } },
    ]);
  });

  it("refuses code that is not in S3, and stays usable after a reset", async () => {
    const runtime = new FlinkRuntime({
      s3Endpoint: "http://127.0.0.1:9",
      region: "us-east-1",
      workRoot: root,
    });
    await expect(runtime.start(run("a"))).rejects.toThrow("Real Flink runs only code in S3");
    await runtime.shutdown();
    await expect(runtime.start(run("a"))).rejects.toThrow("Real Flink runs only code in S3");
    await runtime.deleteSnapshot("a", "never-taken");
    await runtime.shutdown();
  });

  it("deletes only a direct child of the application's savepoint directory", () => {
    expect(() => removeSavepoint(join(root, "a", "savepoints"), `file:${join(root, "a")}`)).toThrow(
      "is not a savepoint",
    );
    expect(() => removeSavepoint(join(root, "a", "savepoints"), "file:/etc")).toThrow("is not a savepoint");
  });
});

describe("the Flink install's launcher", () => {
  it("is keyed by its sources as scripts/build-binaries.sh keys it, and refused when built from others", async () => {
    const { execFileSync } = await import("node:child_process");
    const { mkdirSync, writeFileSync } = await import("node:fs");
    const { launcherSourceKey, requireFlinkInstall } = await import("../../../src/emulator/flink/install.js");
    const { repoRoot } = await import("../../../src/localstack/binaries.js");
    const script =
      "find pom.xml jvm.options src -type f | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-12";
    const fromShell = execFileSync("sh", ["-c", script], {
      cwd: join(repoRoot, "tools/flink"),
      encoding: "utf8",
    });
    expect(launcherSourceKey()).toBe(fromShell.trim());
    const dir = join(root, "flink-install");
    mkdirSync(join(dir, "lib"), { recursive: true });
    writeFileSync(join(dir, "lib", "local-flink-launcher.jar"), "");
    writeFileSync(join(dir, ".complete"), "000000000000\n");
    const install = {
      version: "1.20.3",
      libDir: join(dir, "lib"),
      launcherClass: "L",
      jvmOptionsFile: join(dir, "jvm.options"),
      classArchive: join(dir, "classes.jsa"),
      optDir: join(dir, "opt"),
      pythonExecutable: join(dir, "python"),
      pythonShimDir: join(dir, "python-shim"),
    };
    expect(() => requireFlinkInstall(install)).toThrow(
      /was built from other tools\/flink sources .*run `bash scripts\/build-binaries.sh flink`/,
    );
    writeFileSync(join(dir, ".complete"), `${launcherSourceKey()}\n`);
    expect(requireFlinkInstall(install)).toBe(install);
  });
});
