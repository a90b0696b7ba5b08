import { appendFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  GetLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { pino } from "pino";
import { describe, expect, inject, it } from "vitest";
import { LogShipper } from "../../../src/emulator/flink/log-shipper.js";
import { waitFor } from "../../../src/localstack/processes.js";

// A real job's flink.log lines reach the application's CloudWatch Logs stream (moto's), read back with
// the AWS SDK: only lines appended after the job started, whole lines only.
describe("LogShipper against moto's CloudWatch Logs", () => {
  it("ships appended lines to the log stream named by the ARN", async () => {
    const stack = inject("localStack");
    const logs = new CloudWatchLogsClient({
      endpoint: stack.s3Endpoint,
      region: stack.region,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    const group = `/aws/kinesis-analytics/app-${Date.now()}`;
    await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
    await logs.send(
      new CreateLogStreamCommand({ logGroupName: group, logStreamName: "kinesis-analytics-log-stream" }),
    );
    const file = join(mkdtempSync(join(stack.workDir, "logs-")), "flink.log");
    writeFileSync(file, "before the job started\n");
    const arn = `arn:aws:logs:${stack.region}:123456789012:log-group:${group}:log-stream:kinesis-analytics-log-stream`;
    const shipper = new LogShipper(file, arn, logs, pino({ level: "silent" }), 100);
    appendFileSync(file, "INFO job running\nWARN a half");
    appendFileSync(file, " line\n");
    const messages = await waitFor(
      async () => {
        const out = await logs.send(
          new GetLogEventsCommand({ logGroupName: group, logStreamName: "kinesis-analytics-log-stream" }),
        );
        const m = (out.events ?? []).map((e) => e.message);
        return m.length >= 2 ? m : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 100, description: "the shipped lines in CloudWatch Logs" },
    );
    await shipper.stop();
    expect(messages).toEqual(["INFO job running", "WARN a half line"]);
    logs.destroy();
  });
});
