import type { ApplicationDetail } from "@aws-sdk/client-kinesis-analytics-v2";
import { invalidArgument } from "./errors.js";
import { type Application, current, type Json, type Version } from "./store.js";

/** The JSON protocol carries timestamps as epoch seconds, fractional for milliseconds. */
export const epochSeconds = (ms: number) => ms / 1000;

/** Timestamps travel as epoch seconds with millisecond precision; equal to the millisecond is the same instant. */
export function sameInstant(a: number, b: number): boolean {
  return Math.round(a * 1000) === Math.round(b * 1000);
}

/** One page of a list with an opaque offset token (every list but ListApplications, which pages by name). */
export function page<T>(items: T[], input: Json, key: string): Json {
  const limit = (input.Limit as number | undefined) ?? 50;
  let start = 0;
  if (input.NextToken !== undefined) {
    const n = Number.parseInt(Buffer.from(input.NextToken as string, "base64url").toString("utf8"), 10);
    if (!Number.isInteger(n) || n < 0) throw invalidArgument("NextToken is not valid");
    start = n;
  }
  const out: Json = { [key]: items.slice(start, start + limit) };
  if (start + limit < items.length) out.NextToken = Buffer.from(String(start + limit)).toString("base64url");
  return out;
}

/** ApplicationDetail of the current version, or of an older one (DescribeApplicationVersion). */
export function applicationDetail(
  app: Application,
  version: Version = current(app),
): ApplicationDetail & Json {
  const c = version.content;
  const isCurrent = version === current(app);
  const d: Json = {
    ApplicationARN: app.arn,
    ApplicationName: app.name,
    RuntimeEnvironment: c.RuntimeEnvironment,
    ServiceExecutionRole: c.ServiceExecutionRole,
    ApplicationStatus: isCurrent ? app.status : (version.statusWhenReplaced ?? "READY"),
    ApplicationVersionId: version.id,
    CreateTimestamp: epochSeconds(app.createdAt),
    LastUpdateTimestamp: epochSeconds(isCurrent ? app.lastUpdatedAt : version.createdAt),
    ApplicationConfigurationDescription: structuredClone(c.ApplicationConfigurationDescription),
    ApplicationVersionCreateTimestamp: epochSeconds(version.createdAt),
    ConditionalToken: version.token,
    ApplicationMode: c.ApplicationMode,
  };
  if (c.ApplicationDescription !== undefined) d.ApplicationDescription = c.ApplicationDescription;
  if (c.CloudWatchLoggingOptionDescriptions)
    d.CloudWatchLoggingOptionDescriptions = c.CloudWatchLoggingOptionDescriptions;
  if (version.updatedFrom !== undefined) d.ApplicationVersionUpdatedFrom = version.updatedFrom;
  if (version.rolledBackFrom !== undefined) d.ApplicationVersionRolledBackFrom = version.rolledBackFrom;
  if (version.rolledBackTo !== undefined) d.ApplicationVersionRolledBackTo = version.rolledBackTo;
  return d as ApplicationDetail & Json;
}
