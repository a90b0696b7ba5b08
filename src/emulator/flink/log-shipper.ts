import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
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

/** Whole lines of `text`, and the bytes of an unfinished last line to keep for the next read. */
export function splitLines(text: string): { lines: string[]; rest: string } {
  const parts = text.split("\n");
  const rest = parts.pop() ?? "";
  return { lines: parts.filter((l) => l.trim() !== ""), rest };
}

/**
 * Ships the lines a cluster appends to its flink.log to a CloudWatch Logs stream, as Managed Flink does
 * for an application with CloudWatchLoggingOptions (docs/emulator.md, "Real Flink"). Starts at the file's
 * current end; the group and stream must exist (Managed Flink does not create them either) — until they
 * do, lines are kept and retried.
 */
export class LogShipper {
  private offset: number;
  private rest = "";
  private pending: InputLogEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private readonly target: { group: string; stream: string };

  constructor(
    private readonly file: string,
    arn: string,
    private readonly logs: CloudWatchLogsClient,
    private readonly log: Logger,
    intervalMs = 2_000,
  ) {
    const target = parseLogStreamArn(arn);
    if (!target) throw new Error(`${arn} is not a CloudWatch Logs log stream ARN`);
    this.target = target;
    this.offset = existsSync(file) ? statSync(file).size : 0;
    this.timer = setInterval(() => void this.ship(), intervalMs);
    this.timer.unref();
  }

  /** Reads what was appended and sends it; at most 10,000 events per PutLogEvents (its quota). */
  async ship(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      this.readAppended();
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
      this.log.debug({ err, ...this.target }, "shipping Flink's log lines failed; retrying");
      // Bounded: a stream that never appears must not grow the emulator's memory.
      if (this.pending.length > 50_000) this.pending = this.pending.slice(-50_000);
    } finally {
      this.busy = false;
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.ship();
  }

  private readAppended(): void {
    if (!existsSync(this.file)) return;
    const size = statSync(this.file).size;
    if (size < this.offset) this.offset = 0;
    if (size === this.offset) return;
    const fd = openSync(this.file, "r");
    try {
      const buf = Buffer.alloc(size - this.offset);
      readSync(fd, buf, 0, buf.length, this.offset);
      this.offset = size;
      const { lines, rest } = splitLines(this.rest + buf.toString("utf8"));
      this.rest = rest;
      const now = Date.now();
      for (const message of lines) this.pending.push({ timestamp: now, message });
    } finally {
      closeSync(fd);
    }
  }
}
