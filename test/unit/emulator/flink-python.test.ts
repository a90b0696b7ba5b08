import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  PYTHON_DRIVER,
  pythonProgram,
  pythonRunOptions,
  RUN_OPTIONS_GROUP,
  unpackCode,
  writeEmptyJar,
} from "../../../src/emulator/flink/python.js";
import { RuntimeFailure } from "../../../src/emulator/runtime.js";

const root = mkdtempSync(join(tmpdir(), "flink-python-unit-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// The layout of flink-app/pyflink/package.sh's ZIP, unpacked.
const code = join(root, "code");
mkdirSync(join(code, "lib"), { recursive: true });
writeFileSync(join(code, "main.py"), "print('hi')\n");
writeFileSync(join(code, "lib", "connector.jar"), "PK");
writeFileSync(join(code, "lib", "helpers.py"), "");
writeFileSync(join(code, "lib", "data.zip"), "PK");
writeFileSync(join(root, "outside.py"), "");
const empty = join(root, "empty.jar");

describe("PyFlink run options", () => {
  it("tell a PyFlink application from a Java one", () => {
    expect(pythonRunOptions([{ PropertyGroupId: "Input", PropertyMap: {} }])).toBeUndefined();
    expect(
      pythonRunOptions([{ PropertyGroupId: RUN_OPTIONS_GROUP, PropertyMap: { python: "main.py" } }]),
    ).toEqual({ python: "main.py" });
  });

  it("run PythonDriver with the program, the jarfile uploaded as the job's jar", () => {
    expect(pythonProgram({ python: "main.py", jarfile: "lib/connector.jar" }, code, empty)).toEqual({
      jarPath: join(code, "lib", "connector.jar"),
      entryClass: PYTHON_DRIVER,
      programArgs: ["-py", join(code, "main.py")],
      flinkConfiguration: {},
    });
  });

  it("pass pyFiles and pyArchives as the job's python.files and python.archives", () => {
    const p = pythonProgram(
      { python: "main.py", pyFiles: "lib/helpers.py, main.py", pyArchives: "lib/data.zip" },
      code,
      empty,
    );
    expect(p.jarPath).toBe(empty);
    expect(p.flinkConfiguration).toEqual({
      "python.files": `${join(code, "lib", "helpers.py")},${join(code, "main.py")}`,
      "python.archives": join(code, "lib", "data.zip"),
    });
  });

  it("refuse what Managed Flink refuses, naming the key", () => {
    const fails = (options: Record<string, string>, message: string) => {
      expect(() => pythonProgram(options, code, empty)).toThrow(RuntimeFailure);
      expect(() => pythonProgram(options, code, empty)).toThrow(message);
    };
    fails(
      { jarfile: "lib/connector.jar" },
      `${RUN_OPTIONS_GROUP}: python (the program's file in the code ZIP) is required`,
    );
    fails(
      { python: "main.py", pyModule: "main" },
      `${RUN_OPTIONS_GROUP}: pyModule is not supported by Managed Flink`,
    );
    fails({ python: "other.py" }, "python names other.py, which the code ZIP does not contain");
    fails({ python: "main.py", jarfile: "lib" }, "jarfile names lib, which the code ZIP does not contain");
    // Paths stay inside the code: nothing else on the machine can be named.
    fails({ python: "../outside.py" }, "python names ../outside.py");
    fails({ python: join(code, "main.py") }, "which the code ZIP does not contain");
  });
});

describe("the code ZIP", () => {
  const python = process.env.PYTHON ?? "python3";

  it("is unpacked once, with Python's zipfile", async () => {
    const zip = join(root, "code.zip");
    execFileSync(python, ["-m", "zipfile", "-c", zip, join(code, "main.py")]);
    const dir = join(root, "unpacked");
    await unpackCode(zip, dir, python);
    expect(readFileSync(join(dir, "main.py"), "utf8")).toBe("print('hi')\n");
    rmSync(zip);
    await unpackCode(zip, dir, python); // kept: not read again
  });

  it("that is not a ZIP fails with a clear text and leaves nothing behind", async () => {
    const notZip = join(root, "not.zip");
    writeFileSync(notZip, "not a zip");
    const dir = join(root, "bad");
    await expect(unpackCode(notZip, dir, python)).rejects.toThrow(
      "The application's code is not a readable ZIP file",
    );
    expect(() => readFileSync(join(dir, "main.py"))).toThrow();
  });

  it("an application without a jarfile uploads an empty jar", () => {
    const jar = writeEmptyJar(join(root, "e.jar"));
    expect(readFileSync(jar)).toHaveLength(22);
    expect(execFileSync(python, ["-m", "zipfile", "-l", jar], { encoding: "utf8" })).toContain("File Name");
  });
});
