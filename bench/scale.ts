/**
 * Issue 12's scale benchmark: the local stack, the operator as its own process (compiled, as it ships),
 * N FlinkApplications. Measures time until all Ready, RSS (steady and peak), CPU per resync, AWS calls
 * per application per resync, peak AWS calls a second, and patch → first AWS write latency next to the
 * same run's bare-watch floor, for patches sent at random moments and at the start of a resync.
 *
 *   npm run bench:scale -- --apps 100
 *   npm run bench:scale -- --apps 1000 --rate 50 --burst 10
 *   npm run bench:scale -- --apps 100 --rate 5 --burst 5        # a low budget
 *   npm run bench:scale -- --apps 100 --health                    # job health checks off, then on
 *
 * Options: --apps N, --resync S (30), --rate R and --burst B (the operator's AWS budget; 50 and 10),
 * --patches K (per kind; 12), --transition-ms T (the emulator's, 500), --heap-snapshots (SIGUSR2 the
 * operator after the burst and at the end; the snapshots land in the work directory, which is kept),
 * --health (after all are Ready: a steady window and the patches with health checks off, then the same
 * with a fresh operator that has them on; reports GetMetricData calls and queries per health interval
 * and reconcile/patch latency both ways), --health-interval S (15).
 * --patch-burst (send all the patches at once, back to back, instead of at their planned moments),
 * --no-trace (the operator writes no per-stage trace: CPU and RSS without it; no stage breakdown).
 * Every child process is a ManagedProcess: stopped on exit, and by its orphan guard if this one dies.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { KubeConfig } from "@kubernetes/client-node";
import { KubeTransport } from "../src/controller/runtime/transport.js";
import { binaryPaths, repoRoot } from "../src/localstack/binaries.js";
import { freePort } from "../src/localstack/ports.js";
import { ManagedProcess, waitFor } from "../src/localstack/processes.js";
import { type LocalStack, startLocalStack } from "../src/localstack/stack.js";
import { CallRecorder, readOps } from "./scale/calls.js";
import { between, scrape } from "./scale/health.js";
import { type PatchResult, percentile, plan, resyncTimes, runPatches } from "./scale/patches.js";
import { ProcessSampler } from "./scale/process-sampler.js";
import { type Stages, stageDeltas } from "./scale/trace.js";
import { BenchWatch } from "./scale/watch.js";

const { values: args } = parseArgs({
  allowNegative: true,
  options: {
    apps: { type: "string", default: "100" },
    resync: { type: "string", default: "30" },
    rate: { type: "string", default: "50" },
    burst: { type: "string", default: "10" },
    patches: { type: "string", default: "12" },
    "transition-ms": { type: "string", default: "500" },
    "heap-snapshots": { type: "boolean", default: false },
    health: { type: "boolean", default: false },
    "health-interval": { type: "string", default: "15" },
    "patch-burst": { type: "boolean", default: false },
    trace: { type: "boolean", default: true },
  },
});
const N = Number(args.apps);
const periodMs = Number(args.resync) * 1000;
const namespace = "bench";
const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const round = (n: number | undefined, d = 1) =>
  n === undefined ? undefined : Math.round(n * 10 ** d) / 10 ** d;

interface World {
  stack: LocalStack;
  kube: KubeTransport;
  watch: BenchWatch;
  calls: CallRecorder;
  sampler: ProcessSampler;
  operator: ManagedProcess;
  workDir: string;
  emulator: ProcessSampler;
  metricsPort: number;
  /** The operator's log, where its resync lines are read. */
  logFile: string;
  /** Applications already patched: a second phase patches others (the same patch would change nothing). */
  patched?: Set<string>;
}

async function main(): Promise<void> {
  build();
  const workDir = mkdtempSync(join(tmpdir(), "bench-scale-"));
  const stack = await startLocalStack({
    transitionMs: Number(args["transition-ms"]),
    // Health mode: the emulator publishes once a minute, as Managed Flink does, into its own CloudWatch,
    // where the operator reads them (ADR 21).
    ...(args.health ? { metricsIntervalMs: 60_000 } : {}),
  });
  const calls = new CallRecorder(stack.emulatorEndpoint);
  let operator: ManagedProcess | undefined;
  const kc = new KubeConfig();
  kc.loadFromFile(stack.kubeconfigPath);
  const kube = new KubeTransport(kc);
  let sampler: ProcessSampler | undefined;
  let emulatorSampler: ProcessSampler | undefined;
  let watch: BenchWatch | undefined;
  try {
    await prepare(stack);
    watch = await BenchWatch.start(kube, namespace);
    const metricsPort = await freePort();
    const logFile = join(workDir, "operator.log");
    operator = startOperator(stack, metricsPort, logFile, 0);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).ok, {
      timeoutMs: 60_000,
      description: "operator ready",
      process: operator,
    });
    sampler = await ProcessSampler.start(operator.pid);
    emulatorSampler = await ProcessSampler.start(stack.emulator.pid);
    calls.start();
    const world = {
      stack,
      kube,
      watch,
      calls,
      sampler,
      operator,
      workDir,
      emulator: emulatorSampler,
      metricsPort,
      logFile,
    };
    let report: unknown;
    try {
      report = args.health ? await healthMode(world) : await measure(world);
    } finally {
      // The health mode swaps the operator: the finally below stops the one running now.
      operator = world.operator;
      sampler = world.sampler;
    }
    console.log(JSON.stringify(report, null, 2));
  } finally {
    sampler?.stop();
    emulatorSampler?.stop();
    watch?.stop();
    calls.stop();
    kube.close();
    await operator?.stop();
    await stack.stop();
  }
}

function build(): void {
  // The operator runs as it ships: compiled JavaScript, no TypeScript loader in its heap.
  const r = spawnSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: repoRoot, stdio: "inherit" });
  if (r.status !== 0) throw new Error("build failed");
}

async function prepare(stack: LocalStack): Promise<void> {
  const kubectl = (a: string[]) => {
    const r = spawnSync(binaryPaths().kubectl, ["--kubeconfig", stack.kubeconfigPath, ...a], {
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`kubectl ${a.join(" ")}: ${r.stderr}`);
  };
  kubectl(["apply", "--server-side", "-f", join(repoRoot, "manifests/crds")]);
  // `kubectl wait` fails rather than waits while the new CRD has no status yet.
  await waitFor(
    async () => {
      try {
        kubectl(["wait", "--for=condition=Established", "crd/flinkapplications.managedflink.dev"]);
        return true;
      } catch {
        return false;
      }
    },
    { timeoutMs: 30_000, intervalMs: 250, description: "the CRD established" },
  );
  kubectl(["create", "namespace", namespace]);
  const s3 = new S3Client({
    endpoint: stack.s3Endpoint,
    region: stack.region,
    forcePathStyle: true,
    credentials: { accessKeyId: "local", secretAccessKey: "local-secret" },
  });
  await s3.send(new CreateBucketCommand({ Bucket: "bench-code" }));
  await s3.send(new PutObjectCommand({ Bucket: "bench-code", Key: "app.jar", Body: "PK\u0003\u0004bench" }));
  s3.destroy();
  // The emulator refuses more than 100 applications by default (Managed Flink's default quota is 50).
  await fetch(`${stack.emulatorEndpoint}/_emulator/config`, {
    method: "PUT",
    body: JSON.stringify({ applicationCap: N + 100 }),
  });
}

function startOperator(
  stack: LocalStack,
  metricsPort: number,
  logFile: string,
  healthIntervalS: number,
): ManagedProcess {
  const heap = args["heap-snapshots"] ? ["--heapsnapshot-signal=SIGUSR2"] : [];
  return ManagedProcess.start(
    "operator",
    process.execPath,
    [...heap, join(repoRoot, "dist/controller/main.js")],
    {
      logFile,
      cwd: join(logFile, ".."),
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ...stack.env,
        POD_NAME: "bench-operator",
        POD_NAMESPACE: namespace,
        WATCH_NAMESPACES: namespace,
        RESYNC_PERIOD_SECONDS: String(periodMs / 1000),
        AWS_REQUESTS_PER_SECOND: String(args.rate),
        AWS_REQUEST_BURST: String(args.burst),
        METRICS_PORT: String(metricsPort),
        METRICS_HOST: "127.0.0.1",
        LOG_LEVEL: "info",
        // The tenancy defaults refuse every S3 location until one is named (docs/security.md).
        DEFAULT_POLICY: JSON.stringify({ codeSources: [{ bucket: "bench-code" }] }),
        // Off unless the health mode turns it on: the other figures stay comparable with earlier runs.
        HEALTH_INTERVAL_SECONDS: String(healthIntervalS),
        // As the emulator publishes in health mode: once a minute.
        HEALTH_METRICS_PERIOD_SECONDS: "60",
        // Per-stage timestamps of every key (src/controller/runtime/trace.ts), for the latency breakdown.
        ...(args.trace ? { OPERATOR_TRACE_FILE: join(dirname(logFile), "trace.jsonl") } : {}),
        // Writing a heap snapshot stops the process for longer than the Lease's renew deadline.
        ...(args["heap-snapshots"] ? { LEADER_ELECT: "false" } : {}),
      },
    },
  );
}

/**
 * The operator's default tenancy rules (ADR 13) want AWS names and roles that start with the
 * namespace; the benchmark's applications comply, as a user's would, rather than relax the rules.
 */
const appName = (i: number) => `${namespace}-app-${String(i).padStart(4, "0")}`;

function application(i: number) {
  return {
    apiVersion: "managedflink.dev/v1alpha1",
    kind: "FlinkApplication",
    metadata: { name: appName(i), namespace },
    spec: {
      runtimeEnvironment: "FLINK-1_20",
      serviceExecutionRole: `arn:aws:iam::123456789012:role/${namespace}-flink`,
      code: { s3: { bucket: "bench-code", key: "app.jar" } },
      parallelism: { parallelism: 1, parallelismPerKPU: 1, autoScaling: false },
    },
  };
}

async function createAll(kube: KubeTransport): Promise<void> {
  const path = `/apis/managedflink.dev/v1alpha1/namespaces/${namespace}/flinkapplications`;
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < N; i = next++) await kube.request("POST", path, { body: application(i) });
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** A stalled application never becomes Ready: say why at once instead of waiting out the deadline. */
function refusedNone(watch: BenchWatch): boolean {
  const stalled = watch.stalled();
  if (stalled) throw new Error(`${stalled.name} is Stalled (${stalled.reason}): ${stalled.message}`);
  return true;
}

function snapshotHeap(w: World, label: string): void {
  if (!args["heap-snapshots"]) return;
  process.kill(w.sampler.pid, "SIGUSR2");
  console.error(`heap snapshot (${label}) requested; files in ${w.workDir}`);
}

async function measure(w: World) {
  const started = Date.now();
  await createAll(w.kube);
  const created = Date.now();
  await waitFor(async () => refusedNone(w.watch) && w.watch.readyCount === N, {
    timeoutMs: 30 * 60_000,
    intervalMs: 250,
    description: `all ${N} Ready`,
    process: w.operator,
  });
  const allReady = Date.now();
  snapshotHeap(w, "after the burst");
  // Settle: the last polls of the creation finish; then two whole resync periods with nothing to do.
  await sleep(periodMs + 5_000);
  const steadyFrom = Date.now();
  await sleep(2 * periodMs);
  const steadyTo = Date.now();
  await w.calls.poll();
  const steady = w.calls.between(steadyFrom, steadyTo);
  const patches = await patchPhase(w);
  snapshotHeap(w, "at the end");
  await sleep(2_000);
  await w.calls.poll();
  const rssSteady = w.sampler.rss(steadyFrom, steadyTo);
  return {
    date: new Date().toISOString(),
    workDir: w.workDir,
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model,
      memGiB: round(totalmem() / 1024 ** 3),
      node: process.version,
    },
    loadavgAtEnd: loadavg().map((l) => round(l, 2)),
    config: { apps: N, resyncS: periodMs / 1000, rate: Number(args.rate), burst: Number(args.burst) },
    createS: round((created - started) / 1000),
    allReadyS: round((allReady - started) / 1000),
    rssMiB: {
      steadyMedian: round(rssSteady.medianBytes / MiB),
      steadyMax: round(rssSteady.maxBytes / MiB),
      peak: round(w.sampler.rss().maxBytes / MiB),
    },
    cpuSecondsPerResync: round(w.sampler.cpuBetween(steadyFrom, steadyTo) / 2, 2),
    emulatorCpuSecondsPerResync: round(w.emulator.cpuBetween(steadyFrom, steadyTo) / 2, 2),
    operatorAwsCallSeconds: await awsCallSeconds(w.metricsPort),
    steady: {
      describePerAppPerResync: round(steady.filter((c) => c.op === "DescribeApplication").length / N / 2, 3),
      otherReads: steady.filter((c) => readOps.has(c.op) && c.op !== "DescribeApplication").length,
      writes: steady.filter((c) => !readOps.has(c.op)).length,
      peakCallsPerSecond: w.calls.peakPerSecond(steadyFrom, steadyTo).peak,
    },
    awsCalls: {
      total: w.calls.calls.length,
      throttled: w.calls.calls.filter((c) => c.error === "ThrottlingException").length,
      peakPerCalendarSecond: w.calls.peakPerSecond(),
      peakPerSliding1s: w.calls.peakSliding(),
      budgetBound: Number(args.rate) + Number(args.burst),
    },
    patches: summarize(patches),
  };
}

/** The operator's own view of its AWS calls: mean seconds per call, from /metrics. */
async function awsCallSeconds(port: number) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const sum = (name: string) =>
    [...text.matchAll(new RegExp(`^${name}\\{[^}]*\\} ([0-9.e+-]+)$`, "gm"))].reduce(
      (n, m) => n + Number(m[1]),
      0,
    );
  const seconds = sum("managed_flink_operator_aws_api_call_duration_seconds_sum");
  const count = sum("managed_flink_operator_aws_api_call_duration_seconds_count");
  return { calls: count, meanMs: count ? round((seconds / count) * 1000) : undefined };
}

async function patchPhase(w: World) {
  const ticks = resyncTimes(w.logFile);
  if (ticks.length === 0) throw new Error("no resync line in the operator's log: cannot time the patches");
  const last = ticks.at(-1) ?? Date.now();
  let next = last + periodMs;
  while (next < Date.now() + 2_000) next += periodMs;
  const planned = plan(Number(args.patches), next, periodMs);
  // All at once, back to back: what the benchmark did by accident until 2026-11-30 (BENCHMARKS.md).
  if (args["patch-burst"]) for (const p of planned) p.at = 0;
  const names = [...Array(N).keys()].map(appName);
  const apps = names
    .filter((n) => !w.patched?.has(n))
    .sort(() => Math.random() - 0.5)
    .slice(0, planned.length);
  for (const a of apps) w.patched?.add(a);
  return runPatches({
    kube: w.kube,
    watch: w.watch,
    calls: w.calls,
    namespace,
    apps,
    planned,
    logFile: w.logFile,
    traceFile: join(w.workDir, "trace.jsonl"),
  });
}

/**
 * Health mode: all Ready, then with health checks off a steady window of two resync periods and the
 * patches; then a fresh operator with health checks on, the same again. Same stack, same applications.
 */
async function healthMode(w: World) {
  await createAll(w.kube);
  await waitFor(async () => w.watch.readyCount === N, {
    timeoutMs: 30 * 60_000,
    intervalMs: 250,
    description: `all ${N} Ready`,
    process: w.operator,
  });
  const intervalS = Number(args["health-interval"]);
  w.patched = new Set();
  const off = await healthPhase(w, 0);
  await w.operator.stop();
  w.sampler.stop();
  w.metricsPort = await freePort();
  w.logFile = join(w.workDir, "operator-health.log");
  w.operator = startOperator(w.stack, w.metricsPort, w.logFile, intervalS);
  await waitFor(async () => (await fetch(`http://127.0.0.1:${w.metricsPort}/readyz`)).ok, {
    timeoutMs: 60_000,
    description: "operator with health checks ready",
    process: w.operator,
  });
  w.sampler = await ProcessSampler.start(w.operator.pid);
  const on = await healthPhase(w, intervalS);
  return {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
    loadavgAtEnd: loadavg().map((l) => round(l, 2)),
    config: { apps: N, resyncS: periodMs / 1000, rate: Number(args.rate), healthIntervalS: intervalS },
    healthOff: off,
    healthOn: on,
  };
}

async function healthPhase(w: World, intervalS: number) {
  // Settle (the initial list of a fresh operator, the first health reads), then the steady window.
  await sleep(periodMs + Math.max(5_000, intervalS * 1000));
  const from = await scrape(w.metricsPort);
  const steadyFrom = Date.now();
  await sleep(2 * periodMs);
  const to = await scrape(w.metricsPort);
  const steadyTo = Date.now();
  const cpu = w.sampler.cpuBetween(steadyFrom, steadyTo);
  await w.calls.poll();
  // The same window seen from the other side: the calls the emulator received.
  const received = (op: string) => w.calls.between(steadyFrom, steadyTo).filter((c) => c.op === op).length;
  const patches = summarize(await patchPhase(w));
  return {
    steady: between(from, to, intervalS),
    emulatorReceived: {
      getMetricData: received("cloudwatch:GetMetricData"),
      describeApplication: received("DescribeApplication"),
    },
    cpuSecondsPerResync: round(cpu / 2, 2),
    rssMiBMax: round(w.sampler.rss(steadyFrom, steadyTo).maxBytes / MiB),
    patches: { all: patches.all, atResyncStart: patches.atResyncStart },
  };
}

function summarize(results: PatchResult[]) {
  const stats = (rs: PatchResult[]) => {
    const lat = rs.map((r) => r.latencyMs).filter((x): x is number => x !== undefined);
    const floor = rs.map((r) => r.floorMs).filter((x): x is number => x !== undefined);
    return {
      n: rs.length,
      withoutWrite: rs.length - lat.length,
      p50: percentile(lat, 50),
      p99: percentile(lat, 99),
      max: percentile(lat, 100),
      floorP50: percentile(floor, 50),
      floorP99: percentile(floor, 99),
    };
  };
  return {
    all: stats(results),
    atResyncStart: stats(results.filter((r) => r.atResyncStart)),
    desiredState: stats(results.filter((r) => r.kind === "desiredState")),
    parallelism: stats(results.filter((r) => r.kind === "parallelism")),
    stages: stageSummary(results),
    firstWrites: [...new Set(results.map((r) => `${r.kind}:${r.firstWrite}`))],
    slowest: [...results].sort((a, b) => (b.latencyMs ?? 1e9) - (a.latencyMs ?? 1e9)).slice(0, 3),
  };
}

/** Where the time goes: each stage's duration (ms) over the patches, p50 / p99 / max, and p50 per kind. */
function stageSummary(results: PatchResult[]) {
  const of = (rs: PatchResult[], from: keyof Stages | "sent", to: keyof Stages) =>
    rs
      .map((r) => {
        const a = from === "sent" ? 0 : (r.stages[from] as number | undefined);
        const b = r.stages[to] as number | undefined;
        return a === undefined || b === undefined ? undefined : b - a;
      })
      .filter((x): x is number => x !== undefined);
  const kind = (k: string) => results.filter((r) => r.kind === k);
  return Object.fromEntries(
    stageDeltas.map(([name, from, to]) => {
      const all = of(results, from, to);
      return [
        name,
        {
          n: all.length,
          p50: percentile(all, 50),
          p99: percentile(all, 99),
          max: percentile(all, 100),
          desiredStateP50: percentile(of(kind("desiredState"), from, to), 50),
          parallelismP50: percentile(of(kind("parallelism"), from, to), 50),
        },
      ];
    }),
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
