// Shared set-up for operator integration tests: the real kube-apiserver, moto's S3 and the emulator
// from the global setup; the operator runs in this process against them.
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { KinesisAnalyticsV2Client } from "@aws-sdk/client-kinesis-analytics-v2";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { KubeConfig } from "@kubernetes/client-node";
import { expect, inject } from "vitest";
import { parse } from "yaml";
import { type OperatorConfig, type RunningOperator, runOperator } from "../../../src/controller/operator.js";
import { createLogger } from "../../../src/controller/runtime/log.js";
import { createMetrics } from "../../../src/controller/runtime/metrics.js";
import { isNotFound, KubeTransport } from "../../../src/controller/runtime/transport.js";
import type { FlinkApplication } from "../../../src/crds/types.generated.js";
import { binaryPaths, repoRoot } from "../../../src/localstack/binaries.js";
import { ManagedProcess, waitFor } from "../../../src/localstack/processes.js";
import { unrestricted as unrestrictedDefaults } from "../../helpers/tenancy.js";

const run = promisify(execFile);

export { unrestrictedDefaults };

export interface EmulatorCall {
  operation: string;
  input: Record<string, unknown>;
  error?: string;
  at: string;
  /** The access key id the call was signed with. */
  accessKeyId?: string;
}

export class Harness {
  readonly stack = inject("localStack");
  readonly kc = new KubeConfig();
  readonly kube: KubeTransport;
  readonly s3: S3Client;
  readonly namespace = `t-${randomBytes(4).toString("hex")}`;
  operators: RunningOperator[] = [];
  /** Reconciles per application name, counted by every operator startOperator() starts. */
  readonly reconciles = new Map<string, number>();

  constructor() {
    this.kc.loadFromFile(this.stack.kubeconfigPath);
    this.kube = new KubeTransport(this.kc);
    // The operator's SDK clients read these, exactly as in a pod pointed at the local stack.
    process.env.AWS_ENDPOINT_URL_KINESIS_ANALYTICS_V2 = this.stack.emulatorEndpoint;
    process.env.AWS_ENDPOINT_URL_S3 = this.stack.s3Endpoint;
    // The job health monitor reads metrics from the emulator's CloudWatch and log lines from moto's.
    process.env.AWS_ENDPOINT_URL_CLOUDWATCH = this.stack.emulatorEndpoint;
    process.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS = this.stack.s3Endpoint;
    process.env.AWS_REGION = this.stack.region;
    process.env.AWS_ACCESS_KEY_ID = "local";
    process.env.AWS_SECRET_ACCESS_KEY = "local-secret";
    this.s3 = new S3Client({
      endpoint: this.stack.s3Endpoint,
      region: this.stack.region,
      forcePathStyle: true,
    });
  }

  async setUp(): Promise<void> {
    await this.kubectl(["apply", "--server-side", "-f", join(repoRoot, "manifests/crds")]);
    await this.kubectl(["wait", "--for=condition=Established", "crd/flinkapplications.managedflink.dev"]);
    await this.kubectl(["create", "namespace", this.namespace]);
  }

  async tearDown(): Promise<void> {
    for (const o of this.operators) await o.stop();
    this.operators = [];
  }

  kubectl(args: string[], stdin?: string): Promise<{ stdout: string; stderr: string; code: number }> {
    return new Promise((resolve) => {
      const p = spawn(binaryPaths().kubectl, ["--kubeconfig", this.stack.kubeconfigPath, ...args]);
      let stdout = "";
      let stderr = "";
      p.stdout.on("data", (d) => (stdout += d));
      p.stderr.on("data", (d) => (stderr += d));
      p.on("exit", (code) => resolve({ stdout, stderr, code: code ?? -1 }));
      p.stdin.end(stdin ?? "");
    });
  }

  async kubectlOk(args: string[], stdin?: string): Promise<string> {
    const r = await this.kubectl(args, stdin);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${r.stderr}`);
    return r.stdout;
  }

  async startOperator(over: Partial<OperatorConfig> = {}): Promise<RunningOperator> {
    const op = await runOperator({
      kubeConfig: this.kc,
      log: createLogger(process.env.OPERATOR_LOG_LEVEL ?? "silent"),
      watchNamespaces: [this.namespace],
      defaultRegion: this.stack.region,
      resyncPeriodMs: 60_000,
      pollIntervalMs: 100,
      concurrency: 4,
      metricsPort: 0,
      metricsHost: "127.0.0.1",
      identity: `test-${randomBytes(3).toString("hex")}`,
      metrics: createMetrics({ defaultMetrics: false }),
      // Tests of other features run unrestricted; test/integration/operator/tenancy.test.ts sets its own.
      tenancyDefaults: unrestrictedDefaults,
      onReconciled: (key) => {
        const name = key.slice(key.indexOf("/") + 1);
        this.reconciles.set(name, (this.reconciles.get(name) ?? 0) + 1);
      },
      ...over,
    });
    this.operators.push(op);
    return op;
  }

  /** The unmodified SDK client, as a user (or another tool) would talk to Managed Flink. */
  awsClient(): KinesisAnalyticsV2Client {
    return new KinesisAnalyticsV2Client({
      endpoint: this.stack.emulatorEndpoint,
      region: this.stack.region,
      credentials: { accessKeyId: "local", secretAccessKey: "local-secret" },
    });
  }

  /**
   * The operator as a real process (`src/controller/main.ts`), configured through its environment as
   * in a pod, for tests that must kill it. Watches only this test's namespace.
   */
  operatorProcess(
    identity: string,
    logDir: string,
    env: Record<string, string> = {},
    entry = "src/controller/main.ts",
  ): ManagedProcess {
    return ManagedProcess.start(identity, process.execPath, ["--import", "tsx", join(repoRoot, entry)], {
      logFile: join(logDir, `${identity}.log`),
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        KUBECONFIG: this.stack.kubeconfigPath,
        AWS_ENDPOINT_URL_KINESIS_ANALYTICS_V2: this.stack.emulatorEndpoint,
        AWS_ENDPOINT_URL_S3: this.stack.s3Endpoint,
        AWS_REGION: this.stack.region,
        AWS_ACCESS_KEY_ID: "local",
        AWS_SECRET_ACCESS_KEY: "local-secret",
        POD_NAME: identity,
        POD_NAMESPACE: this.namespace,
        WATCH_NAMESPACES: this.namespace,
        METRICS_PORT: "0",
        METRICS_HOST: "127.0.0.1",
        POLL_INTERVAL_SECONDS: "1",
        LOG_LEVEL: "info",
        DEFAULT_POLICY: JSON.stringify(unrestrictedDefaults),
        // Tests of other features: Ready means RUNNING; job-health.test.ts turns checks on.
        HEALTH_INTERVAL_SECONDS: "0",
        ...env,
      },
    });
  }

  async putCode(bucket: string, key: string, body: string | Uint8Array = "PK fake jar"): Promise<void> {
    await this.s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((e: Error) => {
      if (!/BucketAlreadyOwnedByYou|BucketAlreadyExists/.test(e.name)) throw e;
    });
    await this.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  }

  /** A FlinkApplication manifest in this test's namespace, from examples/ or built in the test. */
  app(name: string, spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): FlinkApplication {
    return {
      apiVersion: "managedflink.dev/v1alpha1",
      kind: "FlinkApplication",
      metadata: { name, namespace: this.namespace, ...metadata },
      spec: spec as unknown as FlinkApplication["spec"],
    };
  }

  example(): FlinkApplication {
    const doc = parse(
      readFileSync(join(repoRoot, "examples/engagement-metrics.yaml"), "utf8"),
    ) as FlinkApplication;
    doc.metadata.namespace = this.namespace;
    return doc;
  }

  async apply(obj: FlinkApplication): Promise<void> {
    await this.kubectlOk(["apply", "-f", "-"], JSON.stringify(obj));
  }

  async get(name: string): Promise<FlinkApplication | undefined> {
    return this.kube
      .request<FlinkApplication>(
        "GET",
        `/apis/managedflink.dev/v1alpha1/namespaces/${this.namespace}/flinkapplications/${name}`,
      )
      .catch((e: unknown) => {
        if (isNotFound(e)) return undefined;
        throw e;
      });
  }

  async mergePatch(name: string, patch: Record<string, unknown>): Promise<void> {
    await this.kubectlOk([
      "patch",
      "flinkapp",
      name,
      "-n",
      this.namespace,
      "--type=merge",
      "-p",
      JSON.stringify(patch),
    ]);
  }

  /** Waits until the operator has reconciled `name` `times` more times (resyncs, when nothing changes). */
  async waitForReconciles(name: string, times: number): Promise<void> {
    const from = this.reconciles.get(name) ?? 0;
    await waitFor(async () => (this.reconciles.get(name) ?? 0) >= from + times, {
      timeoutMs: 15_000,
      description: `${times} reconciles of ${name}`,
    });
  }

  /** Waits until the object satisfies `check`; fails with the last seen status at the deadline. */
  async waitForApp(
    name: string,
    check: (o: FlinkApplication) => boolean,
    description: string,
    timeoutMs = 30_000,
  ): Promise<FlinkApplication> {
    let last: FlinkApplication | undefined;
    try {
      return await waitFor(
        async () => {
          last = await this.get(name);
          return last && check(last) ? last : undefined;
        },
        { timeoutMs, description: `${name}: ${description}`, intervalMs: 50 },
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}\nlast status: ${JSON.stringify(last?.status, null, 1)}`);
    }
  }

  async emulator<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.stack.emulatorEndpoint}/_emulator${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`emulator ${method} ${path}: ${res.status} ${await res.text()}`);
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** The Events about one object in this test's namespace, as kubectl lists them. */
  async events(name: string): Promise<{ reason: string; type: string; message: string }[]> {
    const out = await this.kubectlOk([
      "get",
      "events",
      "-n",
      this.namespace,
      "--field-selector",
      `involvedObject.name=${name}`,
      "-o",
      "json",
    ]);
    return (JSON.parse(out) as { items: { reason: string; type: string; message: string }[] }).items;
  }

  /** The calls the emulator received for one application, in order. */
  async callsFor(applicationName: string): Promise<EmulatorCall[]> {
    const calls = await this.emulator<EmulatorCall[]>("GET", "/calls");
    return calls.filter(
      (c) =>
        c.input?.ApplicationName === applicationName ||
        (typeof c.input?.ResourceARN === "string" &&
          (c.input.ResourceARN as string).endsWith(`/${applicationName}`)),
    );
  }
}

/** GetMetricData calls the operator serving /metrics on `port` made so far (one per job-health read, up to 38 applications). */
export async function healthReads(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = /managed_flink_operator_cloudwatch_get_metric_data_calls_total\{outcome="success"\} (\d+)/.exec(
    text,
  );
  return Number(m?.[1] ?? 0);
}

/**
 * Waits for Ready=False reason Restarting and checks it came within two job-health reads of the operator
 * on `port`, counted from now (call it once the restarts are in CloudWatch). Returns the object.
 */
export async function restartingWithinTwoReads(
  h: Harness,
  name: string,
  port: number,
): Promise<FlinkApplication> {
  const published = await healthReads(port);
  const loop = await h.waitForApp(
    name,
    (o) => condition(o, "Ready")?.reason === "Restarting",
    "Ready=False reason Restarting",
  );
  expect(await healthReads(port)).toBeLessThanOrEqual(published + 2);
  return loop;
}

export function condition(o: FlinkApplication | undefined, type: string) {
  return o?.status?.conditions?.find((c) => c.type === type);
}

export function isReady(o: FlinkApplication): boolean {
  return condition(o, "Ready")?.status === "True" && o.status?.observedGeneration === o.metadata.generation;
}

export { run };
