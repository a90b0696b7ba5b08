// The newest ERROR lines of an application's CloudWatch Logs stream, to quote as evidence when its
// job turns unhealthy or an update fails. Read only on such a transition (and while an update is being
// verified), at most one GetLogEvents per application then: the stream of a crash-looping job grows
// fast, and reading it every interval for every application would cost far more than the metrics.
//
// GetLogEvents with startFromHead=false returns the newest events of the stream (up to `limit`)
// (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetLogEvents.html); they
// are filtered for ERROR here rather than with FilterLogEvents' pattern syntax, which moto implements
// only in part. Every line is redacted before it is kept: log lines of Flink jobs carry connection
// strings and configuration dumps.
import type { GetLogEventsCommandInput, GetLogEventsCommandOutput } from "@aws-sdk/client-cloudwatch-logs";
import type { HealthTarget } from "./types.js";

export interface LogEventsPort {
  getLogEvents(input: GetLogEventsCommandInput): Promise<GetLogEventsCommandOutput>;
}

const REDACTED = "[REDACTED]";

/** Patterns of secrets in log lines, each with what replaces the match. */
const secrets: [RegExp, string][] = [
  // user:password@ in URLs (jdbc:postgresql://u:p@host, https://u:p@host)
  [/(\b[a-z][a-z0-9+.-]*:\/\/)([^/\s:@]+):([^/\s@]+)@/gi, `$1$2:${REDACTED}@`],
  // AWS access key ids: long-term (AKIA) and temporary (ASIA)
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, REDACTED],
  // key=value, key: value and "key":"value" for names that hold secrets
  [
    /((?:aws_secret_access_key|secret_?access_?key|aws_session_token|session_?token|password|passwd|pwd|token|secret|api_?key|credentials?)["']?\s*[=:]\s*["']?)([^\s"'&,;}]+)/gi,
    `$1${REDACTED}`,
  ],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/-]+=*/g, `$1 ${REDACTED}`],
];

/** A log line with secrets replaced by [REDACTED]; never keep or log a line that has not been through this. */
export function redact(line: string): string {
  return secrets.reduce((s, [pattern, replacement]) => s.replace(pattern, replacement), line);
}

/** At most this many characters of a line: status and Events have size limits. */
const MAX_LINE = 400;

/**
 * What an event says as evidence, or undefined when it is none. Managed Flink writes JSON records
 * (messageType, message, throwableInformation: "Write custom messages to CloudWatch Logs"); an ERROR
 * record counts, and so does a WARN record that carries an exception — Flink logs a task's failure at
 * WARN ("… switched from RUNNING to FAILED with failure cause"). Lines that are not such records are not quoted (they cannot be attributed).
 */
function evidenceOf(m: string, applicationARN: string): string | undefined {
  const record = jsonRecord(m);
  // Only what this application wrote: spec.logging may name any stream, and a tenant must not read
  // another team's log lines through its own status. Managed Flink stamps every record with the
  // application's ARN; a line without one cannot be attributed and is never quoted.
  if (!record || record.applicationARN !== applicationARN) return undefined;
  const thrown = record.throwableInformation?.split("\n")[0]?.trim();
  if (record.messageType !== "ERROR" && !(record.messageType === "WARN" && thrown)) return undefined;
  const text = `${record.messageType} ${record.message ?? ""}`.trim();
  return thrown && !text.includes(thrown) ? `${text} ${thrown}` : text;
}

function jsonRecord(
  m: string,
):
  | { messageType?: string; message?: string; throwableInformation?: string; applicationARN?: string }
  | undefined {
  if (!m.trimStart().startsWith("{")) return undefined;
  try {
    const r = JSON.parse(m) as Record<string, unknown>;
    if (typeof r.messageType !== "string") return undefined;
    const thrown = r.throwableInformation;
    return {
      messageType: r.messageType,
      ...(typeof r.applicationARN === "string" ? { applicationARN: r.applicationARN } : {}),
      ...(typeof r.message === "string" ? { message: r.message } : {}),
      ...(typeof thrown === "string" ? { throwableInformation: thrown } : {}),
      ...(Array.isArray(thrown) ? { throwableInformation: thrown.join("\n") } : {}),
    };
  } catch {
    return undefined;
  }
}

/**
 * The error evidence among events (oldest first) that the application `applicationARN` wrote, newest
 * `max` of them, redacted and shortened.
 */
export function errorLinesOf(
  messages: (string | undefined)[],
  max: number,
  applicationARN: string,
): string[] {
  return messages
    .map((m) => (typeof m === "string" ? evidenceOf(m, applicationARN) : undefined))
    .filter((m): m is string => m !== undefined)
    .slice(-max)
    .map((m) => {
      const r = redact(m.trim());
      return r.length > MAX_LINE ? `${r.slice(0, MAX_LINE - 1)}…` : r;
    });
}

/** arn:aws:logs:REGION:ACCOUNT:log-group:GROUP:log-stream:STREAM */
export function parseLogStreamArn(
  arn: string,
): { region: string; group: string; stream: string } | undefined {
  const m = /^arn:[^:]+:logs:([^:]+):[^:]*:log-group:(.+):log-stream:(.+)$/.exec(arn);
  return m ? { region: m[1]!, group: m[2]!, stream: m[3]! } : undefined;
}

export type LogReadOutcome = "success" | "denied" | "error";

export interface ErrorLogReaderOptions {
  logs: (region: string, assumeRoleARN?: string) => LogEventsPort;
  /** Lines kept (5). */
  maxLines?: number;
  /** Newest events scanned for ERROR (200). */
  scanEvents?: number;
  onRead?: (outcome: LogReadOutcome, errorType?: string) => void;
}

export class ErrorLogReader {
  constructor(private readonly o: ErrorLogReaderOptions) {}

  /** The newest ERROR lines of the target's stream; undefined when it has none or they cannot be read. */
  async errorLines(t: HealthTarget): Promise<string[] | undefined> {
    const where = t.logStreamArn ? parseLogStreamArn(t.logStreamArn) : undefined;
    if (!where || !t.applicationARN) return undefined;
    try {
      const out = await this.o.logs(where.region, t.assumeRoleARN).getLogEvents({
        logGroupName: where.group,
        logStreamName: where.stream,
        startFromHead: false,
        limit: this.o.scanEvents ?? 200,
      });
      this.o.onRead?.("success");
      return errorLinesOf(
        (out.events ?? []).map((e) => e.message),
        this.o.maxLines ?? 5,
        t.applicationARN,
      );
    } catch (err) {
      const name = (err as Error)?.name;
      this.o.onRead?.(/AccessDenied/.test(name ?? "") ? "denied" : "error", name);
      return undefined;
    }
  }
}
