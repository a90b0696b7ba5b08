import {
  type CloudWatchLogsClient,
  type InputLogEvent,
  PutLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import type { Logger } from "pino";

/** `arn:aws:logs:<region>:<account>:log-group:<group>:log-stream:<stream>` → group and stream. */
export function parseLogStreamArn(arn: string): { group: string; stream: string } | undefined {
  const m = /^arn:[^:]+:logs:[^:]*:[^:]*:log-group:(.+):log-stream:(.+)$/.exec(arn);
  return m ? { group: m[1]!, stream: m[2]! } : undefined;
}

/** At most this many events wait for a stream that does not exist yet: the emulator's memory stays bounded. */
const MAX_PENDING = 50_000;

/**
 * Sends an application's log events to the CloudWatch Logs stream its CloudWatchLoggingOptions name, as
 * Managed Flink does ("Set up application logging"). The group and stream must exist (Managed Flink does
 * not create them either); until they do, events are kept and sent again on the next ship().
 */
export class LogStreamWriter {
  private pending: InputLogEvent[] = [];
  private busy = false;
  readonly target: { group: string; stream: string };

  constructor(
    arn: string,
    private readonly logs: CloudWatchLogsClient,
    private readonly log: Logger,
  ) {
    const target = parseLogStreamArn(arn);
    if (!target) throw new Error(`${arn} is not a CloudWatch Logs log stream ARN`);
    this.target = target;
  }

  append(messages: readonly string[], timestamp = Date.now()): void {
    for (const message of messages) this.pending.push({ timestamp, message });
  }

  /** Sends what is pending; at most 10,000 events per PutLogEvents (its quota). */
  async ship(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.slice(0, 10_000);
        await this.logs.send(
          new PutLogEventsCommand({
            logGroupName: this.target.group,
            logStreamName: this.target.stream,
            logEvents: batch,
          }),
        );
        this.pending = this.pending.slice(batch.length);
      }
    } catch (err) {
      this.log.debug({ err, ...this.target }, "sending log events failed; retrying");
      if (this.pending.length > MAX_PENDING) this.pending = this.pending.slice(-MAX_PENDING);
    } finally {
      this.busy = false;
    }
  }
}

/** What Managed Flink writes to CloudWatch Logs for one log4j event: a JSON record per event. */
export interface ManagedFlinkLogEvent {
  applicationARN: string;
  applicationVersionId: number;
  level: "ERROR" | "WARN" | "INFO" | "DEBUG";
  logger: string;
  message: string;
  threadName: string;
  locationInformation?: string;
  /** The exception and its stack, one frame a line, as log4j renders it. */
  throwableInformation?: string;
}

/**
 * The record's JSON, with the field names Managed Flink's records carry ("Write custom messages to
 * CloudWatch Logs" in the developer guide shows locationInformation, logger, message, threadName,
 * applicationARN, applicationVersionId, messageSchemaVersion, messageType; failures add
 * throwableInformation).
 */
export function managedFlinkLogRecord(e: ManagedFlinkLogEvent): string {
  return JSON.stringify({
    ...(e.locationInformation !== undefined ? { locationInformation: e.locationInformation } : {}),
    logger: e.logger,
    message: e.message,
    ...(e.throwableInformation !== undefined ? { throwableInformation: e.throwableInformation } : {}),
    threadName: e.threadName,
    applicationARN: e.applicationARN,
    applicationVersionId: String(e.applicationVersionId),
    messageSchemaVersion: "1",
    messageType: e.level,
  });
}

/** The application a record belongs to (every Managed Flink record names it). */
export interface RecordContext {
  applicationARN: string;
  applicationVersionId: number;
}

/**
 * One line of the emulator's log4j pattern (flink/config.ts LOG4J_PROPERTIES): date, level, logger,
 * [thread], NDC, " - ", message.
 */
const LOG4J_LINE =
  /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} (ERROR|WARN|INFO|DEBUG|TRACE|FATAL)\s+(\S+)\s+\[(.*?)\]\s+- (.*)$/;
/** A line of a rendered exception: a stack frame or "... n more" (indented), a cause, or "pkg.Class: text". */
const THROWABLE_LINE = /^(\s|Caused by: |Suppressed: |[\w$]+(\.[\w$]+)+(: |$))/;
const LEVELS: Record<string, ManagedFlinkLogEvent["level"]> = {
  FATAL: "ERROR",
  ERROR: "ERROR",
  WARN: "WARN",
  INFO: "INFO",
  DEBUG: "DEBUG",
  TRACE: "DEBUG",
};

/**
 * Turns Flink's log4j lines into Managed Flink's JSON records, one per log event: a line in the pattern
 * starts an event, the exception lines after it (THROWABLE_LINE) are its throwableInformation. Other lines
 * (the JVM's own output, interleaved) become INFO records of logger "stdout".
 * The newest event stays open for its stack lines until the next event starts or flush() is called.
 */
export class Log4jRecords {
  private open: ManagedFlinkLogEvent | undefined;

  constructor(private readonly context: RecordContext) {}

  /** The records `lines` complete. */
  push(lines: readonly string[]): string[] {
    const done: string[] = [];
    for (const line of lines) {
      const m = LOG4J_LINE.exec(line);
      if (m) {
        done.push(...this.flush());
        this.open = {
          ...this.context,
          level: LEVELS[m[1]!]!,
          logger: m[2]!,
          threadName: m[3]!,
          message: m[4]!,
        };
      } else if (this.open && THROWABLE_LINE.test(line)) {
        this.open.throwableInformation =
          this.open.throwableInformation === undefined ? line : `${this.open.throwableInformation}\n${line}`;
      } else {
        // Not part of the open event's exception: that event is complete, and this line is its own.
        done.push(...this.flush());
        done.push(
          managedFlinkLogRecord({
            ...this.context,
            level: "INFO",
            logger: "stdout",
            threadName: "main",
            message: line,
          }),
        );
      }
    }
    return done;
  }

  /** The open record, if any: nothing more will be added to it. */
  flush(): string[] {
    const open = this.open;
    this.open = undefined;
    return open ? [managedFlinkLogRecord(open)] : [];
  }
}
