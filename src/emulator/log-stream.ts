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
