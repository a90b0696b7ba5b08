import {
  CloudWatchClient,
  type MetricDatum,
  PutMetricDataCommand,
  type StandardUnit,
} from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import type { Logger } from "pino";
import type { ApplicationMetrics } from "./flink/metrics.js";
import {
  CHECKPOINT_BYTES_PER_SUBTASK,
  CHECKPOINT_DURATION_MS,
  FAILURE_PERIOD_MS,
  firstCheckpointAt,
  jobEffects,
} from "./job-health.js";
import { LogStreamWriter, managedFlinkLogRecord } from "./log-stream.js";
import type { ManagedFlinkService, RunningApplication } from "./service.js";

/**
 * Publishes each RUNNING application's metrics to CloudWatch the way Managed Flink does: namespace
 * AWS/KinesisAnalytics, dimension Application, the names and units of the developer guide's "Metrics and
 * dimensions in Managed Service for Apache Flink" (application level). Values come from the runtime
 * (real Flink's REST metrics); a runtime without metrics (the simulated one) gets what the control plane
 * knows: uptime since the job was last started, no restarts, no records (docs/emulator.md, "Metrics").
 */
export const NAMESPACE = "AWS/KinesisAnalytics";

export const UNITS: Record<string, StandardUnit> = {
  uptime: "Milliseconds",
  downtime: "Milliseconds",
  fullRestarts: "Count",
  numberOfFailedCheckpoints: "Count",
  lastCheckpointDuration: "Milliseconds",
  lastCheckpointSize: "Bytes",
  numRecordsInPerSecond: "Count/Second",
  numRecordsOutPerSecond: "Count/Second",
  currentInputWatermark: "Milliseconds",
  millisBehindLatest: "Milliseconds",
  KPUs: "Count",
};

/** Where published metrics go: the emulator's own CloudWatch, or another one over the API. */
export interface MetricSink {
  /** The sink's clock, which stamps the data: the emulator's own, or the wall clock for another CloudWatch. */
  now(): number;
  put(namespace: string, data: MetricDatum[]): Promise<void>;
  close(): void;
}

/** Another CloudWatch (moto, say), written with PutMetricData. */
export class ApiMetricSink implements MetricSink {
  private readonly cw: CloudWatchClient;

  constructor(endpoint: string, region: string) {
    this.cw = new CloudWatchClient({
      endpoint,
      region,
      credentials: { accessKeyId: "emulator", secretAccessKey: "emulator" },
      maxAttempts: 2,
    });
  }

  now(): number {
    return Date.now();
  }

  async put(namespace: string, data: MetricDatum[]): Promise<void> {
    await this.cw.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: data }));
  }

  close(): void {
    this.cw.destroy();
  }
}

export interface PublisherOptions {
  service: ManagedFlinkService;
  sink: MetricSink;
  region: string;
  intervalMs: number;
  log: Logger;
  /** CloudWatch Logs (moto): where a simulated crash-looping job writes its ERROR lines. */
  logsEndpoint?: string;
}

/** The shortest publish interval the admin API accepts: a simulated job fails at most once a second. */
export const MIN_INTERVAL_MS = FAILURE_PERIOD_MS;

export class MetricsPublisher {
  private readonly logs: CloudWatchLogsClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<string[]> | undefined;
  private interval: number;
  /** Per application: the job (its start) and how many of its restarts were written to its log. */
  private readonly logged = new Map<string, { job: number; restarts: number }>();
  private readonly writers = new Map<string, LogStreamWriter>();

  constructor(private readonly opts: PublisherOptions) {
    this.interval = opts.intervalMs;
    const client = {
      region: opts.region,
      credentials: { accessKeyId: "emulator", secretAccessKey: "emulator" },
      maxAttempts: 2,
    };
    this.logs = opts.logsEndpoint
      ? new CloudWatchLogsClient({ endpoint: opts.logsEndpoint, ...client })
      : undefined;
  }

  get intervalMs(): number {
    return this.interval;
  }

  /** Changes the interval at run time (`PUT /_emulator/config` `metricsIntervalMs`); the timer restarts. */
  set intervalMs(ms: number) {
    this.interval = ms;
    if (this.timer) this.start();
  }

  start(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(() => {
      // A round still running (CloudWatch slow) is not queued behind: the next tick publishes fresh values.
      if (this.inFlight) return;
      this.publishOnce().catch((err: unknown) => this.opts.log.warn({ err }, "publishing metrics failed"));
    }, this.interval);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.opts.sink.close();
    this.logs?.destroy();
  }

  /**
   * Publishes every RUNNING application's metrics now and answers their names. Rounds run one at a time;
   * one asked for while another runs starts after it, so it reads the state as of its own call or later.
   */
  publishOnce(): Promise<string[]> {
    const round: Promise<string[]> = (this.inFlight ?? Promise.resolve([]))
      .catch(() => [])
      .then(() => this.publishAll())
      .finally(() => {
        if (this.inFlight === round) this.inFlight = undefined;
      });
    this.inFlight = round;
    return round;
  }

  private async publishAll(): Promise<string[]> {
    const { service } = this.opts;
    const at = new Date(this.opts.sink.now());
    const published: string[] = [];
    for (const app of service.runningApplications()) {
      const measured = await service.runtime.metrics?.(app.name).catch((err: unknown) => {
        this.opts.log.debug({ err, application: app.name }, "no metrics from the runtime");
        return undefined;
      });
      const data = metricData(app, measured ? withInjectedHealth(measured, app) : simulatedMetrics(app), at, {
        highResolution: this.interval < 60_000,
      });
      // PutMetricData takes at most 1000 data; ours are 11 per application.
      await this.opts.sink.put(NAMESPACE, data);
      // A real job's failures are in its own log (the runtime ships it); a simulated one's are written here.
      if (!service.runtime.metrics) await this.logRestarts(app);
      published.push(app.name);
    }
    return published;
  }

  /** Writes an ERROR record for each restart of a crash-looping simulated job since the last publish. */
  private async logRestarts(app: RunningApplication): Promise<void> {
    if (!this.logs || !app.logStreamArns?.length || !app.arn || app.versionId === undefined) return;
    const { restarts } = jobEffects(app.episodes ?? [], app.runningSince, app.now);
    const seen = this.logged.get(app.name);
    const before = seen?.job === app.runningSince ? seen.restarts : 0;
    this.logged.set(app.name, { job: app.runningSince, restarts });
    const records = crashLoopRecords(
      { applicationARN: app.arn, applicationVersionId: app.versionId, name: app.name },
      before,
      restarts,
    );
    if (records.length === 0) return;
    for (const arn of app.logStreamArns) {
      let writer = this.writers.get(arn);
      if (!writer) {
        writer = new LogStreamWriter(arn, this.logs, this.opts.log);
        this.writers.set(arn, writer);
      }
      writer.append(records);
      await writer.ship();
    }
  }
}

/** At most this many restarts are written per publish: a long crash loop must not flood the stream. */
const MAX_LOGGED_RESTARTS = 3;

/**
 * Flink-like records of a crash-looping job's restarts `from`+1 … `to` (the newest MAX_LOGGED_RESTARTS):
 * the task failure at ERROR with the exception, as Managed Flink writes it to CloudWatch Logs. The
 * exception names the injection, so nobody mistakes it for a failure of their code.
 */
export function crashLoopRecords(
  app: { applicationARN: string; applicationVersionId: number; name: string },
  from: number,
  to: number,
): string[] {
  const records: string[] = [];
  for (let attempt = Math.max(from, to - MAX_LOGGED_RESTARTS) + 1; attempt <= to; attempt++) {
    const task = `Source: emulator (1/1)#${attempt - 1}`;
    const exception = `java.lang.RuntimeException: emulator: job crash-looping (injected by PUT /_emulator/applications/${app.name}/job)`;
    records.push(
      managedFlinkLogRecord({
        applicationARN: app.applicationARN,
        applicationVersionId: app.applicationVersionId,
        level: "ERROR",
        logger: "org.apache.flink.runtime.taskmanager.Task",
        locationInformation: "org.apache.flink.runtime.taskmanager.Task.transitionState(Task.java:1171)",
        threadName: task,
        message: `${task} switched from RUNNING to FAILED with failure cause: ${exception}`,
        throwableInformation: [
          exception,
          "\tat dev.managedflink.emulator.InjectedFailure.crashLoop(InjectedFailure.java:1)",
          "\tat org.apache.flink.runtime.taskmanager.Task.doRun(Task.java:751)",
        ].join("\n"),
      }),
    );
  }
  return records;
}

/**
 * A simulated job's metrics: what the control plane knows (up since its last operation, nothing flows)
 * with the health the admin API set for the running version (docs/emulator.md, "Job health"). Counters
 * are the job's, cumulative since it started, as Flink's are.
 */
export function simulatedMetrics(app: RunningApplication): ApplicationMetrics {
  const { now, runningSince } = app;
  const episodes = app.episodes ?? [];
  const fx = jobEffects(episodes, runningSince, now);
  const crashLooping = fx.downSince !== undefined;
  const checkpointed =
    app.checkpointIntervalMs !== undefined &&
    firstCheckpointAt(episodes, runningSince, app.checkpointIntervalMs, now) !== undefined;
  return {
    uptime: crashLooping ? 0 : Math.max(0, now - fx.upSince),
    downtime: crashLooping ? Math.max(0, now - fx.downSince!) : 0,
    fullRestarts: fx.restarts,
    numberOfFailedCheckpoints: fx.failedCheckpoints,
    lastCheckpointDuration: checkpointed ? CHECKPOINT_DURATION_MS : undefined,
    lastCheckpointSize: checkpointed ? CHECKPOINT_BYTES_PER_SUBTASK * app.parallelism : undefined,
    numRecordsInPerSecond: 0,
    numRecordsOutPerSecond: 0,
    currentInputWatermark: undefined,
    millisBehindLatest: fx.millisBehindLatest ?? 0,
  };
}

/**
 * Real Flink's metrics with the health no real job can be made to have on demand: failed checkpoints
 * and the lag are the simulated ones added over Flink's (a crash loop is real: its restarts are Flink's).
 */
export function withInjectedHealth(
  measured: ApplicationMetrics,
  app: RunningApplication,
): ApplicationMetrics {
  const fx = jobEffects(app.episodes ?? [], app.runningSince, app.now);
  return {
    ...measured,
    numberOfFailedCheckpoints: measured.numberOfFailedCheckpoints + fx.failedCheckpoints,
    millisBehindLatest: fx.millisBehindLatest ?? measured.millisBehindLatest,
  };
}

/** KPUs: "The number of KPUs currently in use", one per ParallelismPerKPU subtasks. */
export function kpus(app: RunningApplication): number {
  return Math.ceil(app.parallelism / Math.max(1, app.parallelismPerKPU));
}

/**
 * The data of one publish. Managed Flink publishes standard-resolution metrics once a minute; an emulator
 * told to publish faster (tests) publishes high-resolution ones (StorageResolution 1), which CloudWatch
 * keeps to the second, so that a read at that period sees every publish.
 */
export function metricData(
  app: RunningApplication,
  m: ApplicationMetrics,
  at: Date,
  { highResolution = false }: { highResolution?: boolean } = {},
): MetricDatum[] {
  const values: Record<string, number | undefined> = { ...m, KPUs: kpus(app) };
  return Object.entries(UNITS)
    .filter(([name]) => values[name] !== undefined && Number.isFinite(values[name]))
    .map(([name, unit]) => ({
      MetricName: name,
      Dimensions: [{ Name: "Application", Value: app.name }],
      Timestamp: at,
      Value: values[name]!,
      Unit: unit,
      ...(highResolution ? { StorageResolution: 1 } : {}),
    }));
}
