// What docs/install.md and examples/gitops/ tell users to copy must match what is shipped and tested.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../../src/localstack/binaries.js";
import { healthScript, kubectlBin, parseObjects } from "./tools.js";

const installDoc = readFileSync(join(repoRoot, "docs/install.md"), "utf8");
const gitops = join(repoRoot, "examples/gitops");
const healthKey = "resource.customizations.health.managedflink.dev_FlinkApplication";

describe("docs/install.md", () => {
  it("documents the argocd-cm snippet with the chart's Lua health check verbatim", () => {
    const yamlBlock = /```yaml\n(apiVersion: v1\nkind: ConfigMap\n[\s\S]*?)```/.exec(installDoc)?.[1];
    expect(yamlBlock).toBeDefined();
    const cm = parseObjects(yamlBlock!)[0] as unknown as {
      metadata: { name: string };
      data: Record<string, string>;
    };
    expect(cm.metadata.name).toBe("argocd-cm");
    expect(cm.data[healthKey]).toBe(readFileSync(healthScript, "utf8"));
  });

  it("links files that exist", () => {
    for (const [, link] of installDoc.matchAll(/\]\(((?:\.\.\/|adr\/)[^)#]+)\)/g)) {
      expect(existsSync(join(repoRoot, "docs", link!)), link).toBe(true);
    }
  });
});

describe("examples/gitops", () => {
  const overlay = join(gitops, "flink-applications/production");
  const built = parseObjects(execFileSync(kubectlBin(), ["kustomize", overlay], { encoding: "utf8" }));

  it("builds the production overlay into FlinkApplications in orders (names orders-*: the default tenancy rules)", () => {
    expect(built.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      "FlinkApplication orders/orders-enrichment",
    ]);
    expect((built[0]!.spec as { parallelism: { parallelism: number } }).parallelism.parallelism).toBe(8);
  });

  it("the Flux Kustomization health-checks exactly the FlinkApplications the overlay builds", () => {
    const docs = parseObjects(readFileSync(join(gitops, "flux-kustomization.yaml"), "utf8"));
    const ks = docs.find((d) => d.kind === "Kustomization")!;
    const spec = ks.spec as {
      path: string;
      healthChecks: { kind: string; name: string; namespace: string }[];
    };
    expect(join(repoRoot, spec.path)).toBe(overlay);
    expect(spec.healthChecks.map((c) => `${c.kind} ${c.namespace}/${c.name}`)).toEqual(
      built.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`),
    );
  });

  it("the Argo CD Application syncs the same overlay into the same namespace", () => {
    const app = parseObjects(readFileSync(join(gitops, "argocd-application.yaml"), "utf8"))[0]!;
    const spec = app.spec as { source: { path: string }; destination: { namespace: string } };
    expect(join(repoRoot, spec.source.path)).toBe(overlay);
    expect(spec.destination.namespace).toBe("orders");
  });
});
