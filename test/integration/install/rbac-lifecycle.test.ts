// The controller acting as the chart's ServiceAccount under the chart's RBAC, nothing more: the chart's
// ServiceAccount and RBAC are applied to the real API server, a token is minted for the ServiceAccount
// with the TokenRequest API (`kubectl create token`), and runOperator runs with a kubeconfig holding only
// that bearer token, with leader election on in the release namespace, through create → RUNNING → stop →
// delete. Then calls outside the RBAC are shown to be denied, by `kubectl auth can-i --as` and by real
// requests that get 403.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OperatorConfig, RunningOperator } from "../../../src/controller/operator.js";
import { KubeApiError, KubeTransport } from "../../../src/controller/runtime/transport.js";
import { waitFor } from "../../../src/localstack/processes.js";
import { find, helmTemplate, type KubeObject, kubectlBin, parseObjects } from "../../unit/install/tools.js";
import { condition, Harness, isReady } from "../operator/harness.js";

const h = new Harness();
const suffix = randomBytes(3).toString("hex");
const releaseNs = `mfo-system-${suffix}`;
const release = `mfo-${suffix}`;
// Named as the default tenancy rules want: <namespace>-*, and so is its execution role.
const appName = `${h.namespace}-rbac-${suffix}`;
const sa = `${release}-managed-flink-operator`;
const saUser = `system:serviceaccount:${releaseNs}:${sa}`;

let rendered: KubeObject[];
let saKubeconfigPath: string;
let asSa: KubeTransport;
let operator: RunningOperator;
let leaseName: string;

/**
 * The operator's settings from the rendered Deployment's environment, read the way
 * src/controller/main.ts reads them, so the chart's env is what configures the controller under test.
 */
function configFromDeployment(deploy: KubeObject, kubeConfig: KubeConfig): Partial<OperatorConfig> {
  const env = Object.fromEntries(
    (
      deploy.spec as { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } }
    ).template.spec.containers[0]!.env.map((e) => [e.name, e.value]),
  );
  const seconds = (name: string) => Number(env[name]) * 1000;
  return {
    kubeConfig,
    watchNamespaces: (env.WATCH_NAMESPACES ?? "").split(",").filter(Boolean),
    resyncPeriodMs: seconds("RESYNC_PERIOD_SECONDS"),
    pollIntervalMs: seconds("POLL_INTERVAL_SECONDS"),
    concurrency: Number(env.MAX_CONCURRENT_RECONCILES),
    // The pod's downward-API values; POD_NAMESPACE is the release namespace.
    identity: `${release}-managed-flink-operator-7d9f-${suffix}`,
    leaderElection:
      env.LEADER_ELECT === "true"
        ? {
            namespace: releaseNs,
            name: env.LEADER_ELECTION_ID!,
            leaseDurationMs: seconds("LEASE_DURATION_SECONDS"),
            renewDeadlineMs: seconds("RENEW_DEADLINE_SECONDS"),
            retryPeriodMs: seconds("RETRY_PERIOD_SECONDS"),
          }
        : undefined,
    // metricsPort stays the harness's 0 (a free port): tests share the machine.
  };
}

beforeAll(async () => {
  await h.setUp();
  await h.kubectlOk(["create", "namespace", releaseNs]);
  await h.putCode("rbac-apps", "job/app.jar");
  // The chart as a namespaced install watching the test's namespace; CRDs come from h.setUp().
  rendered = parseObjects(
    helmTemplate({
      release,
      namespace: releaseNs,
      values: {
        watchNamespaces: [h.namespace],
        crds: { install: false },
        aws: { region: h.stack.region },
        pollIntervalSeconds: 1,
      },
    }),
  );
  await h.kubectlOk(["apply", "-f", "-"], rendered.map((o) => JSON.stringify(o)).join("\n"));

  const token = (await h.kubectlOk(["create", "token", sa, "-n", releaseNs, "--duration=1h"])).trim();
  const cluster = h.kc.getCurrentCluster()!;
  const saKc = new KubeConfig();
  saKc.loadFromOptions({
    clusters: [{ name: "local", server: cluster.server, caData: cluster.caData, skipTLSVerify: false }],
    users: [{ name: sa, token }],
    contexts: [{ name: sa, cluster: "local", user: sa }],
    currentContext: sa,
  });
  saKubeconfigPath = join(h.stack.workDir, `kubeconfig-${sa}`);
  writeFileSync(saKubeconfigPath, saKc.exportConfig(), { mode: 0o600 });
  asSa = new KubeTransport(saKc);

  const deploy = find(rendered, "Deployment");
  const cfg = configFromDeployment(deploy, saKc);
  leaseName = cfg.leaderElection!.name;
  operator = await h.startOperator(cfg);
});
afterAll(async () => {
  await h.tearDown();
  // Cluster-scoped objects outlive the test's namespaces; the stack is shared with later files (the
  // tenancy test shows the controller's own enforcement with no admission policy installed).
  const clusterScoped = rendered.filter((o) => !(o.metadata as { namespace?: string }).namespace);
  for (const o of clusterScoped.filter((x) => /ValidatingAdmissionPolicy/.test(String(x.kind)))) {
    await h.kubectl([
      "delete",
      String(o.kind),
      String((o.metadata as { name: string }).name),
      "--ignore-not-found",
    ]);
  }
});

/** kubectl with the ServiceAccount's token kubeconfig. */
async function kubectlAsSa(args: string[]) {
  const { spawn } = await import("node:child_process");
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const p = spawn(kubectlBin(), ["--kubeconfig", saKubeconfigPath, ...args]);
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("exit", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** `kubectl auth can-i` as the ServiceAccount; "resource#sub" asks about a subresource. */
async function canI(verb: string, resource: string, ns?: string, extra: string[] = []): Promise<string> {
  const [res, sub] = resource.split("#") as [string, string | undefined];
  const r = await h.kubectl([
    "auth",
    "can-i",
    verb,
    res,
    ...(sub ? [`--subresource=${sub}`] : []),
    `--as=${saUser}`,
    ...(ns ? ["-n", ns] : []),
    ...extra,
  ]);
  return r.stdout.trim();
}

async function statusOf(method: string, path: string, body?: unknown): Promise<number> {
  try {
    await asSa.request(method, path, {
      body,
      contentType: method === "PATCH" ? "application/merge-patch+json" : undefined,
    });
    return 200;
  } catch (e) {
    if (e instanceof KubeApiError) return e.statusCode;
    throw e;
  }
}

describe("the controller under the chart's ServiceAccount and RBAC", () => {
  it("authenticates as the chart's ServiceAccount with a TokenRequest token", async () => {
    const r = await kubectlAsSa(["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(saUser);
  });

  it("wins leader election on the chart's Lease in the release namespace", async () => {
    await waitFor(async () => operator.isLeader(), { timeoutMs: 20_000, description: "leadership" });
    const lease = JSON.parse(await h.kubectlOk(["get", "lease", leaseName, "-n", releaseNs, "-o", "json"]));
    expect(lease.spec.holderIdentity).toMatch(new RegExp(`^${release}-managed-flink-operator-`));
  });

  it("reports holding that Lease in leader_election_master_status", async () => {
    const text = await (await fetch(`http://127.0.0.1:${operator.port}/metrics`)).text();
    expect(text).toContain(`leader_election_master_status{name="${leaseName}"} 1`);
  });

  it("creates and starts a FlinkApplication: finalizer, RUNNING, Ready, Events", async () => {
    await h.apply(
      h.app(appName, {
        runtimeEnvironment: "FLINK-1_20",
        serviceExecutionRole: `arn:aws:iam::123456789012:role/${h.namespace}-flink`,
        desiredState: "Running",
        deletionPolicy: "Delete",
        code: { s3: { bucket: "rbac-apps", key: "job/app.jar" } },
      }),
    );
    const app = await h.waitForApp(
      appName,
      (o) => isReady(o) && o.status?.applicationStatus === "RUNNING",
      "RUNNING and Ready",
    );
    expect(app.metadata.finalizers).toContain("managedflink.dev/finalizer");
    expect(condition(app, "Stalled")?.status).toBe("False");
    const events = JSON.parse(await h.kubectlOk(["get", "events", "-n", h.namespace, "-o", "json"]))
      .items as {
      reason: string;
      reportingInstance: string;
    }[];
    expect(events.map((e) => e.reason)).toEqual(expect.arrayContaining(["Created", "Starting"]));
    expect(new Set(events.map((e) => e.reportingInstance))).toEqual(
      new Set([`${release}-managed-flink-operator-7d9f-${suffix}`]),
    );
  });

  it("stops it on desiredState Stopped", async () => {
    await h.mergePatch(appName, { spec: { desiredState: "Stopped" } });
    await h.waitForApp(appName, (o) => isReady(o) && o.status?.applicationStatus === "READY", "stopped");
  });

  it("deletes it: the AWS application goes, then the finalizer, then the object", async () => {
    await h.kubectlOk(["delete", "flinkapp", appName, "-n", h.namespace, "--wait=false"]);
    await waitFor(async () => (await h.get(appName)) === undefined, {
      timeoutMs: 30_000,
      description: `${appName} deleted`,
    });
    const ops = (await h.callsFor(appName)).filter((c) => !c.error).map((c) => c.operation);
    expect(ops).toContain("DeleteApplication");
  });

  it("logged no permission error while doing all that", async () => {
    // A 403 anywhere would have surfaced as a failed reconcile, a Warning event or a lost Lease.
    const events = JSON.parse(await h.kubectlOk(["get", "events", "-n", h.namespace, "-o", "json"]))
      .items as {
      message: string;
    }[];
    expect(events.filter((e) => /forbidden|403/i.test(e.message))).toEqual([]);
    expect(operator.isLeader()).toBe(true);
  });
});

describe("calls outside the chart's RBAC are denied", () => {
  it("kubectl auth can-i agrees with the rules, verb by verb", async () => {
    const ns = h.namespace;
    const allowed: [string, string, string | undefined][] = [
      ["list", "flinkapplications.managedflink.dev", ns],
      ["watch", "flinkapplications.managedflink.dev", ns],
      ["patch", "flinkapplications.managedflink.dev", ns],
      ["get", "flinkapplications.managedflink.dev#status", ns],
      ["patch", "flinkapplications.managedflink.dev#status", ns],
      ["update", "flinkapplications.managedflink.dev#finalizers", ns],
      ["create", "events", ns],
      // spec.environmentPropertiesFrom: ConfigMaps are read and watched, never written.
      ["list", "configmaps", ns],
      ["watch", "configmaps", ns],
      ["patch", "events", ns],
      ["create", "leases.coordination.k8s.io", releaseNs],
      ["get", `leases.coordination.k8s.io/${leaseName}`, releaseNs],
      ["update", `leases.coordination.k8s.io/${leaseName}`, releaseNs],
    ];
    const denied: [string, string, string | undefined][] = [
      ["list", "secrets", ns],
      ["get", "secrets", releaseNs],
      ["update", "configmaps", ns],
      ["create", "pods", ns],
      ["create", "flinkapplications.managedflink.dev", ns],
      ["update", "flinkapplications.managedflink.dev", ns],
      ["update", "flinkapplications.managedflink.dev#status", ns],
      ["patch", "flinkapplications.managedflink.dev#scale", ns],
      ["delete", "flinkapplications.managedflink.dev", ns],
      ["list", "flinkapplications.managedflink.dev", "default"],
      ["delete", "events", ns],
      ["create", "leases.coordination.k8s.io", ns],
      ["update", "leases.coordination.k8s.io/someone-elses-lease", releaseNs],
      ["delete", `leases.coordination.k8s.io/${leaseName}`, releaseNs],
      ["create", "customresourcedefinitions.apiextensions.k8s.io", undefined],
    ];
    for (const [verb, resource, where] of allowed) {
      expect(`${verb} ${resource} -n ${where}: ${await canI(verb, resource, where)}`).toBe(
        `${verb} ${resource} -n ${where}: yes`,
      );
    }
    for (const [verb, resource, where] of denied) {
      expect(`${verb} ${resource} -n ${where}: ${await canI(verb, resource, where)}`).toBe(
        `${verb} ${resource} -n ${where}: no`,
      );
    }
    expect(await canI("list", "flinkapplications.managedflink.dev", undefined, ["--all-namespaces"])).toBe(
      "no",
    );
  });

  it("real requests with the ServiceAccount's token get 403", async () => {
    const fa = "/apis/managedflink.dev/v1alpha1";
    expect(await statusOf("GET", `/api/v1/namespaces/${h.namespace}/secrets`)).toBe(403);
    expect(await statusOf("GET", `${fa}/namespaces/default/flinkapplications`)).toBe(403);
    expect(await statusOf("GET", `${fa}/flinkapplications`)).toBe(403);
    expect(
      await statusOf("PATCH", `/api/v1/namespaces/${h.namespace}/configmaps/kube-root-ca.crt`, {
        metadata: { labels: { x: "y" } },
      }),
    ).toBe(403);
    expect(await statusOf("DELETE", `${fa}/namespaces/${h.namespace}/flinkapplications/anything`)).toBe(403);
    // …while what the controller does is allowed.
    expect(await statusOf("GET", `${fa}/namespaces/${h.namespace}/flinkapplications`)).toBe(200);
  });

  it("kubectl with the token is refused the same way", async () => {
    const r = await kubectlAsSa(["get", "secrets", "-n", h.namespace]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`User "${saUser}" cannot list resource "secrets"`);
  });
});

describe("the cluster-wide install (default values)", () => {
  const cwRelease = `mfo-cw-${suffix}`;
  const cwNs = `mfo-cw-${suffix}`;
  const cwUser = `system:serviceaccount:${cwNs}:${cwRelease}-managed-flink-operator`;
  const can = async (verb: string, resource: string, extra: string[]) =>
    (await h.kubectl(["auth", "can-i", verb, resource, `--as=${cwUser}`, ...extra])).stdout.trim();

  it("grants FlinkApplications and Events in every namespace and nothing else", async () => {
    await h.kubectlOk(["create", "namespace", cwNs]);
    const objs = parseObjects(
      helmTemplate({ release: cwRelease, namespace: cwNs, values: { crds: { install: false } } }),
    );
    await h.kubectlOk(["apply", "-f", "-"], objs.map((o) => JSON.stringify(o)).join("\n"));
    const fa = "flinkapplications.managedflink.dev";
    // The RBAC authorizer reads bindings from its informer cache: wait until the new one is in it.
    await waitFor(async () => (await can("list", fa, ["--all-namespaces"])) === "yes", {
      timeoutMs: 10_000,
      description: "the ClusterRoleBinding to take effect",
    });
    expect(await can("watch", fa, ["--all-namespaces"])).toBe("yes");
    expect(await can("patch", fa, ["-n", "anywhere", "--subresource=status"])).toBe("yes");
    expect(await can("update", fa, ["-n", "anywhere", "--subresource=status"])).toBe("no");
    expect(await can("create", "events", ["-n", "anywhere"])).toBe("yes");
    expect(await can("list", "secrets", ["--all-namespaces"])).toBe("no");
    expect(await can("delete", fa, ["-n", "anywhere"])).toBe("no");
    expect(await can("create", "leases.coordination.k8s.io", ["-n", "anywhere"])).toBe("no");
    expect(await can("create", "leases.coordination.k8s.io", ["-n", cwNs])).toBe("yes");
    // Tenancy: policies and namespace labels are read, never written.
    expect(await can("watch", "flinkapplicationpolicies.managedflink.dev", [])).toBe("yes");
    expect(await can("update", "flinkapplicationpolicies.managedflink.dev", [])).toBe("no");
    expect(await can("list", "namespaces", [])).toBe("yes");
    expect(await can("patch", "namespaces", [])).toBe("no");
  });
});
