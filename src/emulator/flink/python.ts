import { execFile } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { RuntimeFailure } from "../runtime.js";
import type { PropertyGroup } from "./config.js";

/**
 * PyFlink applications (docs/adr/0020-pyflink-on-real-flink.md). Managed Flink tells a Python
 * application from a Java one by this property group, whose keys name files inside the code ZIP:
 * `python` (the program), `jarfile` (Java dependencies such as connectors), `pyFiles`, `pyArchives`;
 * `pyModule`, `pyExecutable` and `pyRequirements` are not supported ("Create your Managed Service for
 * Apache Flink Python application", AWS developer guide, how-python-creating.html).
 */
export const RUN_OPTIONS_GROUP = "kinesis.analytics.flink.run.options";
/** What `flink run -py` runs: it starts the program in a Python process talking to this JVM (Py4J). */
export const PYTHON_DRIVER = "org.apache.flink.client.python.PythonDriver";
const UNSUPPORTED = ["pyModule", "pyExecutable", "pyRequirements"] as const;

/** What a PyFlink application's run submits: the jar to upload, PythonDriver's arguments, job settings. */
export interface PythonProgram {
  /** The `jarfile`, or an empty jar: Flink's REST API runs a program only from an uploaded jar. */
  jarPath: string;
  entryClass: string;
  programArgs: string[];
  /** Per-job configuration (JarRunRequestBody.flinkConfiguration): `python.files`, `python.archives`. */
  flinkConfiguration: Record<string, string>;
}

/** The application's run options when it is a PyFlink application, else undefined (a Java jar). */
export function pythonRunOptions(groups: readonly PropertyGroup[]): Record<string, string> | undefined {
  return groups.find((g) => g.PropertyGroupId === RUN_OPTIONS_GROUP)?.PropertyMap;
}

/**
 * The PythonDriver run for run options whose paths are relative to the unpacked ZIP in `codeDir`.
 * Throws RuntimeFailure naming the key when an option is unsupported, missing, or names a file the
 * ZIP does not hold.
 */
export function pythonProgram(
  options: Record<string, string>,
  codeDir: string,
  emptyJar: string,
): PythonProgram {
  for (const key of UNSUPPORTED) {
    if (options[key] !== undefined) {
      throw new RuntimeFailure(`${RUN_OPTIONS_GROUP}: ${key} is not supported by Managed Flink`);
    }
  }
  if (!options.python?.trim()) {
    throw new RuntimeFailure(`${RUN_OPTIONS_GROUP}: python (the program's file in the code ZIP) is required`);
  }
  const file = (key: string, path: string) => insideCode(codeDir, key, path.trim());
  const flinkConfiguration: Record<string, string> = {};
  // The Flink CLI's --pyFiles and --pyArchives become these keys; PythonDriver itself takes only -py.
  if (options.pyFiles?.trim()) flinkConfiguration["python.files"] = list(options.pyFiles, "pyFiles", file);
  if (options.pyArchives?.trim())
    flinkConfiguration["python.archives"] = list(options.pyArchives, "pyArchives", file);
  return {
    jarPath: options.jarfile?.trim() ? file("jarfile", options.jarfile) : emptyJar,
    entryClass: PYTHON_DRIVER,
    programArgs: ["-py", file("python", options.python)],
    flinkConfiguration,
  };
}

function list(value: string, key: string, file: (key: string, path: string) => string): string {
  return value
    .split(",")
    .filter((p) => p.trim())
    .map((p) => file(key, p))
    .join(",");
}

/** An absolute path inside `codeDir` that exists; a path that leaves it is refused like a missing one. */
function insideCode(codeDir: string, key: string, path: string): string {
  const abs = resolve(codeDir, path);
  const rel = relative(codeDir, abs);
  if (isAbsolute(path) || rel === "" || rel.startsWith("..") || !existsSync(abs) || !statSync(abs).isFile()) {
    throw new RuntimeFailure(
      `${RUN_OPTIONS_GROUP}: ${key} names ${path}, which the code ZIP does not contain`,
    );
  }
  return abs;
}

const run = promisify(execFile);

/**
 * Unpacks the code ZIP into `dir` (once: a finished directory is kept) with Python's zipfile, which
 * PyFlink needs anyway and which drops absolute and `..` member paths.
 */
export async function unpackCode(zipPath: string, dir: string, python: string): Promise<void> {
  if (existsSync(dir)) return;
  const tmp = `${dir}.part`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    await run(python, ["-m", "zipfile", "-e", zipPath, tmp]);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    const detail = (err as { stderr?: string }).stderr?.trim().split("\n").at(-1) ?? String(err);
    throw new RuntimeFailure(`The application's code is not a readable ZIP file: ${detail}`);
  }
  renameSync(tmp, dir);
}

/** An empty ZIP (its end-of-central-directory record alone), which Flink accepts as a jar. */
export function writeEmptyJar(path: string): string {
  if (!existsSync(path)) writeFileSync(path, Buffer.concat([Buffer.from("PK\x05\x06"), Buffer.alloc(18)]));
  return path;
}
