// `npm run local`: builds what is missing, starts the whole local stack (control plane, S3, the
// Managed Flink emulator), installs the CRD, runs the operator against it, uploads the reference
// job's jar and applies examples/engagement-metrics.yaml — one command, the main job end to end.
// It writes .local/env for other shells and stays up until interrupted; then it stops every
// process it started and removes .local/env.
//
//   MFO_LOCAL_DIR   where env, logs and state go (default: <repo>/.local)
//   MFO_LOCAL_JAR   use this file as the job jar instead of building flink-app/
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { KubeConfig } from "@kubernetes/client-node";
import { parse } from "yaml";
import { runOperator } from "../controller/operator.js";
import { createLogger } from "../controller/runtime/log.js";
import type { FlinkApplication } from "../crds/types.generated.js";
import { safeDefaults } from "../policy/index.js";
import { binaryPaths, repoRoot } from "./binaries.js";
import { waitFor } from "./processes.js";
import { dummyCredentials, startLocalStack } from "./stack.js";

const localDir = process.env.MFO_LOCAL_DIR ?? join(repoRoot, ".local");
const envFile = join(localDir, "env");
const examplePath = join(repoRoot, "examples/engagement-metrics.yaml");

function runOrThrow(cmd: string, args: string[], what: string, input?: string): string {
  const res = spawnSync(cmd, args, {
    encoding: "utf8",
    input,
    stdio: [input ? "pipe" : "ignore", "pipe", "inherit"],
  });
  if (res.status !== 0) throw new Error(`${what} failed (exit ${res.status})`);
  return res.stdout;
}

function buildMissingBinaries(): void {
  // Returns at once when everything is cached.
  const res = spawnSync("bash", [join(repoRoot, "scripts/build-binaries.sh")], { stdio: "inherit" });
  if (res.status !== 0) throw new Error("scripts/build-binaries.sh failed");
}

/** The shaded jar of flink-app/, built with Maven when it is not there yet. */
function jobJar(): string {
  if (process.env.MFO_LOCAL_JAR) return process.env.MFO_LOCAL_JAR;
  const target = join(repoRoot, "flink-app/target");
  const find = () =>
    existsSync(target)
      ? readdirSync(target).find(
          (f) => /^engagement-metrics-.*\.jar$/.test(f) && !/^original-|sources|tests/.test(f),
        )
      : undefined;
  let jar = find();
  if (!jar) {
    console.log("building the reference job (mvn package, first time only) ...");
    runOrThrow(
      "mvn",
      ["-B", "-q", "-f", join(repoRoot, "flink-app/pom.xml"), "package", "-DskipTests"],
      "mvn package",
    );
    jar = find();
    if (!jar) throw new Error("mvn package produced no engagement-metrics jar in flink-app/target");
  }
  return join(target, jar);
}

function shellQuote(v: string): string {
  return `'${v.replace(/'/g, `'\\''`)}'`;
}

async function main(): Promise<void> {
  buildMissingBinaries();
  const jar = jobJar();
  mkdirSync(localDir, { recursive: true, mode: 0o700 });
  console.log("starting the local stack: etcd, kube-apiserver, S3 (moto), Managed Flink emulator ...");
  const stack = await startLocalStack({ workDir: join(localDir, "stack"), transitionMs: 2000 });
  let stopOperator: () => Promise<void> = async () => {};
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the local stack ...`);
    rmSync(envFile, { force: true });
    await stopOperator().catch(() => {});
    await stack.stop();
    rmSync(join(localDir, "stack"), { recursive: true, force: true });
    console.log("stopped; no process left behind.");
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGHUP", () => void shutdown("SIGHUP"));

  const kubectl = binaryPaths().kubectl;
  const kc = ["--kubeconfig", stack.kubeconfigPath];
  runOrThrow(
    kubectl,
    [...kc, "apply", "--server-side", "-f", join(repoRoot, "manifests/crds")],
    "installing the CRD",
  );
  runOrThrow(
    kubectl,
    [
      ...kc,
      "wait",
      "--for=condition=Established",
      "crd/flinkapplications.managedflink.dev",
      "crd/flinkapplicationpolicies.managedflink.dev",
    ],
    "CRD",
  );

  // The example's code object, where examples/engagement-metrics.yaml points.
  const example = parse(readFileSync(examplePath, "utf8")) as FlinkApplication;
  const { bucket, key } = example.spec.code.s3!;
  const s3 = new S3Client({
    endpoint: stack.s3Endpoint,
    region: stack.region,
    forcePathStyle: true,
    credentials: {
      accessKeyId: dummyCredentials.AWS_ACCESS_KEY_ID,
      secretAccessKey: dummyCredentials.AWS_SECRET_ACCESS_KEY,
    },
  });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(jar) }));
  console.log(`uploaded ${jar} to s3://${bucket}/${key}`);

  // The operator runs in this process, configured exactly as in a pod: through the environment.
  Object.assign(process.env, stack.env);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(stack.kubeconfigPath);
  const operatorLog = join(localDir, "operator.log");
  const { destination } = await import("pino");
  const operator = await runOperator({
    kubeConfig,
    log: createLogger(process.env.LOG_LEVEL ?? "info", destination({ dest: operatorLog, sync: false })),
    watchNamespaces: [],
    defaultRegion: stack.region,
    resyncPeriodMs: 30_000,
    pollIntervalMs: 1000,
    concurrency: 4,
    metricsPort: 0,
    metricsHost: "127.0.0.1",
    identity: "local",
    // As a platform would set tenancy.defaults: the bucket the example's code is in is the one place
    // code may come from and artifacts may go (docs/security.md); everything else keeps the safe defaults.
    tenancyDefaults: {
      ...safeDefaults(stack.region),
      artifactUploads: [{ bucket }],
      codeSources: [{ bucket }],
    },
  });
  stopOperator = () => operator.stop();

  runOrThrow(kubectl, [...kc, "apply", "-f", examplePath], "applying the example");
  const get = () =>
    JSON.parse(
      runOrThrow(
        kubectl,
        [...kc, "get", "flinkapp", "engagement-metrics", "-n", "default", "-o", "json"],
        "get",
      ),
    ) as FlinkApplication;
  await waitFor(
    async () => {
      const o = get();
      const ready = o.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
      return ready && o.status?.applicationStatus === "RUNNING";
    },
    { timeoutMs: 120_000, description: "engagement-metrics to be RUNNING and Ready" },
  );

  const lines = Object.entries(stack.env).map(([k, v]) => `export ${k}=${shellQuote(v)}`);
  // The kubectl and helm built for the stack come first on PATH, so their versions match the server.
  const bins = binaryPaths();
  lines.push(`export PATH=${shellQuote(`${dirname(bins.kubectl)}:${dirname(bins.helm)}`)}:"$PATH"`);
  console.log(runOrThrow(kubectl, [...kc, "get", "flinkapp", "-A"], "get"));
  console.log(`local stack is up:
  Kubernetes API   ${stack.kubeServer}
  S3 (moto)        ${stack.s3Endpoint}
  Managed Flink    ${stack.emulatorEndpoint}  (admin API: ${stack.emulatorEndpoint}/_emulator/calls)
  operator         metrics http://127.0.0.1:${operator.port}/metrics, log ${operatorLog}

In another shell:
  source ${envFile}
  kubectl get flinkapp -A
  kubectl scale flinkapp engagement-metrics --replicas=8
  aws kinesisanalyticsv2 list-applications

Press Ctrl-C to stop everything.`);
  // Written last: its presence means everything above is up.
  writeFileSync(envFile, `# written by npm run local; removed when it stops\n${lines.join("\n")}\n`, {
    mode: 0o600,
  });
}

main().catch((err: unknown) => {
  rmSync(envFile, { force: true });
  console.error(err instanceof Error ? err.message : err);
  // The exit handler in processes.ts stops whatever had started.
  process.exit(1);
});
