import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { repoRoot } from "../../../src/localstack/binaries.js";
import { waitFor } from "../../../src/localstack/processes.js";
import { groupAlive, processesMatching } from "../../helpers/processes.js";
import { requireRealFlink } from "./fixtures.js";

describe("a Flink cluster's JVM", () => {
  it("stops when the Node process that started it is SIGKILLed", async () => {
    requireRealFlink([]);
    const workDir = mkdtempSync(join(inject("localStack").workDir, "flink-orphan-"));
    const parent = spawn(
      process.execPath,
      ["--import", "tsx", join(repoRoot, "test/fixtures/flink-crash-parent.ts"), workDir],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    parent.stdout.on("data", (d) => (out += d));
    const { pid } = await waitFor(
      async () => (out.includes("\n") ? (JSON.parse(out) as { pid: number }) : undefined),
      { timeoutMs: 90_000, description: "flink-crash-parent to start its cluster" },
    );
    expect(groupAlive(pid)).toBe(true);
    expect(processesMatching(workDir).some((p) => p.includes("java"))).toBe(true);
    parent.kill("SIGKILL");
    await waitFor(async () => !groupAlive(pid), {
      timeoutMs: 20_000,
      description: "the orphaned JVM to stop",
    });
    expect(processesMatching(workDir)).toEqual([]);
  });
});
