// Reading back what the emulator published to CloudWatch, as any tool would: GetMetricData with the
// unmodified SDK against moto (namespace AWS/KinesisAnalytics, dimension Application).
import { type CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";

/** The values (newest first) of one application metric from `from` on, one per `periodSeconds`. */
export async function metricValues(
  cw: CloudWatchClient,
  application: string,
  metric: string,
  { from, periodSeconds, stat = "Maximum" }: { from: Date; periodSeconds: number; stat?: string },
): Promise<number[]> {
  const out = await cw.send(
    new GetMetricDataCommand({
      StartTime: from,
      EndTime: new Date(Date.now() + 60_000),
      MetricDataQueries: [
        {
          Id: "m",
          MetricStat: {
            Metric: {
              Namespace: "AWS/KinesisAnalytics",
              MetricName: metric,
              Dimensions: [{ Name: "Application", Value: application }],
            },
            Period: periodSeconds,
            Stat: stat,
          },
        },
      ],
    }),
  );
  return out.MetricDataResults?.[0]?.Values ?? [];
}
