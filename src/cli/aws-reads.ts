// The two read-only conveniences that go to AWS directly, with the user's own credentials (the
// default chain: profile, SSO, environment) — never the operator's: the Flink dashboard URL and the
// application's CloudWatch log stream. Everything that changes the application goes through the spec.
import {
  CloudWatchLogsClient,
  GetLogEventsCommand,
  type OutputLogEvent,
} from "@aws-sdk/client-cloudwatch-logs";
import {
  CreateApplicationPresignedUrlCommand,
  DescribeApplicationCommand,
  KinesisAnalyticsV2Client,
} from "@aws-sdk/client-kinesis-analytics-v2";
import type { FlinkApplication } from "../crds/types.generated.js";
import { CliError } from "./errors.js";

export interface AwsTarget {
  applicationName: string;
  region?: string;
}

export function awsTarget(o: FlinkApplication): AwsTarget {
  return {
    applicationName: o.status?.applicationName ?? o.spec.applicationName ?? o.metadata.name!,
    region: o.status?.region ?? o.spec.region,
  };
}

const flink = (t: AwsTarget) => new KinesisAnalyticsV2Client(t.region ? { region: t.region } : {});

/**
 * CreateApplicationPresignedUrl with UrlType FLINK_DASHBOARD_URL. The URL must be opened within
 * 3 minutes, and the session lasts SessionExpirationDurationInSeconds (1800-43200, default 12 h)
 * (https://docs.aws.amazon.com/managed-flink/latest/apiv2/API_CreateApplicationPresignedUrl.html).
 */
export async function dashboardUrl(t: AwsTarget, sessionSeconds?: number): Promise<string> {
  if (sessionSeconds !== undefined && (sessionSeconds < 1800 || sessionSeconds > 43200)) {
    throw new CliError("--session must be between 1800 and 43200 seconds (CreateApplicationPresignedUrl)", 2);
  }
  const out = await awsCall("CreateApplicationPresignedUrl", t, () =>
    flink(t).send(
      new CreateApplicationPresignedUrlCommand({
        ApplicationName: t.applicationName,
        UrlType: "FLINK_DASHBOARD_URL",
        SessionExpirationDurationInSeconds: sessionSeconds,
      }),
    ),
  );
  if (!out.AuthorizedUrl) throw new CliError(`${t.applicationName}: AWS returned no dashboard URL`);
  return out.AuthorizedUrl;
}

/** arn:aws:logs:REGION:ACCOUNT:log-group:GROUP:log-stream:STREAM, as CloudWatchLoggingOptionDescription reports it. */
export function parseLogStreamArn(arn: string): { region: string; group: string; stream: string } {
  const m = /^arn:[^:]+:logs:([^:]+):[^:]*:log-group:(.+):log-stream:(.+)$/.exec(arn);
  if (!m) throw new CliError(`cannot read a log group and stream from LogStreamARN ${arn}`);
  return { region: m[1]!, group: m[2]!, stream: m[3]! };
}

/** The application's log stream, from DescribeApplication's CloudWatchLoggingOptionDescriptions. */
export async function logStreamOf(t: AwsTarget) {
  const out = await awsCall("DescribeApplication", t, () =>
    flink(t).send(new DescribeApplicationCommand({ ApplicationName: t.applicationName })),
  );
  const arn = out.ApplicationDetail?.CloudWatchLoggingOptionDescriptions?.[0]?.LogStreamARN;
  if (!arn) {
    throw new CliError(
      `${t.applicationName} has no CloudWatch logging option (CloudWatchLoggingOptions); there is no log stream to read`,
    );
  }
  return parseLogStreamArn(arn);
}

export interface LogOptions {
  follow: boolean;
  /** Events to show before following (GetLogEvents Limit, at most 10000). */
  tail: number;
  pollMs: number;
  onEvent(e: OutputLogEvent): void;
  signal?: AbortSignal;
}

/**
 * GetLogEvents from the end of the stream (startFromHead false), then, with follow, forward from
 * nextForwardToken. "If you have reached the end of the stream, it returns the same token you passed
 * in" (GetLogEvents, CloudWatch Logs API reference): an unchanged token means nothing new, wait a poll.
 */
export async function readLogs(t: AwsTarget, o: LogOptions): Promise<void> {
  const where = await logStreamOf(t);
  const logs = new CloudWatchLogsClient({ region: where.region });
  const get = (token?: string) =>
    awsCall("GetLogEvents", t, () =>
      logs.send(
        new GetLogEventsCommand({
          logGroupName: where.group,
          logStreamName: where.stream,
          ...(token ? { nextToken: token, startFromHead: true } : { limit: o.tail, startFromHead: false }),
        }),
        { abortSignal: o.signal },
      ),
    );
  let page = await get();
  for (const e of page.events ?? []) o.onEvent(e);
  let token = page.nextForwardToken;
  while (o.follow && !o.signal?.aborted) {
    await new Promise((resolve) => setTimeout(resolve, o.pollMs));
    if (o.signal?.aborted) break;
    page = await get(token);
    for (const e of page.events ?? []) o.onEvent(e);
    token = page.nextForwardToken ?? token;
  }
}

async function awsCall<T>(operation: string, t: AwsTarget, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const e = err as { name?: string; message?: string };
    if (e.name === "AbortError") throw err;
    throw new CliError(
      `${operation} for ${t.applicationName}: ${e.name ?? "Error"}: ${e.message ?? String(err)}`,
    );
  }
}
