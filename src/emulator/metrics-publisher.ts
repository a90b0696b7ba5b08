import {
  CloudWatchClient,
  type MetricDatum,
  PutMetricDataCommand,
  type StandardUnit,
} from "@aws-sdk/client-cloudwatch";
import type { Logger } from "pino";
import type { ApplicationMetrics } from "./flink/metrics.js";
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

export interface PublisherOptions {
  service: ManagedFlinkService;
  endpoint: string;
  region: string;
  intervalMs: number;
  log: Logger;
}

export class MetricsPublisher {
  private readonly cw: CloudWatchClient;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(private readonly opts: PublisherOptions) {
    this.cw = new CloudWatchClient({
      endpoint: opts.endpoint,
      region: opts.region,
      credentials: { accessKeyId: "emulator", secretAccessKey: "emulator" },
      maxAttempts: 2,
    });
  }

  start(): void {
    this.timer = setInterval(() => {
      if (!this.inFlight) {
        this.inFlight = this.publishOnce()
          .catch((err: unknown) => this.opts.log.warn({ err }, "publishing metrics failed"))
          .finally(() => {
            this.inFlight = undefined;
          });
      }
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.cw.destroy();
  }

  async publishOnce(): Promise<void> {
    const { service } = this.opts;
    const at = new Date();
    for (const app of service.runningApplications()) {
      const measured = await service.runtime.metrics?.(app.name).catch((err: unknown) => {
        this.opts.log.debug({ err, application: app.name }, "no metrics from the runtime");
        return undefined;
      });
      const data = metricData(app, measured ?? simulatedMetrics(app), at);
      // PutMetricData takes at most 1000 data; ours are 11 per application.
      await this.cw.send(new PutMetricDataCommand({ Namespace: NAMESPACE, MetricData: data }));
    }
  }
}

/** What the control plane alone knows of a RUNNING application: up since its last operation, nothing flows. */
export function simulatedMetrics(app: RunningApplication): ApplicationMetrics {
  return {
    uptime: Math.max(0, app.now - app.runningSince),
    downtime: 0,
    fullRestarts: 0,
    numberOfFailedCheckpoints: 0,
    lastCheckpointDuration: undefined,
    lastCheckpointSize: undefined,
    numRecordsInPerSecond: 0,
    numRecordsOutPerSecond: 0,
    currentInputWatermark: undefined,
    millisBehindLatest: undefined,
  };
}

/** KPUs: "The number of KPUs currently in use", one per ParallelismPerKPU subtasks. */
export function kpus(app: RunningApplication): number {
  return Math.ceil(app.parallelism / Math.max(1, app.parallelismPerKPU));
}

export function metricData(app: RunningApplication, m: ApplicationMetrics, at: Date): MetricDatum[] {
  const values: Record<string, number | undefined> = { ...m, KPUs: kpus(app) };
  return Object.entries(UNITS)
    .filter(([name]) => values[name] !== undefined && Number.isFinite(values[name]))
    .map(([name, unit]) => ({
      MetricName: name,
      Dimensions: [{ Name: "Application", Value: app.name }],
      Timestamp: at,
      Value: values[name]!,
      Unit: unit,
    }));
}
