import { describe, expect, it } from "vitest";
import { builtInThresholds } from "../../../src/health/judge.js";
import { ErrorLogReader, errorLinesOf, parseLogStreamArn, redact } from "../../../src/health/logs.js";

describe("redact", () => {
  it.each([
    ["key AKIAIOSFODNN7EXAMPLE used", "key [REDACTED] used"],
    ["session ASIAIOSFODNN7EXAMPLE", "session [REDACTED]"],
    [
      "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY rest",
      "aws_secret_access_key=[REDACTED] rest",
    ],
    ["password=hunter2&user=bob", "password=[REDACTED]&user=bob"],
    ['{"token": "abc.def", "x": 1}', '{"token": "[REDACTED]", "x": 1}'],
    ["secret: s3cr3t", "secret: [REDACTED]"],
    ["jdbc:postgresql://app:pa55@db:5432/x failed", "jdbc:postgresql://app:[REDACTED]@db:5432/x failed"],
    ["https://user:tok@example.com/path", "https://user:[REDACTED]@example.com/path"],
    ["Authorization: Bearer eyJhbGciOi.x.y", "Authorization: Bearer [REDACTED]"],
  ])("%s", (line, expected) => {
    expect(redact(line)).toBe(expected);
  });

  it("leaves a line without secrets as it is", () => {
    const line =
      "2026-11-30 ERROR org.apache.flink.runtime.JobMaster - Job failed: java.lang.RuntimeException: boom";
    expect(redact(line)).toBe(line);
  });
});

const APP = "arn:aws:kinesisanalytics:eu-west-1:123456789012:application/a";
/** A log record as Managed Flink writes it to CloudWatch Logs. */
const record = (messageType: string, message: string, throwableInformation?: string, applicationARN = APP) =>
  JSON.stringify({
    logger: "x",
    message,
    messageType,
    threadName: "t",
    throwableInformation,
    applicationARN,
  });

describe("errorLinesOf", () => {
  it("keeps the newest ERROR records, redacted, and only those", () => {
    const msgs = [
      record("INFO", "started"),
      record("ERROR", "a"),
      record("WARN", "b"),
      record("ERROR", "c password=x"),
      record("ERROR", "d"),
      undefined,
      record("ERROR", "e"),
    ];
    expect(errorLinesOf(msgs, 3, APP)).toEqual(["ERROR c password=[REDACTED]", "ERROR d", "ERROR e"]);
    expect(errorLinesOf([record("ERROR", "x".repeat(1000))], 1, APP)[0]).toHaveLength(400);
  });

  it("reads Managed Flink's JSON records: ERROR ones, and WARN ones that carry an exception", () => {
    const msgs = [
      record("INFO", "ERROR in the text of an INFO record"),
      record("WARN", "checkpoint slow"),
      record(
        "WARN",
        "Source (1/1) switched from RUNNING to FAILED with failure cause:",
        "java.lang.IllegalStateException: token=abc\n\tat dev.Job.map(Job.java:1)",
      ),
      record("ERROR", "job failed"),
    ];
    expect(errorLinesOf(msgs, 5, APP)).toEqual([
      "WARN Source (1/1) switched from RUNNING to FAILED with failure cause: java.lang.IllegalStateException: token=[REDACTED]",
      "ERROR job failed",
    ]);
  });

  it("quotes only what this application wrote: another team's records and unattributable lines never", () => {
    const other = "arn:aws:kinesisanalytics:eu-west-1:123456789012:application/team-b-secret";
    const msgs = [
      record("ERROR", "team b's connection string", undefined, other),
      "ERROR a plain line anyone could have written",
      record("ERROR", "ours"),
    ];
    expect(errorLinesOf(msgs, 5, APP)).toEqual(["ERROR ours"]);
  });
});

describe("ErrorLogReader", () => {
  const arn =
    "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/kinesis-analytics/app:log-stream:kinesis-analytics-log-stream";
  const target = {
    key: "ns/a",
    applicationName: "a",
    region: "eu-west-1",
    thresholds: builtInThresholds,
    logStreamArn: arn,
    applicationARN: APP,
  };

  it("reads the newest events of the stream named by the ARN", async () => {
    expect(parseLogStreamArn(arn)).toEqual({
      region: "eu-west-1",
      group: "/aws/kinesis-analytics/app",
      stream: "kinesis-analytics-log-stream",
    });
    const asked: unknown[] = [];
    const outcomes: string[] = [];
    const reader = new ErrorLogReader({
      logs: (region) => ({
        async getLogEvents(input) {
          asked.push({ region, ...input });
          return { $metadata: {}, events: [{ message: record("ERROR", "token=abc boom") }] };
        },
      }),
      onRead: (o) => outcomes.push(o),
    });
    expect(await reader.errorLines(target)).toEqual(["ERROR token=[REDACTED] boom"]);
    expect(asked).toEqual([
      {
        region: "eu-west-1",
        logGroupName: "/aws/kinesis-analytics/app",
        logStreamName: "kinesis-analytics-log-stream",
        startFromHead: false,
        limit: 200,
      },
    ]);
    expect(outcomes).toEqual(["success"]);
  });

  it("answers undefined without a stream, and counts a denied read", async () => {
    const outcomes: string[] = [];
    const reader = new ErrorLogReader({
      logs: () => ({
        getLogEvents: () => Promise.reject(Object.assign(new Error("x"), { name: "AccessDeniedException" })),
      }),
      onRead: (o) => outcomes.push(o),
    });
    expect(await reader.errorLines({ ...target, logStreamArn: undefined })).toBeUndefined();
    expect(await reader.errorLines(target)).toBeUndefined();
    expect(outcomes).toEqual(["denied"]);
  });
});
