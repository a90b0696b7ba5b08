import { describe, expect, it } from "vitest";
import { applicationPropertiesJson, flinkConfiguration } from "../../../src/emulator/flink/config.js";
import { applicationMetrics, vertexMetricsToRead } from "../../../src/emulator/flink/metrics.js";
import { rootCause } from "../../../src/emulator/flink/rest.js";

describe("rootCause", () => {
  // Shortened from a real /jars/:jarid/run answer on Flink 1.20.3.
  const trace = [
    "org.apache.flink.runtime.rest.handler.RestHandlerException: Could not execute application.",
    "\tat org.apache.flink.runtime.webmonitor.handlers.JarRunHandler.lambda$handleRequest$1(JarRunHandler.java:114)",
    "Caused by: org.apache.flink.client.program.ProgramInvocationException: The main method caused an error: boom",
    "\tat org.apache.flink.client.program.PackagedProgram.callMainMethod(PackagedProgram.java:373)",
    "\t... 4 more",
    "Caused by: java.lang.IllegalStateException: boom",
    "second line of the message",
    "\tat dev.managedflink.fixtures.FailingJob.main(FailingJob.java:11)",
    "\t... 7 more",
    "",
  ].join("\n");

  it("is the innermost cause with its whole message and no frames", () => {
    expect(rootCause(trace)).toBe("java.lang.IllegalStateException: boom\nsecond line of the message");
  });

  it("is the exception itself when nothing caused it", () => {
    expect(rootCause("java.lang.RuntimeException: alone\n\tat a.B.c(B.java:1)")).toBe(
      "java.lang.RuntimeException: alone",
    );
  });
});

describe("application metrics", () => {
  // Long.MIN_VALUE as Flink's REST API sends it (a JSON double): "no watermark yet".
  const noWatermark = -9.223372036854776e18;
  const job = {
    uptime: 5000,
    downtime: 0,
    fullRestarts: 2,
    numberOfFailedCheckpoints: 1,
    lastCheckpointDuration: 40,
    lastCheckpointSize: 2048,
    numberOfCompletedCheckpoints: 3,
  };

  it("reads source output rates, sink writer output rates and input watermarks, nothing else", () => {
    // Names as the reference job's vertices list them on Flink 1.20.3.
    const source = [
      "Source__Kinesis__in.numRecordsOutPerSecond",
      "numRecordsOutPerSecond",
      "numRecordsInPerSecond",
    ];
    const window = [
      "currentInputWatermark",
      "numRecordsOutPerSecond",
      "Per-user_engagement_window.numRecordsOutPerSecond",
      "Kinesis__out__Writer.numRecordsSend",
      "Kinesis__out__Writer.numRecordsOutPerSecond",
    ];
    expect(vertexMetricsToRead(source)).toEqual(["Source__Kinesis__in.numRecordsOutPerSecond"]);
    expect(vertexMetricsToRead(window)).toEqual([
      "Kinesis__out__Writer.numRecordsOutPerSecond",
      "currentInputWatermark",
    ]);
  });

  it("counts records entering at the sources and leaving through sink writers, not every hop", () => {
    const m = applicationMetrics(job, [
      { id: "source", metrics: [{ id: "Source__numbers.numRecordsOutPerSecond", sum: 10 }] },
      {
        id: "window",
        metrics: [
          { id: "Kinesis__out__Writer.numRecordsOutPerSecond", sum: 7 },
          { id: "currentInputWatermark", min: 900 },
        ],
      },
      {
        id: "dead letters",
        metrics: [
          { id: "Dead_letters__Writer.numRecordsOutPerSecond", sum: 1 },
          { id: "currentInputWatermark", min: 1000 },
        ],
      },
    ]);
    expect(m).toEqual({
      uptime: 5000,
      downtime: 0,
      fullRestarts: 2,
      numberOfFailedCheckpoints: 1,
      lastCheckpointDuration: 40,
      lastCheckpointSize: 2048,
      numRecordsInPerSecond: 10,
      numRecordsOutPerSecond: 8,
      currentInputWatermark: 900,
    });
  });

  it("has no checkpoint values before the first checkpoint and no watermark before the first one", () => {
    const m = applicationMetrics(
      { ...job, numberOfCompletedCheckpoints: 0, lastCheckpointDuration: -1, lastCheckpointSize: -1 },
      [{ id: "window", metrics: [{ id: "currentInputWatermark", min: noWatermark }] }],
    );
    expect(m.lastCheckpointDuration).toBeUndefined();
    expect(m.lastCheckpointSize).toBeUndefined();
    expect(m.currentInputWatermark).toBeUndefined();
  });
});

describe("cluster configuration", () => {
  const settings = {
    restPort: 18081,
    slots: 4,
    checkpointsDir: "/w/checkpoints",
    savepointsDir: "/w/savepoints",
    uploadsDir: "/w/uploads",
    logFile: "/w/flink.log",
    checkpointIntervalMs: 60_000,
    minPauseBetweenCheckpointsMs: 5_000,
    heapMb: 768,
  };

  it("loads KinesisAnalyticsRuntime parent-first, so the shim on the cluster classpath answers", () => {
    expect(flinkConfiguration(settings)["classloader.parent-first-patterns.additional"]).toBe(
      "com.amazonaws.services.kinesisanalytics.runtime.",
    );
  });

  it("keeps savepoints in the application's directory and listens on loopback only", () => {
    const c = flinkConfiguration(settings);
    expect(c["execution.checkpointing.savepoint-dir"]).toBe("file:///w/savepoints");
    expect(c["rest.bind-address"]).toBe("127.0.0.1");
    expect(c["execution.checkpointing.interval"]).toBe("60000 ms");
  });

  it("restarts a failed job for ever, 1 s apart: a crash loop never ends in FAILED behind a RUNNING application", () => {
    const c = flinkConfiguration(settings);
    expect(c["restart-strategy.type"]).toBe("fixed-delay");
    expect(c["restart-strategy.fixed-delay.attempts"]).toBe(String(2 ** 31 - 1));
    expect(c["restart-strategy.fixed-delay.delay"]).toBe("1 s");
  });

  it("runs PyFlink programs and their UDF workers on PyFlink's Python when it is installed", () => {
    expect(flinkConfiguration(settings)["python.client.executable"]).toBeUndefined();
    const c = flinkConfiguration({ ...settings, pythonExecutable: "/c/venv/pyflink-1.20.3/bin/python" });
    expect(c["python.client.executable"]).toBe("/c/venv/pyflink-1.20.3/bin/python");
    expect(c["python.executable"]).toBe("/c/venv/pyflink-1.20.3/bin/python");
  });

  it("writes runtime properties in the format Managed Flink writes them", () => {
    const json = applicationPropertiesJson([{ PropertyGroupId: "In", PropertyMap: { "stream.name": "s" } }]);
    expect(JSON.parse(json)).toEqual([{ PropertyGroupId: "In", PropertyMap: { "stream.name": "s" } }]);
  });
});
