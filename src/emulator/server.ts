import { mkdtempSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { type Logger, pino } from "pino";
import { binaryPaths } from "../localstack/binaries.js";
import { handleAdminRequest } from "./admin.js";
import { CallLog } from "./calls.js";
import { type Clock, wallClock } from "./clock.js";
import { StoreMetricSink } from "./cloudwatch/api.js";
import { MetricStore } from "./cloudwatch/metric-store.js";
import { handleCloudWatchRequest, isCloudWatchRequest } from "./cloudwatch/protocol.js";
import { S3CodeLocationChecker } from "./code-location.js";
import { FaultInjector } from "./faults.js";
import { FlinkRuntime } from "./flink/runtime.js";
import { DEFAULT_TIMINGS, type Timings } from "./lifecycle.js";
import { ApiMetricSink, MetricsPublisher } from "./metrics-publisher.js";
import { loadServiceModel } from "./model.js";
import { handleApiRequest } from "./protocol.js";
import type { ApplicationRuntime } from "./runtime.js";
import { ManagedFlinkService } from "./service.js";
import { callerAccessKeyId, handleStsRequest, isStsRequest } from "./sts.js";

export interface EmulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** The S3 server that holds application code; HeadObject checks run against it. */
  s3Endpoint: string;
  region?: string;
  accountId?: string;
  /** botocore's kinesisanalyticsv2 service-2.json(.gz); defaults to MFO_SERVICE_MODEL, then the installed botocore. */
  serviceModelPath?: string;
  timings?: Partial<Timings>;
  snapshotCap?: number;
  applicationCap?: number;
  logger?: Logger;
  /** The wall clock unless given; tests pass a FakeClock and advance it. */
  clock?: Clock;
  /** How many calls `GET /_emulator/calls` keeps (the newest); default 10,000. */
  callLogSize?: number;
  /** What runs behind each application; the simulated runtime unless given (docs/emulator.md, "Runtimes"). */
  runtime?: ApplicationRuntime;
  /**
   * "real" runs each RUNNING application as a real Flink cluster (FlinkRuntime, docs/emulator.md "Real
   * Flink"); "simulated" (the default) only times the lifecycle. Ignored when `runtime` is given.
   */
  flink?: "real" | "simulated";
  /** Where real Flink keeps each application's directory; a new temporary directory unless given. */
  flinkWorkDir?: string;
  /**
   * Another CloudWatch (moto, say) to publish each running application's metrics to. Unless given, they go
   * to the emulator's own CloudWatch, served on its endpoint (docs/emulator.md, "CloudWatch").
   */
  cloudWatchEndpoint?: string;
  /** botocore's CloudWatch model, which the emulator's CloudWatch validates requests against. */
  cloudWatchModelPath?: string;
  /** How long the emulator's CloudWatch keeps datapoints (default 3 hours). */
  metricRetentionMs?: number;
  /** CloudWatch Logs (moto) to ship real jobs' log lines to, for applications with CloudWatchLoggingOptions. */
  cloudWatchLogsEndpoint?: string;
  /** How often metrics are published (default 10 s; Managed Flink publishes every minute). */
  metricsIntervalMs?: number;
}

export interface RunningEmulator {
  endpoint: string;
  port: number;
  /** The runtime behind the applications (a FlinkRuntime in real mode). */
  runtime: ApplicationRuntime;
  /** Publishes every running application's metrics now (tests; the timer does it periodically). */
  publishMetrics(): Promise<void>;
  close(): Promise<void>;
}

function defaultModelPath(): string {
  return process.env.MFO_SERVICE_MODEL ?? binaryPaths().serviceModel;
}

function defaultCloudWatchModelPath(): string {
  return process.env.MFO_CLOUDWATCH_MODEL ?? binaryPaths().cloudWatchModel;
}

export async function startEmulator(opts: EmulatorOptions): Promise<RunningEmulator> {
  const host = opts.host ?? "127.0.0.1";
  const region = opts.region ?? "us-east-1";
  const log = opts.logger ?? pino({ level: "silent" });
  const model = loadServiceModel(opts.serviceModelPath ?? defaultModelPath());
  const checker = new S3CodeLocationChecker(opts.s3Endpoint, region);
  const clock = opts.clock ?? wallClock;
  const runtime =
    opts.runtime ??
    (opts.flink === "real"
      ? new FlinkRuntime({
          s3Endpoint: opts.s3Endpoint,
          region,
          workRoot: opts.flinkWorkDir ?? mkdtempSync(join(tmpdir(), "managed-flink-emulator-")),
          ...(opts.cloudWatchLogsEndpoint ? { cloudWatchLogsEndpoint: opts.cloudWatchLogsEndpoint } : {}),
          logger: log,
        })
      : undefined);
  const accountId = opts.accountId ?? "123456789012";
  const service = new ManagedFlinkService({
    region,
    accountId,
    codeChecker: checker,
    settings: {
      timings: { ...DEFAULT_TIMINGS, ...opts.timings },
      ...(opts.snapshotCap !== undefined ? { snapshotCap: opts.snapshotCap } : {}),
      ...(opts.applicationCap !== undefined ? { applicationCap: opts.applicationCap } : {}),
    },
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(runtime ? { runtime } : {}),
  });
  const metricStore = new MetricStore({
    now: () => clock.now(),
    ...(opts.metricRetentionMs !== undefined ? { retentionMs: opts.metricRetentionMs } : {}),
  });
  const cloudWatch = {
    model: loadServiceModel(opts.cloudWatchModelPath ?? defaultCloudWatchModelPath()),
    store: metricStore,
  };
  const publisher = new MetricsPublisher({
    service,
    sink: opts.cloudWatchEndpoint
      ? new ApiMetricSink(opts.cloudWatchEndpoint, region)
      : new StoreMetricSink(metricStore, () => clock.now()),
    region,
    intervalMs: opts.metricsIntervalMs ?? 10_000,
    log,
    ...(opts.cloudWatchLogsEndpoint ? { logsEndpoint: opts.cloudWatchLogsEndpoint } : {}),
  });
  const calls = new CallLog(opts.callLogSize);
  const faults = new FaultInjector();

  const server = createServer((req, res) => {
    readBody(req)
      .then(async (body) => {
        if ((req.url ?? "").startsWith("/_emulator/")) {
          await handleAdminRequest(req, res, body, {
            service,
            calls,
            faults,
            metrics: publisher,
          });
          return;
        }
        if (isCloudWatchRequest(req)) {
          handleCloudWatchRequest(req, res, body, { ...cloudWatch, calls, clock, log });
          return;
        }
        if (isStsRequest(req, body)) {
          const caller = callerAccessKeyId(req);
          handleStsRequest(res, body, {
            calls,
            clock,
            accountId,
            ...(caller ? { callerAccessKeyId: caller } : {}),
          });
          return;
        }
        await handleApiRequest(req, res, body, { model, service, calls, faults, log, clock });
      })
      .catch((err: unknown) => {
        log.error({ err }, "request failed");
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
  });
  // Keep-alive sockets from SDK clients would otherwise hold close() open.
  server.keepAliveTimeout = 1000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://${host}:${port}`;
  publisher.start();
  return {
    endpoint,
    port,
    runtime: service.runtime,
    publishMetrics: async () => {
      await publisher.publishOnce();
    },
    close: async () => {
      publisher.stop();
      await service.close();
      checker.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** The body as text; gzip-encoded bodies (the SDK compresses large PutMetricData requests) inflated. */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      try {
        const gzip = String(req.headers["content-encoding"] ?? "").toLowerCase() === "gzip";
        resolve((gzip ? gunzipSync(raw) : raw).toString("utf8"));
      } catch (err) {
        reject(err);
      }
    });
    req.on("error", reject);
  });
}
