// The install tooling the install tests drive: helm, kubectl, hadolint, lua5.4 and the kstatus probe.
// Each comes from scripts/build-binaries.sh (cached by version); a missing one is built on first use.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { binaryPaths, cacheDir, readVersions, repoRoot } from "../../../src/localstack/binaries.js";

export const chartDir = join(repoRoot, "charts/managed-flink-operator");
export const healthScript = join(chartDir, "health/flinkapplication.lua");
export const fixturesDir = join(repoRoot, "test/fixtures/health");

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

function ensure(target: string, path: string): string {
  if (!existsSync(path)) {
    execFileSync("bash", [join(repoRoot, "scripts/build-binaries.sh"), target], { stdio: "inherit" });
  }
  return path;
}

export const helmBin = () => ensure("helm", binaryPaths().helm);
export const kubectlBin = () => ensure("kubernetes", binaryPaths().kubectl);
export const hadolintBin = () => ensure("hadolint", join(cacheDir(), "venv/hadolint-2.15.1/bin/hadolint"));

/** The same cache path build_kstatus in scripts/build-binaries.sh computes. */
export function kstatusBin(): string {
  const src = join(repoRoot, "hack/kstatus");
  const gomod = readFileSync(join(src, "go.mod"), "utf8");
  const version = /^\s*sigs\.k8s\.io\/cli-utils\s+(\S+)/m.exec(gomod)?.[1];
  const key = createHash("sha256")
    .update(Buffer.concat(["go.mod", "go.sum", "main.go"].map((f) => readFileSync(join(src, f)))))
    .digest("hex")
    .slice(0, 12);
  return ensure("kstatus", join(cacheDir(), "bin", `kstatus-${version}-${key}`, "kstatus"));
}

/** A Debian Lua interpreter (lua5.4 or lua5.1), installed by scripts/build-binaries.sh lua when missing. */
export function luaBin(version: "5.4" | "5.1" = "5.4"): string {
  const which = () => spawnSync("sh", ["-c", `command -v lua${version}`], { encoding: "utf8" }).stdout.trim();
  if (!which())
    execFileSync("bash", [join(repoRoot, "scripts/build-binaries.sh"), "lua"], { stdio: "inherit" });
  return which() || `lua${version}`;
}

/** `helm template` of the chart; values go in as a file, as a user's values.yaml would. */
export function helmTemplate(
  opts: { release?: string; namespace?: string; values?: Record<string, unknown>; args?: string[] } = {},
): string {
  const dir = mkdtempSync(join(tmpdir(), "mfo-helm-"));
  try {
    const valuesFile = join(dir, "values.json");
    writeFileSync(valuesFile, JSON.stringify(opts.values ?? {}));
    return execFileSync(
      helmBin(),
      [
        "template",
        opts.release ?? "mfo",
        chartDir,
        "--namespace",
        opts.namespace ?? "mfo-system",
        "--kube-version",
        readVersions().KUBERNETES_VERSION,
        "-f",
        valuesFile,
        ...(opts.args ?? []),
      ],
      { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs helm and returns its exit code and output instead of throwing. */
export function helm(args: string[]): { code: number; output: string } {
  const r = spawnSync(helmBin(), args, { encoding: "utf8" });
  return { code: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

export function parseObjects(yamlText: string): KubeObject[] {
  return parseAllDocuments(yamlText)
    .map((d) => d.toJSON() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null && typeof o === "object");
}

export function find(objs: KubeObject[], kind: string, name?: string, namespace?: string): KubeObject {
  const o = objs.find(
    (x) =>
      x.kind === kind &&
      (name === undefined || x.metadata.name === name) &&
      (namespace === undefined || x.metadata.namespace === namespace),
  );
  if (!o) throw new Error(`no ${kind} ${namespace ?? ""}/${name ?? "*"} in the rendered chart`);
  return o;
}

/** A JSON value as a Lua table constructor (null becomes nil, as Argo CD's JSON-to-Lua conversion does). */
export function toLua(value: unknown): string {
  if (value === null || value === undefined) return "nil";
  if (typeof value === "boolean" || typeof value === "number") return String(value);
  if (typeof value === "string") {
    // Lua's decimal escape (\ddd) for quotes, backslashes and control characters; the rest is UTF-8 as is.
    const escaped = Array.from(value, (c) => {
      const code = c.codePointAt(0)!;
      return code < 32 || c === '"' || c === "\\" ? `\\${code.toString().padStart(3, "0")}` : c;
    }).join("");
    return `"${escaped}"`;
  }
  if (Array.isArray(value)) return `{${value.map(toLua).join(", ")}}`;
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `[${toLua(k)}] = ${toLua(v)}`)
    .join(", ")}}`;
}

export interface Health {
  status: string;
  message: string;
}

/**
 * Runs the chart's Argo CD health script in a real Lua interpreter the way Argo CD does: the object as
 * the global `obj`, the script's body as a chunk whose return value is the health.
 */
export function argoHealth(
  obj: unknown,
  script = readFileSync(healthScript, "utf8"),
  lua: "5.4" | "5.1" = "5.4",
): Health {
  const program = [
    `obj = ${toLua(obj)}`,
    `local check = function()\n${script}\nend`,
    "local hs = check()",
    'io.write(tostring(hs.status), "\\n", tostring(hs.message))',
  ].join("\n");
  const out = execFileSync(luaBin(lua), ["-"], { input: program, encoding: "utf8" });
  const [status = "", ...rest] = out.split("\n");
  return { status, message: rest.join("\n") };
}

/** What sigs.k8s.io/cli-utils' kstatus computes for the object (hack/kstatus). */
export function kstatus(obj: unknown): Health {
  return JSON.parse(execFileSync(kstatusBin(), { input: JSON.stringify(obj), encoding: "utf8" })) as Health;
}

export interface HealthFixture {
  /** The phase of the integration run it was recorded in. */
  phase: string;
  description: string;
  expected: { argocd: string; kstatus: string };
  object: KubeObject;
}

export function readHealthFixtures(): HealthFixture[] {
  return readdirSync(fixturesDir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(fixturesDir, f), "utf8")) as HealthFixture);
}
