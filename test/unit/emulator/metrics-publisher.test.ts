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
    // What nothing measured is not published (no checkpoint, no watermark, no Kinesis lag).
    expect(Object.keys(byName).sort()).toEqual(
      Object.keys(UNITS)
        .filter(
          (n) =>
            ![
              "lastCheckpointDuration",
              "lastCheckpointSize",
              "currentInputWatermark",
              "millisBehindLatest",
            ].includes(n),
        )
        .sort(),
    );
  });
});
