import { CloudWatchClient, type MetricDatum, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { RequestBudget } from "../../../src/aws/budget.js";
import { cloudWatchPorts, logsPorts } from "../../../src/health/aws.js";
import { builtInThresholds } from "../../../src/health/judge.js";
import { ErrorLogReader } from "../../../src/health/logs.js";
import { HealthMonitor } from "../../../src/health/monitor.js";
import { JobMetricsReader } from "../../../src/health/reader.js";
import type { HealthTarget } from "../../../src/health/types.js";

// The health monitor against moto's CloudWatch and CloudWatch Logs through the unmodified AWS SDK:
// metrics published with PutMetricData as Managed Flink publishes them (AWS/KinesisAnalytics,
// dimension Application, once a minute), read back in one batched GetMetricData, judged, and the
// crash-looping job's ERROR lines read from its log stream, redacted.
const stack = inject("localStack");
const saved = { ...process.env };
const run = `${Date.now()}`;
const minute = 60_000;
const now = new Date(Math.floor(Date.now() / minute) * minute + 30_000);

const datum = (app: string, name: string, minutesAgo: number, value: number): MetricDatum => ({
  MetricName: name,
  Dimensions: [{ Name: "Application", Value: app }],
  Timestamp: new Date(now.getTime() - minutesAgo * minute),
  Value: value,
});

/** Five minutes of a job: `restarts[i]` is the fullRestarts counter i+1 minutes before the newest. */
function job(app: string, restarts: number[], downtimeNow: number): MetricDatum[] {
  return restarts.flatMap((r, i) => {
    const ago = restarts.length - i;
    return [
      datum(app, "uptime", ago, 1000 * i),
      datum(app, "fullRestarts", ago, r),
      datum(app, "numberOfFailedCheckpoints", ago, 0),
      datum(app, "downtime", ago, i === restarts.length - 1 ? downtimeNow : 0),
      datum(app, "lastCheckpointDuration", ago, 120),
      datum(app, "KPUs", ago, 1),
    ];
  });
}

describe("job health against moto", () => {
  const endpoint = stack.s3Endpoint;
  const credentials = { accessKeyId: "test", secretAccessKey: "test" };
  const cw = new CloudWatchClient({ endpoint, region: stack.region, credentials });
  const logs = new CloudWatchLogsClient({ endpoint, region: stack.region, credentials });
  const group = `/aws/kinesis-analytics/crashing-${run}`;
  const logStreamArn = `arn:aws:logs:${stack.region}:123456789012:log-group:${group}:log-stream:kinesis-analytics-log-stream`;
  const target = (name: string, extra: Partial<HealthTarget> = {}): HealthTarget => ({
    key: `team-a/${name}`,
    applicationName: `${name}-${run}`,
    region: stack.region,
    thresholds: builtInThresholds,
    ...extra,
  });
  const budget = new RequestBudget({ ratePerSecond: 50, burst: 5 });
  const crashingARN = `arn:aws:kinesisanalytics:${stack.region}:123456789012:application/crashing-${run}`;

  beforeAll(async () => {
    // What the operator's SDK clients read: moto serves every AWS service on its one port.
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_CLOUDWATCH: endpoint,
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: endpoint,
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
    });
    await cw.send(
      new PutMetricDataCommand({
        Namespace: "AWS/KinesisAnalytics",
        MetricData: [
          ...job(`crashing-${run}`, [0, 1, 2, 3, 3], 15_000),
          ...job(`healthy-${run}`, [0, 0, 0, 0, 0], 0),
        ],
      }),
    );
    await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
    await logs.send(
      new CreateLogStreamCommand({ logGroupName: group, logStreamName: "kinesis-analytics-log-stream" }),
    );
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: group,
        logStreamName: "kinesis-analytics-log-stream",
        // Records as Managed Flink writes them, one of another application in the same stream.
        logEvents: [
          ["INFO", "Job started", crashingARN],
          ["ERROR", "Source failed: jdbc:postgresql://etl:s3cr3t@db:5432/x refused", crashingARN],
          ["ERROR", "another application's error", `${crashingARN}-other`],
          ["WARN", "retrying", crashingARN],
          ["ERROR", "java.lang.RuntimeException: key AKIAIOSFODNN7EXAMPLE rejected", crashingARN],
        ].map(([messageType, message, applicationARN], i) => ({
          timestamp: now.getTime() - 10_000 + i,
          message: JSON.stringify({ logger: "x", message, messageType, threadName: "t", applicationARN }),
        })),
      }),
    );
  });

  afterAll(() => {
    process.env = saved;
    budget.close();
    cw.destroy();
    logs.destroy();
  });

  it("reads many applications in one call, judges them, and quotes the crash-looping job's errors", async () => {
    const calls: number[] = [];
    const changes: string[] = [];
    const monitor = new HealthMonitor({
      intervalMs: 60_000,
      // As status recorded them before: a first read that agrees is no news, one that differs is.
      targets: () => [
        target("crashing", { logStreamArn, recorded: "Healthy", applicationARN: crashingARN }),
        target("healthy", { recorded: "Healthy" }),
        target("silent", { recorded: "NoData" }),
        ...Array.from({ length: 30 }, (_, i) => target(`other-${i}`, { recorded: "NoData" })),
      ],
      reader: new JobMetricsReader({
        cloudWatch: cloudWatchPorts({ budget }),
        periodSeconds: 60,
        onCall: (q) => calls.push(q),
      }),
      logs: new ErrorLogReader({ logs: logsPorts({ budget }) }),
      onChange: (k) => changes.push(k),
      log: pino({ level: "silent" }),
      now: () => now,
    });
    await monitor.readOnce();
    expect(calls).toEqual([33 * 13]);

    const crashing = monitor.judge("team-a/crashing", builtInThresholds)!;
    expect(crashing).toMatchObject({ verdict: "Restarting", restarts: 3, checkpointCompleted: true });
    expect(crashing.message).toMatch(
      /^the job is down: downtime 15000 ms at .*; 3 full restarts in the last 600 s \(max 0\)$/,
    );
    expect(crashing.figures.fullRestarts?.value).toBe(3);
    expect(crashing.errorLines).toEqual([
      "ERROR Source failed: jdbc:postgresql://etl:[REDACTED]@db:5432/x refused",
      "ERROR java.lang.RuntimeException: key [REDACTED] rejected",
    ]);
    expect(changes).toEqual(["team-a/crashing"]);

    expect(monitor.judge("team-a/healthy", builtInThresholds)).toMatchObject({
      verdict: "Healthy",
      restarts: 0,
    });
    expect(monitor.judge("team-a/silent", builtInThresholds)?.verdict).toBe("NoData");
    // Verifying an update that started after the restarts: none of them count against the new job.
    const since = new Date(now.getTime() - 90_000);
    expect(monitor.judge("team-a/crashing", builtInThresholds, since)).toMatchObject({ restarts: 0 });
  });
});
