// `npm run local`: builds what is missing, starts the whole local stack (control plane, moto for S3,
// Kinesis and CloudWatch, the Managed Flink emulator on real Flink), installs the CRD, runs the
// operator as its own process, uploads the reference job's jar, creates the example's streams,
// applies examples/engagement-metrics.yaml with the local additions beside it
// (examples/local/engagement-metrics.local.yaml), starts a generator of user events and prints the
// windows the job writes — one command, the seed's pipeline end to end.
// It writes .local/env for other shells and stays up until interrupted; then it stops every
// process it started and removes .local/env.
//
//   MFO_LOCAL_DIR   where env, logs and state go (default: <repo>/.local)
//   MFO_LOCAL_JAR   use this file as the job jar instead of building flink-app/
//   MFO_LOCAL_FLINK simulated: the emulator only simulates the lifecycle (no JVM, no results)
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { parse } from "yaml";
import type { FlinkApplication } from "../crds/types.generated.js";
import { binaryPaths, repoRoot } from "./binaries.js";
import { LocalKinesis, localProperties, type RunningPipeline, runPipeline } from "./pipeline.js";
import { ManagedProcess, waitFor } from "./processes.js";
import { dummyCredentials, type LocalStack, startLocalStack } from "./stack.js";

const localDir = process.env.MFO_LOCAL_DIR ?? join(repoRoot, ".local");
const envFile = join(localDir, "env");
const examplePath = join(repoRoot, "examples/engagement-metrics.yaml");
const overlayPath = join(repoRoot, "examples/local/engagement-metrics.local.yaml");
const operatorEntry = join(repoRoot, "src/controller/main.ts");

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

/** The local run's additions beside the production example (examples/local/engagement-metrics.local.yaml). */
interface LocalOverlay {
  streams: Record<string, number>;
  environmentProperties: Record<string, Record<string, string>>;
  generator: { eventsPerSecond: number; users: number };
}

/** The operator as its own process, configured through its environment as in a pod. */
function startOperatorProcess(stack: LocalStack, logFile: string, codeBucket: string): ManagedProcess {
  return ManagedProcess.start("operator", process.execPath, ["--import", "tsx", operatorEntry], {
    logFile,
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...stack.env,
      POD_NAME: "local-operator",
      POD_NAMESPACE: "default",
      // One operator: no lease to wait for when it is restarted after a kill.
      LEADER_ELECT: "false",
      METRICS_PORT: "0",
      METRICS_HOST: "127.0.0.1",
      POLL_INTERVAL_SECONDS: "1",
      // Job health (docs/job-health.md) read as often as the local emulator publishes (every 10 s),
      // so the JOB column turns Healthy within seconds of RUNNING instead of a minute.
      HEALTH_INTERVAL_SECONDS: "10",
      HEALTH_METRICS_PERIOD_SECONDS: "10",
      LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
      // As a platform would set tenancy.defaults: the bucket the example's code is in is the one place
      // code may come from and artifacts may go (docs/security.md); everything else keeps the safe defaults.
      DEFAULT_POLICY: JSON.stringify({
        artifactUploads: [{ bucket: codeBucket }],
        codeSources: [{ bucket: codeBucket }],
      }),
    },
  });
}

async function main(): Promise<void> {
  buildMissingBinaries();
  const jar = jobJar();
  const flink = process.env.MFO_LOCAL_FLINK === "simulated" ? "simulated" : "real";
  mkdirSync(localDir, { recursive: true, mode: 0o700 });
  console.log(
    `starting the local stack: etcd, kube-apiserver, S3/Kinesis/CloudWatch Logs (moto), Managed Flink emulator (${flink} Flink) ...`,
  );
  const t0 = performance.now();
  const stack = await startLocalStack({ workDir: join(localDir, "stack"), transitionMs: 2000, flink });
  let operator: ManagedProcess | undefined;
  let pipeline: RunningPipeline | undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the local stack ...`);
    rmSync(envFile, { force: true });
    pipeline?.stop();
    await operator?.stop().catch(() => {});
    // The emulator stops every Flink cluster it runs; their JVMs die with it even if it is killed.
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
  const overlay = parse(readFileSync(overlayPath, "utf8")) as LocalOverlay;
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

  // The streams the example reads and writes, on moto's Kinesis.
  const kinesis = new LocalKinesis(stack.s3Endpoint, stack.region);
  const input = example.spec.environmentProperties?.InputStream0?.["stream.name"] ?? "user-events";
  const output = example.spec.environmentProperties?.OutputStream0?.["stream.name"] ?? "engagement-metrics";
  await kinesis.ensureStream(input, overlay.streams[input] ?? 1);
  await kinesis.ensureStream(output, overlay.streams[output] ?? 1);

  const operatorLog = join(localDir, "operator.log");
  operator = startOperatorProcess(stack, operatorLog, bucket);
  const op = operator;
  op.exited.then(() => {
    if (!stopping)
      console.log(
        `operator exited (log: ${operatorLog}); the stack stays up. Restart it in another shell:\n  source ${envFile} && POD_NAME=local-operator LEADER_ELECT=false DEFAULT_POLICY='${JSON.stringify({ artifactUploads: [{ bucket }], codeSources: [{ bucket }] })}' node --import tsx ${operatorEntry}`,
      );
  });

  example.spec.environmentProperties = localProperties(
    example.spec.environmentProperties,
    overlay.environmentProperties,
    stack.s3Endpoint,
  );
  // The example's own namespace: the default tenancy rules want its names to start with it.
  const namespace = example.metadata.namespace ?? "default";
  runOrThrow(
    kubectl,
    [...kc, "apply", "-f", "-"],
    "creating the example's namespace",
    JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } }),
  );
  runOrThrow(kubectl, [...kc, "apply", "-f", "-"], "applying the example", JSON.stringify(example));
  const get = () =>
    JSON.parse(
      runOrThrow(
        kubectl,
        [...kc, "get", "flinkapp", "engagement-metrics", "-n", namespace, "-o", "json"],
        "get",
      ),
    ) as FlinkApplication;
  await waitFor(
    async () => {
      const o = get();
      const ready = o.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
      return ready && o.status?.applicationStatus === "RUNNING";
    },
    {
      timeoutMs: 180_000,
      description: "engagement-metrics to be RUNNING and Ready",
      process: stack.emulator,
    },
  );
  const upMs = Math.round(performance.now() - t0);

  const lines = Object.entries(stack.env).map(([k, v]) => `export ${k}=${shellQuote(v)}`);
  // The kubectl and helm built for the stack come first on PATH, so their versions match the server.
  const bins = binaryPaths();
  lines.push(`export PATH=${shellQuote(`${dirname(bins.kubectl)}:${dirname(bins.helm)}`)}:"$PATH"`);
  console.log(runOrThrow(kubectl, [...kc, "get", "flinkapp", "-A"], "get"));
  console.log(`local stack is up (${(upMs / 1000).toFixed(1)} s):
  Kubernetes API   ${stack.kubeServer}
  S3, Kinesis, CloudWatch Logs (moto)  ${stack.s3Endpoint}
  Managed Flink, CloudWatch metrics    ${stack.emulatorEndpoint}  (${flink} Flink; admin API: ${stack.emulatorEndpoint}/_emulator/calls)
  Flink logs       ${join(localDir, "stack", "flink")}/<application>/flink.log
  operator         its own process (pid ${op.pid}), log ${operatorLog}

A generator writes ${overlay.generator.eventsPerSecond} user events a second to the Kinesis stream ${input};
the job's windows arrive on ${output} and are printed below.

In another shell:
  source ${envFile}
  kubectl get flinkapp -A
  kubectl scale flinkapp engagement-metrics -n ${namespace} --replicas=2
  aws kinesisanalyticsv2 list-applications
  aws kinesis get-records --shard-iterator "$(aws kinesis get-shard-iterator --stream-name ${output} --shard-id shardId-000000000000 --shard-iterator-type TRIM_HORIZON --query ShardIterator --output text)"
  aws cloudwatch get-metric-data --start-time "$(date -u -d '-10 min' +%FT%TZ)" --end-time "$(date -u +%FT%TZ)" \\
    --metric-data-queries '[{"Id":"out","MetricStat":{"Metric":{"Namespace":"AWS/KinesisAnalytics","MetricName":"numRecordsOutPerSecond","Dimensions":[{"Name":"Application","Value":"engagement-metrics"}]},"Period":60,"Stat":"Maximum"}}]'

Press Ctrl-C to stop everything.`);
  // Written last: its presence means everything above is up.
  writeFileSync(envFile, `# written by npm run local; removed when it stops\n${lines.join("\n")}\n`, {
    mode: 0o600,
  });

  let first = true;
  pipeline = runPipeline(
    kinesis,
    { input, output },
    {
      perSecond: overlay.generator.eventsPerSecond,
      users: overlay.generator.users,
      onResult: (r) => {
        if (first) {
          first = false;
          console.log(`first result ${((performance.now() - t0) / 1000).toFixed(1)} s after start`);
        }
        const start = new Date(r.windowStart).toISOString().slice(11, 19);
        console.log(
          `window ${start} ${r.userId.padEnd(8)} ${String(r.eventCount).padStart(4)} events   (events in: ${pipeline?.eventsIn()}, windows out: ${pipeline?.windowsOut()})`,
        );
      },
      onError: (e) => console.error(`pipeline: ${e.message}`),
    },
  );
}

main().catch((err: unknown) => {
  rmSync(envFile, { force: true });
  console.error(err instanceof Error ? err.message : err);
  // The exit handler in processes.ts stops whatever had started.
  process.exit(1);
});
