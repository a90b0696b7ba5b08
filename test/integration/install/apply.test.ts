// The rendered chart and manifests/ against the real API server: `kubectl apply --dry-run=server` runs
// every object through authentication, admission, schema validation (CRDs included) and defaulting
// without persisting it.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../../src/localstack/binaries.js";
import { chartDir, helmTemplate, parseObjects } from "../../unit/install/tools.js";
import { Harness } from "../operator/harness.js";

const h = new Harness();
const suffix = randomBytes(3).toString("hex");
const releaseNs = `mfo-apply-${suffix}`;
const watched = [`team-a-${suffix}`, `team-b-${suffix}`];

beforeAll(async () => {
  await h.setUp();
  for (const ns of [releaseNs, ...watched]) await h.kubectlOk(["create", "namespace", ns]);
  await h.kubectlOk(["apply", "-f", join(repoRoot, "test/integration/install/servicemonitor-crd.yaml")]);
  await h.kubectlOk(["wait", "--for=condition=Established", "crd/servicemonitors.monitoring.coreos.com"]);
});

/** Applies with a server-side dry run and returns kubectl's per-object lines. */
async function dryRun(args: string[], stdin?: string): Promise<string[]> {
  const r = await h.kubectl(["apply", "--dry-run=server", ...args], stdin);
  // Objects created earlier without client-side apply (the CRD by the harness's server-side apply, the
  // namespace below) draw kubectl's "missing last-applied-configuration" warning; anything else fails.
  const stderr = r.stderr
    .split("\n")
    .filter(
      (l) =>
        l &&
        !/^Warning: resource .* is missing the kubectl\.kubernetes\.io\/last-applied-configuration/.test(l),
    )
    .filter(
      (l) => !/^kubectl apply should be used on resource created by|^patched automatically/.test(l.trim()),
    );
  expect(stderr).toEqual([]);
  expect(r.code).toBe(0);
  return r.stdout.trim().split("\n");
}

describe("the rendered chart applies to the real API server (server-side dry run)", () => {
  it("with the default values (cluster-wide, CRD included)", async () => {
    const yaml = helmTemplate({ release: "mfo", namespace: releaseNs });
    const lines = await dryRun(["-f", "-"], yaml);
    expect(lines).toHaveLength(parseObjects(yaml).length);
    expect(lines.every((l) => /\((server dry run)\)$/.test(l))).toBe(true);
    expect(lines.join("\n")).toMatch(/customresourcedefinition\.apiextensions\.k8s\.io\/flinkapplications/);
    expect(lines.join("\n")).toMatch(/deployment\.apps\/mfo-managed-flink-operator/);
  });

  it("with non-default values (namespaced RBAC, IRSA, ServiceMonitor, no CRD)", async () => {
    const values = parseObjects(readFileSync(join(chartDir, "ci/non-default-values.yaml"), "utf8"))[0]!;
    const yaml = helmTemplate({
      release: "mfo",
      namespace: releaseNs,
      values: { ...values, watchNamespaces: watched },
    });
    const lines = await dryRun(["-f", "-"], yaml);
    const out = lines.join("\n");
    expect(lines).toHaveLength(parseObjects(yaml).length);
    expect(out).toMatch(/servicemonitor\.monitoring\.coreos\.com\/mfo-managed-flink-operator/);
    // One Role and RoleBinding per watched namespace (kubectl prints names without namespaces).
    const perNamespace = lines.filter((l) =>
      l.startsWith("role.rbac.authorization.k8s.io/mfo-managed-flink-operator "),
    );
    expect(perNamespace).toHaveLength(watched.length);
    // Cluster-wide only the read-only tenancy role: FlinkApplicationPolicies are cluster-scoped, and the
    // watched namespaces' labels are read by name.
    expect(lines.filter((l) => /clusterrole/.test(l)).map((l) => l.split(" ")[0])).toEqual([
      "clusterrole.rbac.authorization.k8s.io/mfo-managed-flink-operator-tenancy",
      "clusterrolebinding.rbac.authorization.k8s.io/mfo-managed-flink-operator-tenancy",
    ]);
  });

  it("is rejected by the API server when a value breaks an object (the dry run is a real check)", async () => {
    const yaml = helmTemplate({
      release: "mfo",
      namespace: releaseNs,
      values: { crds: { install: false } },
    }).replace("minAvailable: 1", "minAvailable: -1");
    const r = await h.kubectl(["apply", "--dry-run=server", "-f", "-"], yaml);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/PodDisruptionBudget.*minAvailable/s);
  });
});

describe("manifests/ applies with kubectl apply -k (server-side dry run)", () => {
  it("applies every object in kustomization.yaml", async () => {
    // A dry-run Namespace is not there for the objects in it: create the namespace for real first.
    const ns = await h.kubectl(["create", "namespace", "managed-flink-system"]);
    expect(ns.code === 0 || /AlreadyExists/.test(ns.stderr)).toBe(true);
    const lines = await dryRun(["-k", join(repoRoot, "manifests")]);
    const out = lines.join("\n");
    for (const kind of [
      "namespace/managed-flink-system",
      "customresourcedefinition.apiextensions.k8s.io/flinkapplications.managedflink.dev",
      "serviceaccount/managed-flink-operator",
      "clusterrole.rbac.authorization.k8s.io/managed-flink-operator",
      "clusterrolebinding.rbac.authorization.k8s.io/managed-flink-operator",
      "role.rbac.authorization.k8s.io/managed-flink-operator-leader-election",
      "rolebinding.rbac.authorization.k8s.io/managed-flink-operator-leader-election",
      "service/managed-flink-operator-metrics",
      "deployment.apps/managed-flink-operator",
      "poddisruptionbudget.policy/managed-flink-operator",
    ]) {
      expect(out).toContain(kind);
    }
  });
});

describe("examples/gitops applies against the CRD (server-side dry run)", () => {
  it("the production overlay's FlinkApplications pass the CRD's validation", async () => {
    const ns = await h.kubectl(["create", "namespace", "orders"]);
    expect(ns.code === 0 || /AlreadyExists/.test(ns.stderr)).toBe(true);
    const lines = await dryRun(["-k", join(repoRoot, "examples/gitops/flink-applications/production")]);
    expect(lines).toEqual(["flinkapplication.managedflink.dev/orders-enrichment created (server dry run)"]);
  });
});
