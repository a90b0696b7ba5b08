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
