// Per-application job figures and verdicts for Prometheus, as kube-state-metrics exposes object state:
// one gauge per figure labelled namespace and name, and the verdict as one series per possible value
// (1 for the current one, 0 for the others), so that `managedflink_job_verdict{verdict="Healthy"} == 0`
// is an alert and a dashboard can count applications by verdict. Series of an application the monitor
// no longer reads are removed, so a deleted application does not linger at its last value.
import { Counter, Gauge, type Registry } from "prom-client";
import type { JobHealthMetrics } from "./monitor.js";
import { JOB_METRICS, type JobHealth, type JobMetricName, type JobVerdict } from "./types.js";

/** Our operator-wide metrics' prefix (runtime/metrics.ts METRIC_PREFIX), repeated to avoid an import cycle. */
const PREFIX = "managed_flink_operator_";
const VERDICTS: JobVerdict[] = ["Healthy", "Restarting", "CheckpointsFailing", "FallingBehind", "NoData"];

/** managedflink_job_<metric in snake case>: fullRestarts → managedflink_job_full_restarts, KPUs → managedflink_job_kpus. */
export function gaugeName(metric: JobMetricName): string {
  const snake = metric === "KPUs" ? "kpus" : metric.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return `managedflink_job_${snake}`;
}

const HELP: Record<JobMetricName, string> = {
  uptime: "Milliseconds the job has been running (CloudWatch uptime, newest datapoint).",
  downtime: "Milliseconds the job has been down in its current outage (CloudWatch downtime).",
  fullRestarts: "Full restarts of the job since the application started (CloudWatch fullRestarts).",
  numberOfFailedCheckpoints:
    "Failed checkpoints since the application started (CloudWatch numberOfFailedCheckpoints).",
  lastCheckpointDuration: "Milliseconds the last checkpoint took (CloudWatch lastCheckpointDuration).",
  lastCheckpointSize: "Bytes of the last checkpoint (CloudWatch lastCheckpointSize).",
  numRecordsInPerSecond: "Records the job reads per second (CloudWatch numRecordsInPerSecond, Average).",
  numRecordsOutPerSecond: "Records the job emits per second (CloudWatch numRecordsOutPerSecond, Average).",
  currentInputWatermark: "The job's input watermark, ms since the epoch (CloudWatch currentInputWatermark).",
  millisBehindLatest:
    "Milliseconds the Kinesis source is behind the stream's tip (CloudWatch millisBehindLatest, Maximum).",
  KPUs: "KPUs the application uses (CloudWatch KPUs).",
};

const labelsOf = (key: string) => {
  const i = key.indexOf("/");
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
};

export function jobHealthMetrics(registry: Registry) {
  const registers = [registry];
  const labelNames = ["namespace", "name"] as const;
  const figures = new Map(
    JOB_METRICS.map((m) => [m, new Gauge({ name: gaugeName(m), help: HELP[m], labelNames, registers })]),
  );
  const verdict = new Gauge({
    name: "managedflink_job_verdict",
    help: "The operator's verdict on the application's job: 1 for the current verdict, 0 for the others.",
    labelNames: ["namespace", "name", "verdict"] as const,
    registers,
  });
  const calls = new Counter({
    name: `${PREFIX}cloudwatch_get_metric_data_calls_total`,
    help: "GetMetricData calls the health monitor made, by outcome.",
    labelNames: ["outcome"] as const,
    registers,
  });
  const queries = new Counter({
    name: `${PREFIX}cloudwatch_get_metric_data_queries_total`,
    help: "MetricDataQuery structures the health monitor asked for (CloudWatch bills per metric requested).",
    registers,
  });
  const logReads = new Counter({
    name: `${PREFIX}cloudwatch_log_reads_total`,
    help: "GetLogEvents calls for an application's ERROR lines, by outcome.",
    labelNames: ["outcome"] as const,
    registers,
  });
  for (const outcome of ["success", "error"]) calls.inc({ outcome }, 0);
  for (const outcome of ["success", "denied", "error"]) logReads.inc({ outcome }, 0);
  queries.inc(0);

  const sink: JobHealthMetrics = {
    observe(key, health: JobHealth) {
      const labels = labelsOf(key);
      for (const [m, gauge] of figures) {
        const f = health.figures[m];
        if (f) gauge.set(labels, f.value);
        else gauge.remove(labels);
      }
      for (const v of VERDICTS) verdict.set({ ...labels, verdict: v }, v === health.verdict ? 1 : 0);
    },
    forget(key) {
      const labels = labelsOf(key);
      for (const gauge of figures.values()) gauge.remove(labels);
      for (const v of VERDICTS) verdict.remove({ ...labels, verdict: v });
    },
  };
  return {
    ...sink,
    /** One GetMetricData call with its number of queries. */
    metricDataCall(n: number, outcome: "success" | "error") {
      calls.inc({ outcome });
      queries.inc(n);
    },
    logRead(outcome: "success" | "denied" | "error") {
      logReads.inc({ outcome });
    },
  };
}

export type JobHealthPrometheus = ReturnType<typeof jobHealthMetrics>;
