import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
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

/**
 * The logger of one reconcile, with the keys controller-runtime's reconcileHandler puts on every line:
 * `controller`, `namespace`, `name` and `reconcileID` (a fresh UUID per reconcile). Log queries written
 * for kubebuilder operators then find one object's history, or every line of one reconcile, unchanged.
 */
export function reconcileLogger(base: Logger, controller: string, namespace: string, name: string): Logger {
  return base.child({ controller, namespace, name, reconcileID: randomUUID() });
}

const current = new AsyncLocalStorage<Logger>();

/**
 * Runs `fn` with `log` as the contextual logger of everything it awaits, for code that is handed no
 * logger of its own (the event recorder): controller-runtime passes its logger in the context.Context
 * (logf.IntoContext); AsyncLocalStorage is Node's equivalent.
 */
export function withLogger<T>(log: Logger, fn: () => T): T {
  return current.run(log, fn);
}

/** The logger withLogger set for the current call chain, if any. */
export function contextLogger(): Logger | undefined {
  return current.getStore();
}

export type { Logger };
