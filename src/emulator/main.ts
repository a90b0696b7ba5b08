#!/usr/bin/env node
import { parseArgs } from "node:util";
import { pino } from "pino";
import { uniformTimings } from "./lifecycle.js";
import { startEmulator } from "./server.js";

const USAGE =
  "usage: managed-flink-emulator --port N --s3-endpoint URL [--region R] [--host H] [--transition-ms N] [--service-model PATH]\n" +
  "       [--flink real|simulated] [--work-dir DIR] [--cloudwatch-endpoint URL] [--metrics-interval-ms N]\n" +
  "       [--cloudwatch-logs-endpoint URL] [--call-log-size N]";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "0" },
      host: { type: "string", default: "127.0.0.1" },
      "s3-endpoint": { type: "string" },
      region: { type: "string", default: "us-east-1" },
      "transition-ms": { type: "string" },
      "service-model": { type: "string" },
      flink: { type: "string", default: "simulated" },
      "work-dir": { type: "string" },
      "cloudwatch-endpoint": { type: "string" },
      "cloudwatch-logs-endpoint": { type: "string" },
      "metrics-interval-ms": { type: "string" },
      "call-log-size": { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const s3Endpoint = values["s3-endpoint"] ?? process.env.AWS_ENDPOINT_URL_S3;
  if (!s3Endpoint) {
    console.error(`--s3-endpoint is required\n${USAGE}`);
    process.exit(2);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be 0..65535\n${USAGE}`);
    process.exit(2);
  }
  const transition = values["transition-ms"] === undefined ? undefined : Number(values["transition-ms"]);
  if (transition !== undefined && !(Number.isFinite(transition) && transition >= 0)) {
    console.error(`--transition-ms must be a number >= 0\n${USAGE}`);
    process.exit(2);
  }
  const flink = values.flink;
  if (flink !== "real" && flink !== "simulated") {
    console.error(`--flink must be real or simulated\n${USAGE}`);
    process.exit(2);
  }
  const metricsInterval =
    values["metrics-interval-ms"] === undefined ? undefined : Number(values["metrics-interval-ms"]);
  if (metricsInterval !== undefined && !(Number.isInteger(metricsInterval) && metricsInterval >= 100)) {
    console.error(`--metrics-interval-ms must be an integer >= 100\n${USAGE}`);
    process.exit(2);
  }
  // Metrics go to the emulator's own CloudWatch unless another is named (docs/emulator.md, "CloudWatch").
  const cloudWatch = values["cloudwatch-endpoint"];
  const cloudWatchLogs = values["cloudwatch-logs-endpoint"] ?? process.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS;
  const callLogSize = values["call-log-size"] === undefined ? undefined : Number(values["call-log-size"]);
  if (callLogSize !== undefined && !(Number.isInteger(callLogSize) && callLogSize >= 1)) {
    console.error(`--call-log-size must be an integer >= 1\n${USAGE}`);
    process.exit(2);
  }
  // JSON lines on stderr, so stdout carries only the readiness line that launchers wait for. Request logs
  // name the operation and outcome only; headers (Authorization, credentials) are never logged.
  const logger = pino({ name: "managed-flink-emulator" }, pino.destination(2));
  const emulator = await startEmulator({
    port,
    host: values.host,
    s3Endpoint,
    region: values.region,
    logger,
    ...(transition !== undefined ? { timings: uniformTimings(transition) } : {}),
    ...(values["service-model"] ? { serviceModelPath: values["service-model"] } : {}),
    flink,
    ...(values["work-dir"] ? { flinkWorkDir: values["work-dir"] } : {}),
    ...(cloudWatch ? { cloudWatchEndpoint: cloudWatch } : {}),
    ...(cloudWatchLogs ? { cloudWatchLogsEndpoint: cloudWatchLogs } : {}),
    ...(metricsInterval !== undefined ? { metricsIntervalMs: metricsInterval } : {}),
    ...(callLogSize !== undefined ? { callLogSize } : {}),
  });
  console.log(`managed-flink-emulator listening on ${emulator.endpoint}`);

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, "shutting down");
    emulator.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
