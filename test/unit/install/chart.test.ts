// The Helm chart: lint, render with default and non-default values, and the properties the install
// promises (docs/install.md). Applying the output to a real API server is test/integration/install.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ruleProperties } from "../../../src/crds/flinkapplicationpolicy.js";
import { repoRoot } from "../../../src/localstack/binaries.js";
import { admissionDefaults } from "../../../src/policy/admission.js";
import { defaultsFromEnv } from "../../../src/policy/index.js";
import { builtInDefaults } from "../../../src/policy/rules.js";
import { chartDir, find, helm, helmTemplate, type KubeObject, parseObjects } from "./tools.js";

type Container = {
  env: { name: string; value?: string; valueFrom?: unknown }[];
  securityContext: Record<string, unknown>;
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  ports: { name: string; containerPort: number }[];
  resources: { requests?: Record<string, string> };
  image: string;
};
type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };

const container = (d: KubeObject) =>
  (d.spec as { template: { spec: { containers: Container[] } } }).template.spec.containers[0]!;
const podSpec = (d: KubeObject) => (d.spec as { template: { spec: Record<string, unknown> } }).template.spec;
const env = (d: KubeObject) =>
  Object.fromEntries(container(d).env.map((e) => [e.name, e.value ?? e.valueFrom]));
const rules = (o: KubeObject) => o.rules as Rule[];

/** Rules as "group/resource: verbs", the way the RBAC docs read. */
const ruleLines = (o: KubeObject) =>
  rules(o).map(
    (r) =>
      `${r.apiGroups.join(",") || "core"}/${r.resources.join(",")}${r.resourceNames ? `[${r.resourceNames.join(",")}]` : ""}: ${r.verbs.join(",")}`,
  );

const watchRules = [
  "managedflink.dev/flinkapplications: get,list,watch,patch",
  "managedflink.dev/flinkapplications/status: get,patch",
  "managedflink.dev/flinkapplications/finalizers: update",
  "core/events: create,patch",
  // spec.environmentPropertiesFrom: watched, never written; Secrets are not read at all.
  "core/configmaps: get,list,watch",
];

const nonDefault = {
  replicaCount: 3,
  image: {
    repository: "registry.example.com/platform/managed-flink-operator",
    digest: `sha256:${"a".repeat(64)}`,
  },
  logLevel: "debug",
  aws: { region: "eu-west-1" },
  watchNamespaces: ["team-a", "team-b"],
  resyncPeriodSeconds: 600,
  pollIntervalSeconds: 5,
  maxConcurrentReconciles: 8,
  health: { intervalSeconds: 300, maxMillisBehindLatest: 600000 },
  artifacts: { allowedHosts: ["repo.example.com", "artifacts.internal"], allowedCidrs: ["10.0.0.0/8"] },
  leaderElection: { leaseName: "mfo-leader", leaseDurationSeconds: 30, renewDeadlineSeconds: 20 },
  serviceAccount: {
    name: "flink-operator",
    annotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/managed-flink-operator" },
  },
  crds: { install: false },
  metrics: {
    port: 9090,
    serviceMonitor: { enabled: true, labels: { release: "prometheus" } },
    grafanaDashboard: { enabled: true },
  },
  podDisruptionBudget: { minAvailable: 2 },
  resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "512Mi" } },
  priorityClassName: "system-cluster-critical",
  nodeSelector: { "kubernetes.io/os": "linux" },
  extraEnv: [{ name: "AWS_ENDPOINT_URL_KINESIS_ANALYTICS_V2", value: "https://vpce.example.com" }],
  tenancy: {
    defaults: {
      artifactUploads: [{ bucket: "platform-artifacts", keyPrefix: "flink-applications/" }],
      allowAdoption: true,
    },
    admissionPolicy: { enabled: false },
  },
};

const pick = <T extends object>(o: T, keys: readonly (keyof T)[]) =>
  Object.fromEntries(keys.map((k) => [k, o[k]]));

describe("helm lint", () => {
  it("passes with the default values", () => {
    const r = helm(["lint", "--strict", chartDir]);
    expect(r.output).toContain("1 chart(s) linted, 0 chart(s) failed");
    expect(r.code).toBe(0);
  });

  it("passes with non-default values (namespaced, IRSA, ServiceMonitor, no CRDs)", () => {
    const file = join(chartDir, "ci/non-default-values.yaml");
    const lint = helm(["lint", "--strict", chartDir, "-f", file]);
    expect(lint.output).toContain("0 chart(s) failed");
    expect(lint.code).toBe(0);
  });

  it("ships ci/non-default-values.yaml equal to the values this test renders", () => {
    const file = readFileSync(join(chartDir, "ci/non-default-values.yaml"), "utf8");
    expect(parseObjects(file)[0]).toEqual(nonDefault);
  });
});

describe("helm template with the default values", () => {
  const objs = parseObjects(helmTemplate());
  const deploy = find(objs, "Deployment", "mfo-managed-flink-operator", "mfo-system");

  it("injects no Service environment variables into the controller (enableServiceLinks: false)", () => {
    expect(
      (deploy.spec as { template: { spec: Record<string, unknown> } }).template.spec.enableServiceLinks,
    ).toBe(false);
  });

  it("renders exactly the documented objects", () => {
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      [
        "ClusterRole/mfo-managed-flink-operator",
        "ClusterRoleBinding/mfo-managed-flink-operator",
        "ClusterRole/mfo-managed-flink-operator-tenancy",
        "ClusterRoleBinding/mfo-managed-flink-operator-tenancy",
        "ValidatingAdmissionPolicy/flinkapplicationpolicies.managedflink.dev",
        "ValidatingAdmissionPolicyBinding/flinkapplicationpolicies.managedflink.dev",
        "ValidatingAdmissionPolicy/flinkapplicationdefaults.managedflink.dev",
        "ValidatingAdmissionPolicyBinding/flinkapplicationdefaults.managedflink.dev",
        "CustomResourceDefinition/flinkapplications.managedflink.dev",
        "CustomResourceDefinition/flinkapplicationpolicies.managedflink.dev",
        "Deployment/mfo-managed-flink-operator",
        "PodDisruptionBudget/mfo-managed-flink-operator",
        "Role/mfo-managed-flink-operator-leader-election",
        "RoleBinding/mfo-managed-flink-operator-leader-election",
        "Service/mfo-managed-flink-operator-metrics",
        "ServiceAccount/mfo-managed-flink-operator",
      ].sort(),
    );
  });

  it("runs two replicas with leader election on a Lease in the release namespace", () => {
    expect((deploy.spec as { replicas: number }).replicas).toBe(2);
    expect(env(deploy)).toMatchObject({
      LEADER_ELECT: "true",
      LEADER_ELECTION_ID: "mfo-managed-flink-operator",
      POD_NAMESPACE: { fieldRef: { fieldPath: "metadata.namespace" } },
      POD_NAME: { fieldRef: { fieldPath: "metadata.name" } },
    });
  });

  it("probes /healthz and /readyz on the metrics port", () => {
    const c = container(deploy);
    expect(c.ports).toEqual([{ name: "metrics", containerPort: 8080, protocol: "TCP" }]);
    expect(c.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "metrics" });
    expect(c.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "metrics" });
    expect(env(deploy).METRICS_PORT).toBe("8080");
  });

  it("is locked down: non-root, read-only root, no privilege escalation, RuntimeDefault, no capabilities", () => {
    expect(podSpec(deploy).securityContext).toEqual({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(container(deploy).securityContext).toEqual({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(container(deploy).resources.requests).toEqual({ cpu: "50m", memory: "128Mi" });
  });

  it("sets only environment variables the controller reads", () => {
    // Every `env.NAME`, `process.env.NAME`, `intEnv("NAME"` and `numberEnv("NAME"` in the shipped source (the artifact
    // allowlist is read by src/artifacts/policy.ts from the environment main.ts hands it).
    const read = new Set<string>();
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) {
          for (const m of readFileSync(path, "utf8").matchAll(
            /(?:env\.|(?:int|number)Env\(")([A-Z][A-Z0-9_]+)/g,
          ))
            read.add(m[1]!);
        }
      }
    };
    for (const dir of ["src/controller", "src/artifacts", "src/aws", "src/policy", "src/health"])
      walk(join(repoRoot, dir));
    const set = container(deploy).env.map((e) => e.name);
    expect(set.filter((n) => !read.has(n))).toEqual([]);
    expect(set).toEqual(expect.arrayContaining(["ARTIFACT_ALLOWED_HOSTS", "ARTIFACT_ALLOWED_CIDRS"]));
    // Without aws.region the chart leaves AWS_REGION to the environment (IRSA's webhook sets it).
    expect(set).not.toContain("AWS_REGION");
  });

  it("grants cluster-wide only the FlinkApplication, Event and ConfigMap verbs the controller uses", () => {
    expect(ruleLines(find(objs, "ClusterRole"))).toEqual(watchRules);
    const binding = find(objs, "ClusterRoleBinding");
    expect(binding.subjects).toEqual([
      { kind: "ServiceAccount", name: "mfo-managed-flink-operator", namespace: "mfo-system" },
    ]);
  });

  it("grants Lease access only in the release namespace, get and update only on its own Lease", () => {
    const role = find(objs, "Role", "mfo-managed-flink-operator-leader-election", "mfo-system");
    expect(ruleLines(role)).toEqual([
      "coordination.k8s.io/leases: create",
      "coordination.k8s.io/leases[mfo-managed-flink-operator]: get,update",
    ]);
  });

  it.each(["flinkapplications.managedflink.dev", "flinkapplicationpolicies.managedflink.dev"])(
    "installs the CRD %s as a template Helm upgrades, kept on uninstall",
    (name) => {
      const crd = find(objs, "CustomResourceDefinition", name);
      expect((crd.metadata.annotations as Record<string, string>)["helm.sh/resource-policy"]).toBe("keep");
      const generated = parseObjects(readFileSync(join(repoRoot, `manifests/crds/${name}.yaml`), "utf8"))[0]!;
      expect(crd.spec).toEqual(generated.spec);
    },
  );

  it("passes empty tenancy defaults (the safe ones) and ships the admission policy bound to every FlinkApplicationPolicy", () => {
    expect(env(deploy).DEFAULT_POLICY).toBe("{}");
    const vap = find(objs, "ValidatingAdmissionPolicy") as KubeObject & {
      spec: { paramKind: unknown; matchConditions: { expression: string }[]; validations: unknown[] };
    };
    expect(vap.spec.paramKind).toEqual({
      apiVersion: "managedflink.dev/v1alpha1",
      kind: "FlinkApplicationPolicy",
    });
    // The operator's own service account is exempt, so it can always remove its finalizer.
    expect(vap.spec.matchConditions[0]!.expression).toBe(
      "request.userInfo.username != 'system:serviceaccount:mfo-system:mfo-managed-flink-operator'",
    );
    expect(vap.metadata.labels).toMatchObject({ "app.kubernetes.io/name": "managed-flink-operator" });
    expect(find(objs, "ValidatingAdmissionPolicyBinding").spec).toEqual({
      policyName: "flinkapplicationpolicies.managedflink.dev",
      paramRef: { selector: {}, parameterNotFoundAction: "Allow" },
      validationActions: ["Deny"],
    });
  });

  it("renders the controller's built-in defaults into both admission policies, and checks them where no policy label is", () => {
    for (const name of [
      "flinkapplicationpolicies.managedflink.dev",
      "flinkapplicationdefaults.managedflink.dev",
    ]) {
      const vap = find(objs, "ValidatingAdmissionPolicy", name) as KubeObject & {
        spec: { variables: { name: string; expression: string }[] };
      };
      const rendered = Object.fromEntries(
        vap.spec.variables
          .filter((v) => v.name.startsWith("default_"))
          .map((v) => [v.name.slice("default_".length), JSON.parse(v.expression)]),
      );
      expect(rendered).toEqual(pick(builtInDefaults, admissionDefaults));
    }
    expect(
      find(objs, "ValidatingAdmissionPolicyBinding", "flinkapplicationdefaults.managedflink.dev").spec,
    ).toEqual({
      policyName: "flinkapplicationdefaults.managedflink.dev",
      matchResources: {
        namespaceSelector: {
          matchExpressions: [{ key: "managedflink.dev/policy", operator: "DoesNotExist" }],
        },
      },
      validationActions: ["Deny"],
    });
  });

  it("renders tenancy.defaults over the built-in ones (the opt-out of a single-tenant install)", () => {
    const optOut = parseObjects(
      helmTemplate({
        values: { tenancy: { defaults: { applicationNames: ["*"], serviceExecutionRoles: ["*"] } } },
      }),
    );
    const vap = find(
      optOut,
      "ValidatingAdmissionPolicy",
      "flinkapplicationdefaults.managedflink.dev",
    ) as KubeObject & {
      spec: { variables: { name: string; expression: string }[] };
    };
    const v = (n: string) => vap.spec.variables.find((x) => x.name === `default_${n}`)!.expression;
    expect([v("applicationNames"), v("serviceExecutionRoles"), JSON.parse(v("encryptionKeys"))]).toEqual([
      '["*"]',
      '["*"]',
      builtInDefaults.encryptionKeys,
    ]);
    expect(JSON.parse(env(find(optOut, "Deployment")).DEFAULT_POLICY as string)).toEqual({
      applicationNames: ["*"],
      serviceExecutionRoles: ["*"],
    });
  });

  it("exposes every tenancy rule in values.schema.json, as the CRD defines it", () => {
    const schema = JSON.parse(readFileSync(join(chartDir, "values.schema.json"), "utf8"));
    expect(Object.keys(schema.properties.tenancy.properties.defaults.properties)).toEqual(
      Object.keys(ruleProperties),
    );
  });

  it("keeps at least one replica through voluntary disruptions", () => {
    expect(find(objs, "PodDisruptionBudget").spec).toMatchObject({ minAvailable: 1 });
  });
});

describe("helm template with non-default values", () => {
  const objs = parseObjects(helmTemplate({ values: nonDefault }));
  const deploy = find(objs, "Deployment");

  it("passes every setting to the controller's environment", () => {
    expect(env(deploy)).toMatchObject({
      LOG_LEVEL: "debug",
      AWS_REGION: "eu-west-1",
      WATCH_NAMESPACES: "team-a,team-b",
      RESYNC_PERIOD_SECONDS: "600",
      POLL_INTERVAL_SECONDS: "5",
      HEALTH_INTERVAL_SECONDS: "300",
      HEALTH_MAX_MILLIS_BEHIND_LATEST: "600000",
      MAX_CONCURRENT_RECONCILES: "8",
      ARTIFACT_ALLOWED_HOSTS: "repo.example.com,artifacts.internal",
      ARTIFACT_ALLOWED_CIDRS: "10.0.0.0/8",
      METRICS_PORT: "9090",
      LEADER_ELECTION_ID: "mfo-leader",
      LEASE_DURATION_SECONDS: "30",
      RENEW_DEADLINE_SECONDS: "20",
      AWS_ENDPOINT_URL_KINESIS_ANALYTICS_V2: "https://vpce.example.com",
    });
    expect(container(deploy).image).toBe(
      `registry.example.com/platform/managed-flink-operator@sha256:${"a".repeat(64)}`,
    );
    expect((deploy.spec as { replicas: number }).replicas).toBe(3);
  });

  it("passes tenancy.defaults as DEFAULT_POLICY, which the controller accepts, and can leave admission out", () => {
    const raw = env(deploy).DEFAULT_POLICY as string;
    expect(JSON.parse(raw)).toEqual(nonDefault.tenancy.defaults);
    expect(defaultsFromEnv("eu-west-1", { DEFAULT_POLICY: raw })).toMatchObject({
      artifactUploads: nonDefault.tenancy.defaults.artifactUploads,
      codeSources: nonDefault.tenancy.defaults.artifactUploads,
      regions: ["eu-west-1"],
      allowAdoption: true,
    });
    expect(objs.some((o) => o.kind.startsWith("ValidatingAdmissionPolicy"))).toBe(false);
  });

  it("annotates the ServiceAccount for IRSA", () => {
    const sa = find(objs, "ServiceAccount", "flink-operator", "mfo-system");
    expect(sa.metadata.annotations).toEqual({
      "eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/managed-flink-operator",
    });
    expect(podSpec(deploy).serviceAccountName).toBe("flink-operator");
  });

  it("limits RBAC to the watched namespaces: a Role per namespace; cluster-wide only reading policies and those namespaces", () => {
    expect(
      objs.filter((o) => o.kind.startsWith("Cluster")).map((o) => `${o.kind}/${o.metadata.name}`),
    ).toEqual([
      "ClusterRole/mfo-managed-flink-operator-tenancy",
      "ClusterRoleBinding/mfo-managed-flink-operator-tenancy",
    ]);
    expect(ruleLines(find(objs, "ClusterRole", "mfo-managed-flink-operator-tenancy"))).toEqual([
      "managedflink.dev/flinkapplicationpolicies: get,list,watch",
      "core/namespaces[team-a,team-b]: get,list,watch",
    ]);
    for (const ns of ["team-a", "team-b"]) {
      expect(ruleLines(find(objs, "Role", "mfo-managed-flink-operator", ns))).toEqual(watchRules);
      expect(find(objs, "RoleBinding", "mfo-managed-flink-operator", ns).subjects).toEqual([
        { kind: "ServiceAccount", name: "flink-operator", namespace: "mfo-system" },
      ]);
    }
    expect(ruleLines(find(objs, "Role", "mfo-managed-flink-operator-leader-election", "mfo-system"))).toEqual(
      ["coordination.k8s.io/leases: create", "coordination.k8s.io/leases[mfo-leader]: get,update"],
    );
  });

  it("renders the ServiceMonitor on the metrics port and leaves the CRD out", () => {
    const sm = find(objs, "ServiceMonitor");
    expect(sm.metadata.labels).toMatchObject({ release: "prometheus" });
    expect(sm.spec).toMatchObject({ endpoints: [{ port: "metrics", path: "/metrics" }] });
    expect(find(objs, "Service").spec).toMatchObject({ ports: [{ port: 8080, targetPort: "metrics" }] });
    expect(objs.some((o) => o.kind === "CustomResourceDefinition")).toBe(false);
    expect(find(objs, "PodDisruptionBudget").spec).toMatchObject({ minAvailable: 2 });
  });

  it("renders no PodDisruptionBudget for a single replica (it would block every drain)", () => {
    const single = parseObjects(helmTemplate({ values: { replicaCount: 1 } }));
    expect(single.some((o) => o.kind === "PodDisruptionBudget")).toBe(false);
  });
});

describe("values.schema.json", () => {
  const schema = JSON.parse(readFileSync(join(chartDir, "values.schema.json"), "utf8")) as {
    properties: Record<string, { properties?: Record<string, unknown> }>;
  };
  const values = parseObjects(readFileSync(join(chartDir, "values.yaml"), "utf8"))[0] as unknown as Record<
    string,
    unknown
  >;

  it("covers every value in values.yaml, nested ones included", () => {
    const missing: string[] = [];
    const walk = (
      v: unknown,
      s: { properties?: Record<string, unknown>; type?: string } | undefined,
      at: string,
    ) => {
      if (!s) return missing.push(at);
      if (v && typeof v === "object" && !Array.isArray(v) && s.properties) {
        for (const [k, child] of Object.entries(v)) walk(child, s.properties[k] as typeof s, `${at}.${k}`);
      }
    };
    for (const [k, v] of Object.entries(values)) walk(v, schema.properties[k], k);
    expect(missing).toEqual([]);
  });

  it.each([
    ["an unknown key", ["--set", "replicas=2"], "additional properties 'replicas' not allowed"],
    ["a log level pino does not know", ["--set", "logLevel=verbose"], "/logLevel"],
    ["a region that is not one", ["--set", "aws.region=Europe"], "/aws/region"],
    ["zero concurrency", ["--set", "maxConcurrentReconciles=0"], "/maxConcurrentReconciles"],
    ["a namespace that is not a DNS label", ["--set", "watchNamespaces={Team_A}"], "/watchNamespaces/0"],
    ["a CIDR that is not one", ["--set", "artifacts.allowedCidrs={ten}"], "/artifacts/allowedCidrs/0"],
  ])("rejects %s", (_what, args, message) => {
    const r = helm(["template", "x", chartDir, "--kube-version", "v1.34.4", ...args]);
    expect(r.code).not.toBe(0);
    expect(r.output).toContain(message);
  });
});

describe("helm template with metrics.auth.enabled", () => {
  const objs = parseObjects(helmTemplate({ values: { metrics: { auth: { enabled: true } } } }));
  const deploy = find(objs, "Deployment", "mfo-managed-flink-operator", "mfo-system");
  // biome-ignore lint/suspicious/noExplicitAny: the rendered pod spec is read loosely.
  const container = (deploy.spec as any).template.spec.containers[0];

  it("turns on METRICS_AUTH and moves the anonymous probes to their own port", () => {
    const env = Object.fromEntries(
      container.env.map((e: { name: string; value?: string }) => [e.name, e.value]),
    );
    expect(env).toMatchObject({ METRICS_AUTH: "true", HEALTH_PROBE_PORT: "8081", METRICS_PORT: "8080" });
    expect(container.ports.map((p: { name: string }) => p.name)).toEqual(["metrics", "probes"]);
    expect(container.livenessProbe.httpGet.port).toBe("probes");
    expect(container.readinessProbe.httpGet.port).toBe("probes");
  });

  it("lets the controller create TokenReviews and SubjectAccessReviews, and offers a metrics-reader role", () => {
    expect(ruleLines(find(objs, "ClusterRole", "mfo-managed-flink-operator-metrics-auth"))).toEqual([
      "authentication.k8s.io/tokenreviews: create",
      "authorization.k8s.io/subjectaccessreviews: create",
    ]);
    const reader = find(objs, "ClusterRole", "mfo-managed-flink-operator-metrics-reader");
    expect(reader.rules).toEqual([{ nonResourceURLs: ["/metrics"], verbs: ["get"] }]);
  });
});

describe("job health in the chart", () => {
  it("passes the health interval and the operator-wide thresholds, equal to the built-in ones by default", async () => {
    const { builtInThresholds, thresholdsFromEnv } = await import("../../../src/health/judge.js");
    const deploy = find(
      parseObjects(helmTemplate()),
      "Deployment",
      "mfo-managed-flink-operator",
      "mfo-system",
    );
    const e = env(deploy) as Record<string, string>;
    expect(e).toMatchObject({ HEALTH_INTERVAL_SECONDS: "60", HEALTH_METRICS_PERIOD_SECONDS: "60" });
    expect(thresholdsFromEnv(e)).toEqual(builtInThresholds);
    const big = find(
      parseObjects(
        helmTemplate({ values: { health: { maxMillisBehindLatest: 86_400_000, intervalSeconds: 0 } } }),
      ),
      "Deployment",
      "mfo-managed-flink-operator",
      "mfo-system",
    );
    expect(env(big)).toMatchObject({
      HEALTH_MAX_MILLIS_BEHIND_LATEST: "86400000",
      HEALTH_INTERVAL_SECONDS: "0",
    });
  });

  it("ships a Grafana dashboard whose queries use only the metrics the operator exports", async () => {
    const { gaugeName } = await import("../../../src/health/prometheus.js");
    const { JOB_METRICS } = await import("../../../src/health/types.js");
    const objs = parseObjects(helmTemplate({ values: { metrics: { grafanaDashboard: { enabled: true } } } }));
    const cm = find(objs, "ConfigMap", "mfo-managed-flink-operator-dashboard", "mfo-system");
    expect(cm.metadata.labels).toMatchObject({ grafana_dashboard: "1" });
    const json = (cm.data as Record<string, string>)["managed-flink-job-health.json"]!;
    expect(json).toBe(readFileSync(join(chartDir, "dashboards/job-health.json"), "utf8").trimEnd());
    const dashboard = JSON.parse(json) as { panels: { targets: { expr: string }[] }[] };
    const used = new Set(
      dashboard.panels.flatMap((p) =>
        p.targets.flatMap((t) => t.expr.match(/managed_?flink_[a-z_]+/g) ?? []),
      ),
    );
    const exported = new Set([
      ...JOB_METRICS.map(gaugeName),
      "managedflink_job_verdict",
      "managed_flink_operator_cloudwatch_get_metric_data_calls_total",
      "managed_flink_operator_cloudwatch_get_metric_data_queries_total",
      "managed_flink_operator_cloudwatch_log_reads_total",
    ]);
    expect([...used].filter((n) => !exported.has(n))).toEqual([]);
    expect(JOB_METRICS.map(gaugeName).filter((n) => !used.has(n))).toEqual([]);
    expect(parseObjects(helmTemplate()).some((o) => o.kind === "ConfigMap")).toBe(false);
  });
});
