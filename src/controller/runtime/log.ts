import { type DestinationStream, type LevelWithSilent, type Logger, pino } from "pino";

/**
 * Paths whose values never reach a log line. pino's redaction is path based (fast-redact), so each
 * nesting depth we expect is listed: top level, one level down (`{ err: { authorization } }`) and two
 * (`{ req: { config: { secretAccessKey } } }`). Whole `headers` objects go, not only `authorization`:
 * AWS SigV4 requests also carry `x-amz-security-token`, and Kubernetes clients carry bearer tokens.
 */
const secretKeys = [
  "authorization",
  "Authorization",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "secretAccessKey",
  "sessionToken",
  "credentials",
  "headers",
];
const redactPaths = secretKeys.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

export function createLogger(
  level: LevelWithSilent | string = "info",
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      level,
      redact: { paths: redactPaths, censor: "[REDACTED]" },
      // ISO time reads better in `kubectl logs` than epoch milliseconds and still parses as JSON.
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      base: { component: "managed-flink-operator" },
    },
    destination,
  );
}

export type { Logger };
