import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { freePort } from "../../localstack/ports.js";
import { ManagedProcess, waitFor } from "../../localstack/processes.js";
import {
  applicationPropertiesJson,
  type ClusterSettings,
  configYaml,
  DEFAULT_CHECKPOINT_INTERVAL_MS,
  DEFAULT_HEAP_MB,
  DEFAULT_MIN_PAUSE_MS,
  DEFAULT_SLOTS,
  jvmArguments,
  LOG4J_PROPERTIES,
  type PropertyGroup,
} from "./config.js";
import { classpath, type FlinkInstall, requireFlinkInstall } from "./install.js";
import { type ApplicationMetrics, applicationMetrics, JOB_METRICS, vertexMetricsToRead } from "./metrics.js";
import {
  FlinkRestClient,
  FlinkRestError,
  type JobDetails,
  type JobState,
  rootCause,
  TERMINAL_JOB_STATES,
} from "./rest.js";

export interface FlinkClusterOptions {
  /** Names the process in logs and errors; one cluster per Managed Flink application. */
  applicationName: string;
  /**
   * The application's own directory: its runtime properties (application_properties.json, the JVM's
   * working directory), savepoints/, checkpoints/, the uploaded jars and flink.log. Created if absent.
   */
  workDir: string;
  /** Task slots, fixed for the life of the cluster: the highest parallelism it can run. Default 4. */
  slots?: number;
  checkpointIntervalMs?: number;
  minPauseBetweenCheckpointsMs?: number;
  heapMb?: number;
  /** Added to the JVM's environment, e.g. AWS_REGION for the job's SDK clients. */
  environment?: Record<string, string>;
  install?: FlinkInstall;
  /** How long to wait for the REST endpoint. */
  startTimeoutMs?: number;
}

/** What StartApplication hands to Flink. */
export interface RunJobOptions {
  /** The application's code on local disk (the emulator fetches it from S3 first). */
  jarPath: string;
  /** Main class; when absent, Flink reads the jar manifest's Main-Class (program-class). */
  entryClass?: string;
  parallelism: number;
  programArgs?: string[];
  /** A savepoint to restore from, as returned by savepoint() or stopWithSavepoint(). */
  savepointPath?: string;
  /** Skip savepoint state that maps to no operator of the new job, instead of refusing to start. */
  allowNonRestoredState?: boolean;
  /** Configuration for this job only (a PyFlink application's python.files, python.archives). */
  flinkConfiguration?: Record<string, string>;
}

/**
 * Flink refused to start or keep running a job: its main method threw, the savepoint could not be
 * mapped, a task failed. `rootCause` is the innermost exception ("class: message"), `detail` the
 * full stack trace Flink gave — the text Managed Flink shows in its operation failure details.
 */
export class FlinkJobError extends Error {
  readonly rootCause: string;
  readonly detail: string;
  constructor(summary: string, detail: string) {
    const cause = rootCause(detail);
    super(`${summary}: ${cause}`);
    this.name = "FlinkJobError";
    this.rootCause = cause;
    this.detail = detail;
  }
}

/**
 * One Managed Flink application's Flink: a LocalFlinkCluster JVM (a MiniCluster with the REST
 * endpoint, docs/adr/0011-real-flink-runtime.md) in the application's own working directory, driven
 * through Flink's REST API. The JVM dies with the Node process that started it, even on SIGKILL
 * (ManagedProcess's stdin-pipe orphan guard).
 */
export class FlinkCluster {
  readonly applicationName: string;
  readonly workDir: string;
  readonly savepointsDir: string;
  readonly slots: number;
  readonly rest: FlinkRestClient;
  readonly process: ManagedProcess;
  /** Uploaded jars by path, size and mtime: a restart of the same code does not upload it again. */
  private readonly uploads = new Map<string, string>();

  private constructor(
    opts: FlinkClusterOptions,
    slots: number,
    rest: FlinkRestClient,
    process: ManagedProcess,
  ) {
    this.applicationName = opts.applicationName;
    this.workDir = resolve(opts.workDir);
    this.savepointsDir = join(this.workDir, "savepoints");
    this.slots = slots;
    this.rest = rest;
    this.process = process;
  }

  /** Starts the JVM and waits until its REST endpoint reports the TaskManager's slots. */
  static async start(opts: FlinkClusterOptions): Promise<FlinkCluster> {
    const install = requireFlinkInstall(opts.install);
    const workDir = resolve(opts.workDir);
    const confDir = join(workDir, "conf");
    for (const d of ["conf", "savepoints", "checkpoints", "uploads"])
      mkdirSync(join(workDir, d), { recursive: true });
    const settings: ClusterSettings = {
      restPort: await freePort(),
      slots: opts.slots ?? DEFAULT_SLOTS,
      checkpointsDir: join(workDir, "checkpoints"),
      savepointsDir: join(workDir, "savepoints"),
      uploadsDir: join(workDir, "uploads"),
      logFile: join(workDir, "flink.log"),
      checkpointIntervalMs: opts.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS,
      minPauseBetweenCheckpointsMs: opts.minPauseBetweenCheckpointsMs ?? DEFAULT_MIN_PAUSE_MS,
      heapMb: opts.heapMb ?? DEFAULT_HEAP_MB,
      ...(existsSync(install.pythonExecutable) ? { pythonExecutable: install.pythonExecutable } : {}),
    };
    writeFileSync(join(confDir, "config.yaml"), configYaml(settings));
    writeFileSync(join(confDir, "log4j2.properties"), LOG4J_PROPERTIES);
    // KinesisAnalyticsRuntime reads this file on every call; an application without properties gets
    // an empty list, as on Managed Flink.
    const properties = join(workDir, "application_properties.json");
    if (!existsSync(properties)) writeFileSync(properties, applicationPropertiesJson([]));
    const args = jvmArguments({
      heapMb: settings.heapMb,
      classpath: classpath(install),
      optionsFile: install.jvmOptionsFile,
      classArchive: existsSync(install.classArchive) ? install.classArchive : undefined,
      mainClass: install.launcherClass,
      confDir,
      log4jFile: join(confDir, "log4j2.properties"),
    });
    const proc = ManagedProcess.start(`flink (${opts.applicationName})`, javaBinary(), args, {
      cwd: workDir,
      logFile: settings.logFile,
      // LocalFlinkCluster reads commands on stdin (failTaskManager).
      commands: true,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ...(process.env.JAVA_HOME ? { JAVA_HOME: process.env.JAVA_HOME } : {}),
        // The job's AWS SDK must never reach for the instance metadata service for credentials.
        AWS_EC2_METADATA_DISABLED: "true",
        // moto's Kinesis does not speak CBOR (shared notes, "Kinesis locally"); real Kinesis accepts
        // JSON too. This is SDK v1's switch (FlinkKinesisConsumer); SDK v2's (KinesisStreamsSink) is
        // -Daws.cborEnabled=false in tools/flink/jvm.options.
        AWS_CBOR_DISABLE: "true",
        // A PyFlink program reads /etc/flink/application_properties.json itself; the shim on its
        // PYTHONPATH (PythonDriver keeps ours) makes that path name this application's file.
        PYTHONPATH: install.pythonShimDir,
        // Where Flink finds flink-python for a PyFlink job (PackagedProgramUtils.getPythonJar).
        FLINK_OPT_DIR: install.optDir,
        MFO_APPLICATION_PROPERTIES: properties,
        ...opts.environment,
      },
    });
    const rest = new FlinkRestClient(`http://127.0.0.1:${settings.restPort}`);
    try {
      await waitFor(
        async () => {
          const o = await rest.overview();
          return o.taskmanagers >= 1 && o["slots-total"] >= settings.slots;
        },
        {
          timeoutMs: opts.startTimeoutMs ?? 90_000,
          intervalMs: 200,
          description: `Flink REST endpoint of ${opts.applicationName} on ${rest.baseUrl}`,
          process: proc,
        },
      );
    } catch (err) {
      await proc.stop();
      throw err;
    }
    return new FlinkCluster({ ...opts, workDir }, settings.slots, rest, proc);
  }

  get restUrl(): string {
    return this.rest.baseUrl;
  }

  /**
   * Writes the application's runtime properties where KinesisAnalyticsRuntime.getApplicationProperties()
   * reads them (this cluster's working directory). Takes effect for the next run(): Managed Flink
   * also hands new properties only to a restarted job.
   */
  writeApplicationProperties(groups: readonly PropertyGroup[]): void {
    writeFileSync(join(this.workDir, "application_properties.json"), applicationPropertiesJson(groups));
  }

  /**
   * Uploads the jar (once per content) and runs it: Flink calls its main method, which builds and
   * submits the job. Returns the job id as soon as Flink accepted the job; waitUntilRunning() says
   * when its tasks run. Throws FlinkJobError when Flink refuses (main throws, no main class,
   * unmappable savepoint state without allowNonRestoredState).
   */
  async run(opts: RunJobOptions): Promise<string> {
    // More parallelism than slots is not refused by Flink: the job waits for slots until the
    // request times out (5 minutes). Refuse at once; the caller starts the cluster with enough slots.
    if (opts.parallelism > this.slots) {
      throw new Error(
        `parallelism ${opts.parallelism} exceeds the ${this.slots} task slots of ${this.applicationName}'s cluster`,
      );
    }
    const jarId = await this.upload(opts.jarPath);
    try {
      return await this.rest.runJar(jarId, {
        entryClass: opts.entryClass,
        parallelism: opts.parallelism,
        programArgsList: opts.programArgs ?? [],
        savepointPath: opts.savepointPath,
        allowNonRestoredState: opts.allowNonRestoredState ?? false,
        ...(opts.flinkConfiguration && Object.keys(opts.flinkConfiguration).length > 0
          ? { flinkConfiguration: opts.flinkConfiguration }
          : {}),
      });
    } catch (err) {
      if (err instanceof FlinkRestError && err.status >= 400 && err.status < 600 && err.errors.length > 0) {
        throw new FlinkJobError("Flink could not run the application's code", err.errors.join("\n"));
      }
      throw err;
    }
  }

  /**
   * Waits until the job and every one of its tasks are RUNNING. Throws FlinkJobError with the job's
   * exception when it ends (FAILED, CANCELED, FINISHED) first, or is still failing at the deadline.
   */
  async waitUntilRunning(jobId: string, timeoutMs = 60_000): Promise<JobDetails> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.process.assertRunning();
      const job = await this.rest.job(jobId);
      if (job.state === "RUNNING" && job.vertices.every((v) => v.status === "RUNNING")) return job;
      if (TERMINAL_JOB_STATES.has(job.state)) {
        throw await this.jobError(jobId, `job ${jobId} is ${job.state} instead of RUNNING`);
      }
      if (Date.now() > deadline) {
        const tasks = job.vertices.map((v) => `${v.name}: ${v.status}`).join(", ");
        throw await this.jobError(
          jobId,
          `job ${jobId} not running after ${timeoutMs} ms (${job.state}; ${tasks})`,
        );
      }
      await sleep(200);
    }
  }

  async jobState(jobId: string): Promise<JobState> {
    return (await this.rest.job(jobId)).state;
  }

  /** The job's newest failure as "class: message", or undefined if it has none. */
  async failure(jobId: string): Promise<string | undefined> {
    const trace = await this.rest.latestException(jobId);
    return trace === undefined ? undefined : rootCause(trace);
  }

  /** Takes a savepoint of the running job (CreateApplicationSnapshot) and returns its path. */
  async savepoint(jobId: string, timeoutMs = 120_000): Promise<string> {
    const trigger = await this.rest.triggerSavepoint(jobId, this.savepointsDir);
    return this.savepointResult(jobId, trigger, timeoutMs);
  }

  /**
   * Stops the job with a savepoint (StopApplication with snapshots enabled; UpdateApplication of a
   * running application) and returns the savepoint's path once the job has stopped.
   */
  async stopWithSavepoint(jobId: string, timeoutMs = 120_000): Promise<string> {
    const trigger = await this.rest.stopWithSavepoint(jobId, this.savepointsDir);
    const path = await this.savepointResult(jobId, trigger, timeoutMs);
    await this.waitForState(jobId, TERMINAL_JOB_STATES, timeoutMs);
    return path;
  }

  /** Cancels the job without a savepoint (StopApplication with Force) and waits until it is gone. */
  async cancel(jobId: string, timeoutMs = 60_000): Promise<void> {
    const state = await this.jobState(jobId);
    if (TERMINAL_JOB_STATES.has(state)) return;
    await this.rest.cancel(jobId);
    await this.waitForState(jobId, TERMINAL_JOB_STATES, timeoutMs);
  }

  /**
   * Terminates the cluster's TaskManager and starts a fresh one (LocalFlinkCluster's fail-task-manager
   * command): the running job fails as on the loss of a worker, and Flink's restart strategy restarts it,
   * which counts in its fullRestarts. Returns at once; the restart follows within seconds.
   */
  failTaskManager(): void {
    this.process.command("fail-task-manager");
  }

  /** The job's metrics under Managed Flink's names, for CloudWatch. */
  async metrics(jobId: string): Promise<ApplicationMetrics> {
    const [job, details] = await Promise.all([
      this.rest.jobMetrics(jobId, JOB_METRICS),
      this.rest.job(jobId),
    ]);
    const vertices = await Promise.all(
      details.vertices.map(async (v) => {
        const wanted = vertexMetricsToRead(await this.rest.subtaskMetricNames(jobId, v.id));
        // One request per metric: Flink answers an empty list for the whole request when one of the
        // named metrics is missing on a subtask.
        const metrics = await Promise.all(
          wanted.map((name) => this.rest.subtaskMetrics(jobId, v.id, [name])),
        );
        return { id: v.id, metrics: metrics.flat() };
      }),
    );
    return applicationMetrics(job, vertices);
  }

  /** Savepoint paths in this application's savepoint directory, oldest first. */
  listSavepoints(): string[] {
    return readdirSync(this.savepointsDir)
      .filter((name) => name.startsWith("savepoint-"))
      .map((name) => join(this.savepointsDir, name))
      .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs)
      .map((p) => `file:${p}`);
  }

  /**
   * Deletes one savepoint (DeleteApplicationSnapshot). Only paths inside this application's savepoint
   * directory are accepted, so a stored path can never make us delete anything else.
   */
  deleteSavepoint(savepointPath: string): void {
    const dir = resolve(savepointPath.replace(/^file:(\/\/)?/, ""));
    const rel = relative(this.savepointsDir, dir);
    if (rel === "" || rel.startsWith("..") || rel.includes("/")) {
      throw new Error(
        `${savepointPath} is not a savepoint of ${this.applicationName} (${this.savepointsDir})`,
      );
    }
    rmSync(dir, { recursive: true, force: true });
  }

  /** Resident memory of the cluster's processes (the JVM and its guard), in bytes. */
  residentBytes(): number {
    const out = execFileSync("ps", ["-o", "rss=", "-g", String(this.process.pid)], { encoding: "utf8" });
    return out
      .split("\n")
      .filter((l) => l.trim())
      .reduce((total, l) => total + Number(l.trim()) * 1024, 0);
  }

  /** Stops the JVM (SIGTERM: the MiniCluster cancels its jobs and shuts down), then SIGKILL after 15 s. */
  async stop(): Promise<void> {
    await this.process.stop(15_000);
  }

  private async upload(jarPath: string): Promise<string> {
    const st = statSync(jarPath);
    const key = `${resolve(jarPath)}:${st.size}:${st.mtimeMs}`;
    const known = this.uploads.get(key);
    if (known) return known;
    const jarId = await this.rest.uploadJar(jarPath);
    this.uploads.set(key, jarId);
    return jarId;
  }

  private async savepointResult(jobId: string, triggerId: string, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.rest.savepointStatus(jobId, triggerId);
      if (status.state === "COMPLETED") return status.location;
      if (status.state === "FAILED")
        throw new FlinkJobError(`savepoint of job ${jobId} failed`, status.failure);
      if (Date.now() > deadline) throw new Error(`savepoint of job ${jobId} not done after ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  private async waitForState(
    jobId: string,
    states: ReadonlySet<JobState>,
    timeoutMs: number,
  ): Promise<JobState> {
    return waitFor(
      async () => {
        const state = await this.jobState(jobId);
        return states.has(state) ? state : undefined;
      },
      {
        timeoutMs,
        intervalMs: 100,
        description: `job ${jobId} to reach ${[...states].join("/")}`,
        process: this.process,
      },
    );
  }

  private async jobError(jobId: string, summary: string): Promise<FlinkJobError> {
    const trace = await this.rest.latestException(jobId).catch(() => undefined);
    return new FlinkJobError(summary, trace ?? "(Flink recorded no exception)");
  }
}

function javaBinary(): string {
  return process.env.JAVA_HOME ? join(process.env.JAVA_HOME, "bin", "java") : "java";
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
