import { createHash } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import type { ApplicationConfigurationDescription } from "@aws-sdk/client-kinesis-analytics-v2";
import { GetObjectCommand, HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { type Logger, pino } from "pino";
import { bucketFromArn } from "../code-location.js";
import type { JobHealth } from "../job-health.js";
import { type ApplicationRuntime, type RunSpec, RuntimeFailure } from "../runtime.js";
import { FlinkCluster, FlinkJobError, type RunJobOptions } from "./cluster.js";
import { DEFAULT_SLOTS, type PropertyGroup } from "./config.js";
import { type FlinkInstall, flinkInstallPath, requirePython } from "./install.js";
import { LogShipper } from "./log-shipper.js";
import type { ApplicationMetrics } from "./metrics.js";
import { pythonProgram, pythonRunOptions, unpackCode, writeEmptyJar } from "./python.js";
import { TERMINAL_JOB_STATES } from "./rest.js";

export interface FlinkRuntimeOptions {
  /** moto's S3: where the application code objects are fetched from. */
  s3Endpoint: string;
  region: string;
  /** One directory per application below it: code/, savepoints/, checkpoints/, flink.log. */
  workRoot: string;
  install?: FlinkInstall;
  /** Added to every cluster JVM's environment. */
  environment?: Record<string, string>;
  /**
   * How long a started job may take until all its tasks run. A job still not running then (its tasks
   * failing and restarting) is left RUNNING, as Managed Flink leaves it (docs/emulator.md, "Real Flink").
   */
  jobStartTimeoutMs?: number;
  /** CloudWatch Logs (moto) for applications with CloudWatchLoggingOptions; their lines stay in flink.log without. */
  cloudWatchLogsEndpoint?: string;
  /** How often a job whose version is set to crashLoop loses its TaskManager (default 5 s). */
  crashLoopPeriodMs?: number;
  logger?: Logger;
}

/** What runs for one application: its cluster (while RUNNING), its job, and its savepoints by snapshot name. */
interface AppState {
  name: string;
  dir: string;
  cluster?: FlinkCluster;
  /** Slots and checkpoint settings the cluster was started with: another shape restarts it. */
  shape?: string;
  jobId?: string;
  run?: RunSpec;
  /** Savepoint paths by snapshot name; a pending promise while the savepoint is being taken. */
  savepoints: Map<string, Promise<string>>;
  /**
   * A snapshot the service asked for just before a stop, update or rescale: that call takes it as its
   * stop-with-savepoint, so the snapshot holds exactly the state the next run restores.
   */
  claim?: { name: string; resolve(path: string): void; reject(err: Error): void };
  /** Lifecycle work for this application runs one step at a time. */
  queue: Promise<unknown>;
  /** Ship flink.log to the application's CloudWatch Logs streams while its job runs. */
  shippers: LogShipper[];
  /** The runtime's epoch when this state was made; a reset since makes it stale. */
  epoch: number;
  /** Job health by version, as the admin API set it (docs/emulator.md, "Job health"). */
  health: Map<number, JobHealth>;
  /** While the running version crash-loops: the timer that fails its TaskManager. */
  crashLoop?: NodeJS.Timeout;
}

/**
 * The real-Flink runtime (docs/adr/0011-real-flink-runtime.md, docs/emulator.md "Real Flink"): every
 * RUNNING application is a FlinkCluster in its own directory running the application's code from S3,
 * with its parallelism and runtime properties; snapshots are Flink savepoints.
 */
export class FlinkRuntime implements ApplicationRuntime {
  private readonly apps = new Map<string, AppState>();
  private s3Client: S3Client | undefined;
  private logsClient: CloudWatchLogsClient | undefined;
  private readonly log: Logger;
  /** Incremented by shutdown() (an emulator reset): work begun before it must not leave anything running. */
  private epoch = 0;

  constructor(private readonly opts: FlinkRuntimeOptions) {
    this.log = opts.logger ?? pino({ level: "silent" });
    mkdirSync(opts.workRoot, { recursive: true });
  }

  private get s3(): S3Client {
    this.s3Client ??= new S3Client({
      endpoint: this.opts.s3Endpoint,
      region: this.opts.region,
      forcePathStyle: true,
      credentials: { accessKeyId: "emulator", secretAccessKey: "emulator" },
    });
    return this.s3Client;
  }

  private get logs(): CloudWatchLogsClient | undefined {
    if (!this.opts.cloudWatchLogsEndpoint) return undefined;
    this.logsClient ??= new CloudWatchLogsClient({
      endpoint: this.opts.cloudWatchLogsEndpoint,
      region: this.opts.region,
      credentials: { accessKeyId: "emulator", secretAccessKey: "emulator" },
      maxAttempts: 2,
    });
    return this.logsClient;
  }

  start(run: RunSpec): Promise<void> {
    const a = this.state(run.application);
    return this.enqueue(a, () => this.startJob(a, run));
  }

  redeploy(run: RunSpec, _cause: "update" | "rollback"): Promise<void> {
    const a = this.state(run.application);
    const claim = this.takeClaim(a);
    this.stopCrashLoop(a);
    return this.enqueue(a, async () => {
      await this.stopJob(a, claim, false);
      await this.startJob(a, run);
    });
  }

  stop(application: string, how: { force: boolean }): Promise<void> {
    const a = this.state(application);
    const claim = this.takeClaim(a);
    this.stopCrashLoop(a);
    return this.enqueue(a, async () => {
      try {
        await this.stopJob(a, claim, how.force);
      } finally {
        // A stopped application runs nothing: its cluster goes, its savepoints stay.
        await this.stopCluster(a);
      }
    });
  }

  snapshot(application: string, name: string): Promise<void> {
    const a = this.state(application);
    let resolveClaim!: (path: string) => void;
    let rejectClaim!: (err: Error) => void;
    const path = new Promise<string>((res, rej) => {
      resolveClaim = res;
      rejectClaim = rej;
    });
    path.catch(() => {});
    a.savepoints.set(name, path);
    a.claim = { name, resolve: resolveClaim, reject: rejectClaim };
    // The service calls stop, redeploy or rescale in the same turn when the snapshot is theirs; a
    // snapshot nobody claimed by then is CreateApplicationSnapshot's: a savepoint of the running job.
    setImmediate(() => {
      if (a.claim?.name !== name) return;
      a.claim = undefined;
      this.enqueue(a, () => this.savepointOfRunningJob(a)).then(resolveClaim, rejectClaim);
    });
    return path.then(() => undefined);
  }

  rescale(application: string, parallelism: number): Promise<void> {
    const a = this.state(application);
    const claim = this.takeClaim(a);
    this.stopCrashLoop(a);
    return this.enqueue(a, async () => {
      const run = a.run;
      if (!run) throw new RuntimeFailure(`Application ${application} is not running`);
      const path = await this.stopJob(a, claim ?? internalClaim(), false);
      const scaled = withParallelism(run, parallelism);
      await this.startJob(a, scaled, path);
    });
  }

  async deleteSnapshot(application: string, name: string): Promise<void> {
    const a = this.apps.get(application);
    const path = a?.savepoints.get(name);
    if (!a || !path) return;
    a.savepoints.delete(name);
    const location = await path.catch(() => undefined);
    if (location) removeSavepoint(join(a.dir, "savepoints"), location);
  }

  release(application: string): Promise<void> {
    const a = this.state(application);
    const claim = this.takeClaim(a);
    this.stopCrashLoop(a);
    claim?.reject(new RuntimeFailure("the application is being deleted"));
    return this.enqueue(a, async () => {
      await this.stopCluster(a);
      this.apps.delete(application);
      rmSync(a.dir, { recursive: true, force: true });
    });
  }

  /**
   * Emulator reset or close: every cluster stops (a short grace, then KILL: nothing of a job is kept) and
   * every application's directory goes with its record. The runtime stays usable after a reset.
   */
  async shutdown(): Promise<void> {
    this.epoch++;
    const apps = [...this.apps.values()];
    this.apps.clear();
    for (const a of apps) this.stopCrashLoop(a);
    await Promise.all(apps.map((a) => a.cluster?.process.stop(5_000)));
    await Promise.all(apps.flatMap((a) => a.shippers.map((s) => s.stop())));
    for (const a of apps) rmSync(a.dir, { recursive: true, force: true });
    this.s3Client?.destroy();
    this.s3Client = undefined;
    this.logsClient?.destroy();
    this.logsClient = undefined;
  }

  /** The running job's metrics under Managed Flink's names, or undefined when nothing runs. */
  async metrics(application: string): Promise<ApplicationMetrics | undefined> {
    const a = this.apps.get(application);
    if (!a?.cluster || !a.jobId) return undefined;
    return a.cluster.metrics(a.jobId);
  }

  /**
   * A crash loop is real: while the running version is set to crashLoop, its TaskManager is terminated
   * and replaced every `crashLoopPeriodMs`, so the job fails and Flink restarts it (fullRestarts grows in
   * Flink's own metrics). Other healths only change the published metrics (metrics-publisher.ts).
   */
  jobHealth(application: string, version: number, health: JobHealth): void {
    const a = this.state(application);
    a.health.set(version, health);
    this.driveCrashLoop(a);
  }

  /** Applications with a job, and the parallelism it runs at (for metrics publishing). */
  running(): { application: string; parallelism: number }[] {
    return [...this.apps.values()]
      .filter((a) => a.cluster && a.jobId && a.run)
      .map((a) => ({ application: a.name, parallelism: parallelismOf(a.run!.configuration) }));
  }

  /** The application's cluster and job while one runs, for tests and tools (REST URL, log). */
  job(application: string): { cluster: FlinkCluster; jobId: string } | undefined {
    const a = this.apps.get(application);
    return a?.cluster && a.jobId ? { cluster: a.cluster, jobId: a.jobId } : undefined;
  }

  private state(application: string): AppState {
    let a = this.apps.get(application);
    if (!a) {
      a = {
        name: application,
        dir: join(this.opts.workRoot, safeName(application)),
        savepoints: new Map(),
        queue: Promise.resolve(),
        shippers: [],
        epoch: this.epoch,
        health: new Map(),
      };
      this.apps.set(application, a);
    }
    return a;
  }

  private enqueue<T>(a: AppState, work: () => Promise<T>): Promise<T> {
    const next = a.queue.then(work, work);
    a.queue = next.catch(() => {});
    return next;
  }

  private takeClaim(a: AppState): AppState["claim"] {
    const claim = a.claim;
    a.claim = undefined;
    return claim;
  }

  /** Fetches the code, resolves the snapshot to a savepoint, and runs the job until its tasks run. */
  private async startJob(a: AppState, run: RunSpec, savepointOverride?: string): Promise<void> {
    if (a.epoch !== this.epoch) throw new RuntimeFailure("the emulator was reset");
    const program = await this.program(await this.fetchCode(a, run), run.configuration);
    const savepointPath = savepointOverride ?? (await this.savepointFor(a, run.restoreFrom));
    const cluster = await this.ensureCluster(a, run.configuration);
    cluster.writeApplicationProperties(propertyGroups(run.configuration));
    a.run = run;
    await this.shipLogs(a, run);
    try {
      a.jobId = await cluster.run({
        ...program,
        parallelism: parallelismOf(run.configuration),
        ...(savepointPath ? { savepointPath } : {}),
        allowNonRestoredState: run.allowNonRestoredState,
      });
      await this.waitStarted(cluster, a.jobId);
      this.log.info({ application: a.name, jobId: a.jobId, savepointPath }, "job running");
      this.driveCrashLoop(a);
    } catch (err) {
      // Nothing half-started is left behind: the failed application is READY (or rolled back).
      a.jobId = undefined;
      await this.stopCluster(a);
      throw asFailure(err);
    }
  }

  /**
   * Stops the running job: with a savepoint when the stop claimed a snapshot (its path fulfils the
   * snapshot), else by cancelling it. Returns the savepoint's path, if one was taken.
   */
  private async stopJob(a: AppState, claim: AppState["claim"], force: boolean): Promise<string | undefined> {
    const { cluster, jobId } = a;
    a.jobId = undefined;
    const running =
      cluster && jobId && !TERMINAL_JOB_STATES.has(await cluster.jobState(jobId).catch(() => "FAILED"));
    if (!running || !cluster || !jobId) {
      claim?.reject(new RuntimeFailure(`Application ${a.name} has no running job to snapshot`));
      return undefined;
    }
    if (force || !claim) {
      claim?.reject(new RuntimeFailure("StopApplication with Force takes no snapshot"));
      await cluster.cancel(jobId);
      return undefined;
    }
    try {
      const path = await cluster.stopWithSavepoint(jobId);
      claim.resolve(path);
      return path;
    } catch (err) {
      const failure = asFailure(err);
      claim.reject(failure);
      await cluster.cancel(jobId).catch(() => {});
      throw failure;
    }
  }

  private async savepointOfRunningJob(a: AppState): Promise<string> {
    if (!a.cluster || !a.jobId) throw new RuntimeFailure(`Application ${a.name} has no running job`);
    try {
      return await a.cluster.savepoint(a.jobId);
    } catch (err) {
      throw asFailure(err);
    }
  }

  private async savepointFor(a: AppState, snapshot: string | undefined): Promise<string | undefined> {
    if (snapshot === undefined) return undefined;
    const path = a.savepoints.get(snapshot);
    if (!path) throw new RuntimeFailure(`Snapshot ${snapshot} has no savepoint in this emulator`);
    try {
      return await path;
    } catch (err) {
      throw new RuntimeFailure(`Snapshot ${snapshot} could not be taken: ${asFailure(err).message}`);
    }
  }

  /** A cluster with enough slots and the application's checkpoint settings; restarted when they change. */
  private async ensureCluster(
    a: AppState,
    config: ApplicationConfigurationDescription,
  ): Promise<FlinkCluster> {
    const checkpoints = config.FlinkApplicationConfigurationDescription?.CheckpointConfigurationDescription;
    const slots = Math.max(DEFAULT_SLOTS, parallelismOf(config));
    const settings = {
      slots,
      checkpointIntervalMs: checkpoints?.CheckpointInterval ?? 60_000,
      minPauseBetweenCheckpointsMs: checkpoints?.MinPauseBetweenCheckpoints ?? 5_000,
    };
    const shape = JSON.stringify(settings);
    if (a.cluster && a.shape === shape && a.cluster.process.running) return a.cluster;
    await this.stopCluster(a);
    const cluster = await FlinkCluster.start({
      applicationName: a.name,
      workDir: a.dir,
      ...settings,
      environment: { AWS_REGION: this.opts.region, ...this.opts.environment },
      ...(this.opts.install ? { install: this.opts.install } : {}),
    });
    if (a.epoch !== this.epoch) {
      await cluster.stop();
      throw new RuntimeFailure("the emulator was reset");
    }
    a.cluster = cluster;
    a.shape = shape;
    return cluster;
  }

  /** Ships the job's log as Managed Flink's JSON records, naming the application and the running version. */
  private async shipLogs(a: AppState, run: RunSpec): Promise<void> {
    await Promise.all(a.shippers.map((s) => s.stop()));
    const logs = this.logs;
    const context = run.applicationArn
      ? { applicationARN: run.applicationArn, applicationVersionId: run.versionId }
      : undefined;
    a.shippers = logs
      ? run.logStreamArns.map(
          (arn) => new LogShipper(join(a.dir, "flink.log"), arn, logs, this.log, 2_000, context),
        )
      : [];
  }

  /** Starts or stops failing the TaskManager, as the running version's health says. */
  private driveCrashLoop(a: AppState): void {
    const looping = a.cluster && a.jobId && a.run && a.health.get(a.run.versionId) === "crashLoop";
    if (!looping) {
      this.stopCrashLoop(a);
      return;
    }
    if (a.crashLoop) return;
    const fail = () => {
      if (a.cluster && a.jobId) a.cluster.failTaskManager();
      else this.stopCrashLoop(a);
    };
    fail();
    a.crashLoop = setInterval(fail, this.opts.crashLoopPeriodMs ?? 5_000);
    a.crashLoop.unref();
  }

  private stopCrashLoop(a: AppState): void {
    if (a.crashLoop) clearInterval(a.crashLoop);
    a.crashLoop = undefined;
  }

  private async stopCluster(a: AppState): Promise<void> {
    this.stopCrashLoop(a);
    const shippers = a.shippers;
    a.shippers = [];
    const cluster = a.cluster;
    a.cluster = undefined;
    a.shape = undefined;
    a.jobId = undefined;
    await cluster?.stop();
    await Promise.all(shippers.map((s) => s.stop()));
  }

  /**
   * Until every task runs. A job that ends first failed to start; one whose tasks keep failing past the
   * deadline is RUNNING and restarting, as Managed Flink reports it.
   */
  private async waitStarted(cluster: FlinkCluster, jobId: string): Promise<void> {
    const deadline = Date.now() + (this.opts.jobStartTimeoutMs ?? 90_000);
    for (;;) {
      cluster.process.assertRunning();
      const job = await cluster.rest.job(jobId);
      if (job.state === "RUNNING" && job.vertices.every((v) => v.status === "RUNNING")) return;
      if (TERMINAL_JOB_STATES.has(job.state)) {
        const trace = await cluster.rest.latestException(jobId).catch(() => undefined);
        throw new FlinkJobError(`job ${jobId} is ${job.state}`, trace ?? "(Flink recorded no exception)");
      }
      if (Date.now() > deadline) {
        this.log.warn({ jobId }, "job not fully running at the deadline; reported RUNNING (restarting)");
        return;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /**
   * What runs the downloaded code: a Java application's jar (main class from its manifest), or for a
   * PyFlink application (docs/adr/0020-pyflink-on-real-flink.md) PythonDriver with the program from the
   * unpacked ZIP, as Managed Flink runs it.
   */
  private async program(
    codePath: string,
    config: ApplicationConfigurationDescription,
  ): Promise<Pick<RunJobOptions, "jarPath" | "entryClass" | "programArgs" | "flinkConfiguration">> {
    const options = pythonRunOptions(propertyGroups(config));
    if (!options) return { jarPath: codePath };
    const python = requirePython(this.opts.install ?? flinkInstallPath());
    const dir = codePath.replace(/\.jar$/, "");
    await unpackCode(codePath, dir, python);
    return pythonProgram(options, dir, writeEmptyJar(join(dir, "..", "empty.jar")));
  }

  /** Downloads the code object once per content (bucket, key, version, ETag) into the app's code/. */
  private async fetchCode(a: AppState, run: RunSpec): Promise<string> {
    const loc = run.code;
    const bucket = loc?.BucketARN ? bucketFromArn(loc.BucketARN) : undefined;
    if (!loc || !bucket || !loc.FileKey) {
      throw new RuntimeFailure("Real Flink runs only code in S3 (S3ContentLocation)");
    }
    const version = loc.ObjectVersion ? { VersionId: loc.ObjectVersion } : {};
    const head = await this.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: loc.FileKey, ...version }));
    const id = createHash("sha256")
      .update(`${bucket}\n${loc.FileKey}\n${loc.ObjectVersion ?? ""}\n${head.ETag ?? ""}`)
      .digest("hex")
      .slice(0, 16);
    const codeDir = join(a.dir, "code");
    const path = join(codeDir, `${id}.jar`);
    if (existsSync(path)) return path;
    mkdirSync(codeDir, { recursive: true });
    const obj = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: loc.FileKey, ...version }));
    const body = obj.Body as { transformToWebStream(): WebReadableStream } | undefined;
    if (!body) throw new RuntimeFailure(`s3://${bucket}/${loc.FileKey} is empty`);
    const tmp = `${path}.part`;
    await pipeline(Readable.fromWeb(body.transformToWebStream()), createWriteStream(tmp));
    renameSync(tmp, path);
    return path;
  }
}

/** A claim for a savepoint no snapshot record asked for (a rescale without snapshots enabled). */
function internalClaim(): NonNullable<AppState["claim"]> {
  return { name: "", resolve: () => {}, reject: () => {} };
}

function withParallelism(run: RunSpec, parallelism: number): RunSpec {
  const copy = structuredClone(run);
  const par =
    copy.configuration.FlinkApplicationConfigurationDescription?.ParallelismConfigurationDescription;
  if (par) par.CurrentParallelism = parallelism;
  return copy;
}

/** The parallelism the job runs at: the current one (autoscaling may have raised it), else the configured one. */
export function parallelismOf(config: ApplicationConfigurationDescription): number {
  const par = config.FlinkApplicationConfigurationDescription?.ParallelismConfigurationDescription;
  return Math.max(1, par?.CurrentParallelism ?? par?.Parallelism ?? 1);
}

/** The application's runtime properties as KinesisAnalyticsRuntime reads them. */
export function propertyGroups(config: ApplicationConfigurationDescription): PropertyGroup[] {
  return (config.EnvironmentPropertyDescriptions?.PropertyGroupDescriptions ?? []).map((g) => ({
    PropertyGroupId: g.PropertyGroupId ?? "",
    PropertyMap: { ...(g.PropertyMap ?? {}) },
  }));
}

/** The text the operation's ErrorInfo.ErrorString carries: Flink's own exception (the service bounds it). */
export function asFailure(err: unknown): RuntimeFailure {
  if (err instanceof RuntimeFailure) return err;
  return new RuntimeFailure(err instanceof Error ? err.message : String(err));
}

/** Deletes one savepoint directory, only if it is a direct child of the application's savepoints/. */
export function removeSavepoint(savepointsDir: string, location: string): void {
  const dir = resolve(location.replace(/^file:(\/\/)?/, ""));
  const rel = relative(resolve(savepointsDir), dir);
  if (rel === "" || rel.startsWith("..") || rel.includes("/")) {
    throw new Error(`${location} is not a savepoint in ${savepointsDir}`);
  }
  rmSync(dir, { recursive: true, force: true });
}

function safeName(application: string): string {
  // Application names are [a-zA-Z0-9_.-]+ (the model's pattern); "." and ".." are the only unsafe ones.
  return application === "." || application === ".." ? `_${application}` : application;
}
