// manifests/ is the chart rendered by charts/render-manifests.sh; these fail when the two drift apart
// (fix: `bash charts/render-manifests.sh` and commit the result).
import { execFileSync } from "node:child_process";
import {
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../../src/localstack/binaries.js";
import { chartDir, helmBin, parseObjects } from "./tools.js";

const manifests = join(repoRoot, "manifests");
const rendered = mkdtempSync(join(tmpdir(), "mfo-manifests-"));
afterAll(() => rmSync(rendered, { recursive: true, force: true }));

const yamlFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort();

describe("manifests/ equals the rendered chart", () => {
  execFileSync("bash", [join(repoRoot, "charts/render-manifests.sh"), "--out", rendered], {
    env: { ...process.env, HELM: helmBin() },
    stdio: ["ignore", "ignore", "pipe"],
  });

  it("has the same files", () => {
    expect(yamlFiles(manifests)).toEqual(yamlFiles(rendered));
  });

  it.each(yamlFiles(rendered))("%s is identical", (file) => {
    expect(readFileSync(join(manifests, file), "utf8")).toBe(readFileSync(join(rendered, file), "utf8"));
  });

  it("reads the CRD in the chart from manifests/crds through a symlink, so it cannot go stale", () => {
    const link = join(chartDir, "files/crds");
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe("../../../manifests/crds");
    expect(realpathSync(link)).toBe(realpathSync(join(manifests, "crds")));
  });

  it("lists every manifest and the CRD in kustomization.yaml", () => {
    const k = parseObjects(readFileSync(join(manifests, "kustomization.yaml"), "utf8"))[0] as unknown as {
      resources: string[];
    };
    const expected = [
      ...yamlFiles(manifests).filter((f) => f !== "kustomization.yaml"),
      ...yamlFiles(join(manifests, "crds")).map((f) => `crds/${f}`),
    ];
    expect([...k.resources].sort()).toEqual(expected.sort());
  });
});
