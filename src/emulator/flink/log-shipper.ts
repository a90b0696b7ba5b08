import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import type { Logger } from "pino";
import { Log4jRecords, LogStreamWriter, type RecordContext } from "../log-stream.js";

export { parseLogStreamArn } from "../log-stream.js";

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
 * do, lines are kept and retried. With a record context, each log event goes as Managed Flink's JSON
 * record (Log4jRecords); without, each line as it is.
 */
export class LogShipper {
  private offset: number;
  private rest = "";
  private timer: NodeJS.Timeout | undefined;
  private readonly writer: LogStreamWriter;
  private readonly records: Log4jRecords | undefined;

  constructor(
    private readonly file: string,
    arn: string,
    logs: CloudWatchLogsClient,
    log: Logger,
    intervalMs = 2_000,
    context?: RecordContext,
  ) {
    this.writer = new LogStreamWriter(arn, logs, log);
    this.records = context ? new Log4jRecords(context) : undefined;
    this.offset = existsSync(file) ? statSync(file).size : 0;
    this.timer = setInterval(() => void this.ship(), intervalMs);
    this.timer.unref();
  }

  /** Reads what was appended and sends it; an event with no more lines since the last tick is complete. */
  async ship(final = false): Promise<void> {
    const lines = this.readAppended();
    if (!this.records) this.writer.append(lines);
    else {
      this.writer.append(this.records.push(lines));
      if (final || lines.length === 0) this.writer.append(this.records.flush());
    }
    await this.writer.ship();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.ship(true);
  }

  private readAppended(): string[] {
    if (!existsSync(this.file)) return [];
    const size = statSync(this.file).size;
    if (size < this.offset) this.offset = 0;
    if (size === this.offset) return [];
    const fd = openSync(this.file, "r");
    try {
      const buf = Buffer.alloc(size - this.offset);
      readSync(fd, buf, 0, buf.length, this.offset);
      this.offset = size;
      const { lines, rest } = splitLines(this.rest + buf.toString("utf8"));
      this.rest = rest;
      return lines;
    } finally {
      closeSync(fd);
    }
  }
}
