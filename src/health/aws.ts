// The SDK clients the health monitor reads through: CloudWatch (GetMetricData) and CloudWatch Logs
// (GetLogEvents), one per region and assumed role, each HTTP attempt taking a low-priority token from
// the operator's request budget. The SDK reads AWS_ENDPOINT_URL_CLOUDWATCH and
// AWS_ENDPOINT_URL_CLOUDWATCH_LOGS itself (the emulator and moto in the local stack).
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient, GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import type { AssumedRoles } from "../aws/assume-role.js";
import { budgetEveryAttempt, type RequestBudget } from "../aws/budget.js";
import { LowPriority } from "../controller/runtime/queue.js";
import type { LogEventsPort } from "./logs.js";
import type { MetricDataPort } from "./reader.js";

export interface HealthClientOptions {
  roles?: AssumedRoles;
  /** The operator's request budget; metric and log reads take from it at low priority. */
  budget?: RequestBudget;
  /** One AWS call, for managed_flink_operator_aws_api_calls_total. */
  observe?: (operation: string, outcome: "success" | "error", seconds: number, errorType?: string) => void;
}

/** A client per region and role, made on first use. */
function perRegionAndRole<T>(make: (region: string, assumeRoleARN?: string) => T) {
  const made = new Map<string, T>();
  return (region: string, assumeRoleARN?: string): T => {
    const key = `${region}\u0000${assumeRoleARN ?? ""}`;
    let c = made.get(key);
    if (!c) {
      c = make(region, assumeRoleARN);
      made.set(key, c);
    }
    return c;
  };
}

function clientConfig(o: HealthClientOptions, region: string, assumeRoleARN?: string) {
  const credentials = assumeRoleARN && o.roles ? o.roles.credentials(assumeRoleARN, region) : undefined;
  // Few attempts: a failed read is tried again at the next interval anyway.
  return { region, retryMode: "adaptive", maxAttempts: 3, ...(credentials ? { credentials } : {}) };
}

async function observed<T>(o: HealthClientOptions, operation: string, call: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    const out = await call();
    o.observe?.(operation, "success", seconds());
    return out;
  } catch (err) {
    o.observe?.(operation, "error", seconds(), (err as Error)?.name);
    throw err;
  }
}

export function cloudWatchPorts(o: HealthClientOptions): (region: string, role?: string) => MetricDataPort {
  return perRegionAndRole((region, role) => {
    const client = new CloudWatchClient(clientConfig(o, region, role));
    if (o.budget) budgetEveryAttempt(client, { budget: o.budget, priority: LowPriority });
    return {
      getMetricData: (input) =>
        observed(o, "GetMetricData", () => client.send(new GetMetricDataCommand(input))),
    };
  });
}

export function logsPorts(o: HealthClientOptions): (region: string, role?: string) => LogEventsPort {
  return perRegionAndRole((region, role) => {
    const client = new CloudWatchLogsClient(clientConfig(o, region, role));
    if (o.budget) budgetEveryAttempt(client, { budget: o.budget, priority: LowPriority });
    return {
      getLogEvents: (input) => observed(o, "GetLogEvents", () => client.send(new GetLogEventsCommand(input))),
    };
  });
}
