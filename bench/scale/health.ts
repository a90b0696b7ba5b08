// The health mode of the scale benchmark: what the job health monitor costs. The operator's own
// /metrics is scraped at the start and end of a steady window, once with health checks off and once
// with them on, in the same run (same stack, same applications): GetMetricData calls and queries per
// health interval next to DescribeApplication calls, and the reconcile time both ways.

export interface Scrape {
  at: number;
  reconcileSeconds: number;
  reconciles: number;
  describeCalls: number;
  metricDataCalls: number;
  metricDataQueries: number;
  /** Seconds spent in GetMetricData calls (the SDK's retries included). */
  metricDataSeconds: number;
  logReads: number;
  /** Applications whose current verdict is each value (managedflink_job_verdict == 1). */
  verdicts: Record<string, number>;
}

function sum(text: string, name: string, labels = ""): number {
  const re = new RegExp(`^${name}(?:\\{([^}]*)\\})? ([0-9.e+-]+)$`, "gm");
  let n = 0;
  for (const m of text.matchAll(re)) if (!labels || (m[1] ?? "").includes(labels)) n += Number(m[2]);
  return n;
}

export async function scrape(port: number): Promise<Scrape> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const verdicts: Record<string, number> = {};
  for (const m of text.matchAll(/^managedflink_job_verdict\{[^}]*verdict="(\w+)"\} 1$/gm)) {
    verdicts[m[1]!] = (verdicts[m[1]!] ?? 0) + 1;
  }
  return {
    at: Date.now(),
    reconcileSeconds: sum(text, "controller_runtime_reconcile_time_seconds_sum"),
    reconciles: sum(text, "controller_runtime_reconcile_time_seconds_count"),
    describeCalls: sum(text, "managed_flink_operator_aws_api_calls_total", 'operation="DescribeApplication"'),
    metricDataCalls: sum(text, "managed_flink_operator_cloudwatch_get_metric_data_calls_total"),
    metricDataQueries: sum(text, "managed_flink_operator_cloudwatch_get_metric_data_queries_total"),
    metricDataSeconds: sum(
      text,
      "managed_flink_operator_aws_api_call_duration_seconds_sum",
      'operation="GetMetricData"',
    ),
    logReads: sum(text, "managed_flink_operator_cloudwatch_log_reads_total"),
    verdicts,
  };
}

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

/** What happened between two scrapes, per health interval where that is the unit. */
export function between(a: Scrape, b: Scrape, healthIntervalS: number) {
  const intervals = (b.at - a.at) / 1000 / healthIntervalS;
  const reconciles = b.reconciles - a.reconciles;
  return {
    windowS: round((b.at - a.at) / 1000, 1),
    reconciles,
    reconcileMeanMs: reconciles
      ? round(((b.reconcileSeconds - a.reconcileSeconds) / reconciles) * 1000)
      : undefined,
    describeCalls: b.describeCalls - a.describeCalls,
    perHealthInterval:
      healthIntervalS > 0
        ? {
            getMetricDataCalls: round((b.metricDataCalls - a.metricDataCalls) / intervals),
            metricQueries: round((b.metricDataQueries - a.metricDataQueries) / intervals),
            describeApplicationCalls: round((b.describeCalls - a.describeCalls) / intervals),
          }
        : undefined,
    getMetricDataMeanMs:
      b.metricDataCalls > a.metricDataCalls
        ? round(
            ((b.metricDataSeconds - a.metricDataSeconds) / (b.metricDataCalls - a.metricDataCalls)) * 1000,
          )
        : undefined,
    logReads: b.logReads - a.logReads,
    verdictsAtEnd: b.verdicts,
  };
}
