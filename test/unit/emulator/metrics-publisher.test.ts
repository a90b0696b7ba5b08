import { describe, expect, it } from "vitest";
import { kpus, metricData, simulatedMetrics, UNITS } from "../../../src/emulator/metrics-publisher.js";

const app = { name: "a", parallelism: 3, parallelismPerKPU: 2, runningSince: 1_000, now: 61_000 };

describe("metrics publishing", () => {
  it("publishes Managed Flink's names and units at the Application dimension, KPUs from parallelism", () => {
    const data = metricData(app, simulatedMetrics(app), new Date(61_000));
    expect(kpus(app)).toBe(2);
    const byName = Object.fromEntries(data.map((d) => [d.MetricName, d]));
    expect(byName.uptime).toMatchObject({ Value: 60_000, Unit: "Milliseconds" });
    expect(byName.KPUs).toMatchObject({ Value: 2, Unit: "Count" });
    expect(byName.numRecordsOutPerSecond).toMatchObject({ Value: 0, Unit: "Count/Second" });
    for (const d of data) expect(d.Dimensions).toEqual([{ Name: "Application", Value: "a" }]);
    // What nothing measured is not published (no checkpoint, no watermark); a healthy job has no lag.
    expect(Object.keys(byName).sort()).toEqual(
      Object.keys(UNITS)
        .filter((n) => !["lastCheckpointDuration", "lastCheckpointSize", "currentInputWatermark"].includes(n))
        .sort(),
    );
  });
});

describe("log shipping helpers", () => {
  it("reads group and stream from a log stream ARN, and keeps an unfinished line", async () => {
    const { parseLogStreamArn, splitLines } = await import("../../../src/emulator/flink/log-shipper.js");
    expect(parseLogStreamArn("arn:aws:logs:us-east-1:123456789012:log-group:/aws/app:log-stream:s1")).toEqual(
      {
        group: "/aws/app",
        stream: "s1",
      },
    );
    expect(parseLogStreamArn("arn:aws:s3:::bucket")).toBeUndefined();
    expect(splitLines("a\nb\n\nc")).toEqual({ lines: ["a", "b"], rest: "c" });
  });
});

describe("Flink's log4j lines as Managed Flink's JSON records", () => {
  it("makes one record per event, the stack lines its throwableInformation, the JVM's own output INFO", async () => {
    const { Log4jRecords } = await import("../../../src/emulator/log-stream.js");
    const records = new Log4jRecords({ applicationARN: "arn:app", applicationVersionId: 3 });
    const pad = (logger: string) => logger.padEnd(60);
    const first = records.push([
      "LocalFlinkCluster ready: REST http://127.0.0.1:1, 4 slots",
      `2026-11-30 00:00:01,000 INFO  ${pad("org.apache.flink.runtime.taskmanager.Task")} [Source: numbers (1/1)#0]  - numbers (1/1)#0 switched from RUNNING to FAILED - with failure cause:`,
      "org.apache.flink.util.FlinkException: Disconnect from JobManager responsible for 1.",
      "\tat org.apache.flink.runtime.taskexecutor.TaskExecutor.disconnectJobManagerConnection(TaskExecutor.java:1813)",
      "LocalFlinkCluster: TaskManager 0 terminated, 1 started",
      `2026-11-30 00:00:02,000 ERROR ${pad("dev.example.Job")} [main]  - it broke`,
    ]);
    const parsed = first.map((r) => JSON.parse(r));
    expect(parsed.slice(0, 2)).toEqual([
      {
        logger: "stdout",
        message: "LocalFlinkCluster ready: REST http://127.0.0.1:1, 4 slots",
        threadName: "main",
        applicationARN: "arn:app",
        applicationVersionId: "3",
        messageSchemaVersion: "1",
        messageType: "INFO",
      },
      {
        logger: "org.apache.flink.runtime.taskmanager.Task",
        message: "numbers (1/1)#0 switched from RUNNING to FAILED - with failure cause:",
        throwableInformation:
          "org.apache.flink.util.FlinkException: Disconnect from JobManager responsible for 1.\n\tat org.apache.flink.runtime.taskexecutor.TaskExecutor.disconnectJobManagerConnection(TaskExecutor.java:1813)",
        threadName: "Source: numbers (1/1)#0",
        applicationARN: "arn:app",
        applicationVersionId: "3",
        messageSchemaVersion: "1",
        messageType: "INFO",
      },
    ]);
    // Interleaved JVM output that is no part of an exception ends the event and is a record of its own.
    expect(parsed).toHaveLength(3);
    expect(parsed[2]).toMatchObject({
      logger: "stdout",
      message: "LocalFlinkCluster: TaskManager 0 terminated, 1 started",
    });
    // The newest event waits for stack lines until flushed.
    expect(records.push(["\tat dev.example.Job.main(Job.java:1)"])).toEqual([]);
    const last = JSON.parse(records.flush()[0]!);
    expect(last).toMatchObject({ messageType: "ERROR", message: "it broke", threadName: "main" });
    expect(last.throwableInformation).toBe("\tat dev.example.Job.main(Job.java:1)");
    expect(records.flush()).toEqual([]);
  });
});
