import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { type Logger, pino } from "pino";
import { binaryPaths } from "../localstack/binaries.js";
import { handleAdminRequest } from "./admin.js";
import { CallLog } from "./calls.js";
import { type Clock, wallClock } from "./clock.js";
import { S3CodeLocationChecker } from "./code-location.js";
import { FaultInjector } from "./faults.js";
import { DEFAULT_TIMINGS, type Timings } from "./lifecycle.js";
import { loadServiceModel } from "./model.js";
import { handleApiRequest } from "./protocol.js";
import type { ApplicationRuntime } from "./runtime.js";
import { ManagedFlinkService } from "./service.js";

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
}

export interface RunningEmulator {
  endpoint: string;
  port: number;
  close(): Promise<void>;
}

function defaultModelPath(): string {
  return process.env.MFO_SERVICE_MODEL ?? binaryPaths().serviceModel;
}

export async function startEmulator(opts: EmulatorOptions): Promise<RunningEmulator> {
  const host = opts.host ?? "127.0.0.1";
  const region = opts.region ?? "us-east-1";
  const log = opts.logger ?? pino({ level: "silent" });
  const model = loadServiceModel(opts.serviceModelPath ?? defaultModelPath());
  const checker = new S3CodeLocationChecker(opts.s3Endpoint, region);
  const clock = opts.clock ?? wallClock;
  const service = new ManagedFlinkService({
    region,
    accountId: opts.accountId ?? "123456789012",
    codeChecker: checker,
    settings: {
      timings: { ...DEFAULT_TIMINGS, ...opts.timings },
      ...(opts.snapshotCap !== undefined ? { snapshotCap: opts.snapshotCap } : {}),
      ...(opts.applicationCap !== undefined ? { applicationCap: opts.applicationCap } : {}),
    },
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.runtime ? { runtime: opts.runtime } : {}),
  });
  const calls = new CallLog(opts.callLogSize);
  const faults = new FaultInjector();

  const server = createServer((req, res) => {
    readBody(req)
      .then(async (body) => {
        if ((req.url ?? "").startsWith("/_emulator/")) {
          await handleAdminRequest(req, res, body, { service, calls, faults });
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
  return {
    endpoint,
    port,
    close: async () => {
      await service.close();
      checker.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
