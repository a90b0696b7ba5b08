import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { cacheDir, readVersions, repoRoot } from "../../localstack/binaries.js";

/** The Flink runtime that `bash scripts/build-binaries.sh flink` assembles (tools/flink/pom.xml). */
export interface FlinkInstall {
  version: string;
  /** Every jar of the cluster classpath, our launcher and KinesisAnalyticsRuntime shim among them. */
  libDir: string;
  /** The main class in local-flink-launcher.jar: a MiniCluster with Flink's REST endpoint. */
  launcherClass: string;
  /** JVM options (tools/flink/jvm.options), passed as a java @argfile. */
  jvmOptionsFile: string;
  /** AppCDS archive of the classes a cluster start loads, made by the build. */
  classArchive: string;
  /** FLINK_OPT_DIR: holds flink-python, which Flink adds to a PyFlink job's jars. */
  optDir: string;
  /** PyFlink's Python (PyPI apache-flink, same version), which runs PyFlink applications' programs. */
  pythonExecutable: string;
  /** Holds the sitecustomize.py that hands PyFlink programs their runtime properties (tools/flink/src/main/python). */
  pythonShimDir: string;
}

export const BUILD_FLINK_COMMAND = "bash scripts/build-binaries.sh flink";
const LAUNCHER_JAR = "local-flink-launcher.jar";

export function flinkInstallPath(version = readVersions().FLINK_VERSION, cache = cacheDir()): FlinkInstall {
  return {
    version,
    libDir: join(cache, `flink-${version}`, "lib"),
    launcherClass: "dev.managedflink.localflink.LocalFlinkCluster",
    jvmOptionsFile: join(cache, `flink-${version}`, "jvm.options"),
    classArchive: join(cache, `flink-${version}`, "classes.jsa"),
    optDir: join(cache, `flink-${version}`, "opt"),
    pythonExecutable: join(cache, "venv", `pyflink-${version}`, "bin", "python"),
    pythonShimDir: join(cache, `flink-${version}`, "python"),
  };
}

/** The install, or an error that names the command building it. */
export function requireFlinkInstall(install = flinkInstallPath()): FlinkInstall {
  const dir = join(install.libDir, "..");
  const complete = join(dir, ".complete");
  if (!existsSync(complete) || !existsSync(join(install.libDir, LAUNCHER_JAR))) {
    throw new Error(`Flink ${install.version} is not installed in ${dir}; run \`${BUILD_FLINK_COMMAND}\``);
  }
  // A launcher built from other sources would run, but without what they added (its stdin commands):
  // say so instead of letting a test time out. Only in a checkout; an installed package has no sources.
  const expected = launcherSourceKey();
  const built = readFileSync(complete, "utf8").trim();
  if (expected !== undefined && built !== expected) {
    throw new Error(
      `Flink ${install.version} in ${dir} was built from other tools/flink sources (${built}, these are ${expected}); run \`${BUILD_FLINK_COMMAND}\``,
    );
  }
  return install;
}

/**
 * The cache key scripts/build-binaries.sh writes to .complete: the first 12 hex digits of the SHA-256 of
 * tools/flink's pom.xml, jvm.options and src/ files, concatenated in byte order of their paths
 * (`find pom.xml jvm.options src -type f | LC_ALL=C sort | xargs cat | sha256sum`). Undefined without
 * the sources.
 */
export function launcherSourceKey(src = join(repoRoot, "tools/flink")): string | undefined {
  if (!existsSync(join(src, "pom.xml"))) return undefined;
  const files = ["pom.xml", "jvm.options", ...filesUnder(src, "src")].sort((a, b) =>
    Buffer.compare(Buffer.from(a), Buffer.from(b)),
  );
  const hash = createHash("sha256");
  for (const f of files) hash.update(readFileSync(join(src, f)));
  return hash.digest("hex").slice(0, 12);
}

function filesUnder(root: string, rel: string): string[] {
  return readdirSync(join(root, rel)).flatMap((name) => {
    const path = `${rel}/${name}`;
    return statSync(join(root, path)).isDirectory() ? filesUnder(root, path) : [path];
  });
}

/** The Python that runs PyFlink programs, or an error that names the command installing it. */
export function requirePython(install: FlinkInstall): string {
  if (!existsSync(install.pythonExecutable)) {
    throw new Error(
      `PyFlink ${install.version} is not installed (${install.pythonExecutable}); run \`${BUILD_FLINK_COMMAND}\``,
    );
  }
  return install.pythonExecutable;
}

/** The cluster classpath: the JVM expands `lib/*` to every jar in it. */
export function classpath(install: FlinkInstall): string {
  return join(install.libDir, "*");
}
