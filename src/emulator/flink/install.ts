import { existsSync } from "node:fs";
import { join } from "node:path";
import { cacheDir, readVersions } from "../../localstack/binaries.js";

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
  const complete = join(install.libDir, "..", ".complete");
  if (!existsSync(complete) || !existsSync(join(install.libDir, LAUNCHER_JAR))) {
    throw new Error(
      `Flink ${install.version} is not installed in ${join(install.libDir, "..")}; run \`${BUILD_FLINK_COMMAND}\``,
    );
  }
  return install;
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
