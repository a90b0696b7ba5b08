import {
  type ApplicationStatus,
  DescribeApplicationCommand,
  type KinesisAnalyticsV2Client,
} from "@aws-sdk/client-kinesis-analytics-v2";

/** Polls DescribeApplication until the status is reached; fails with the last status seen at the deadline. */
export async function waitForStatus(
  client: KinesisAnalyticsV2Client,
  name: string,
  status: ApplicationStatus | string,
  deadlineMs = 10_000,
): Promise<void> {
  const end = Date.now() + deadlineMs;
  let last: string | undefined;
  for (;;) {
    const r = await client.send(new DescribeApplicationCommand({ ApplicationName: name }));
    last = r.ApplicationDetail?.ApplicationStatus;
    if (last === status) return;
    if (Date.now() > end)
      throw new Error(`${name} did not reach ${status} within ${deadlineMs} ms (last: ${last})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Polls until `check` returns a value (not undefined) or the deadline passes. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  what: string,
  deadlineMs = 10_000,
): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The error a promise rejects with, or a failure if it resolves. */
export async function rejection(
  p: Promise<unknown>,
): Promise<{ name: string; message: string; $metadata?: { httpStatusCode?: number } }> {
  try {
    await p;
  } catch (e) {
    return e as { name: string; message: string };
  }
  throw new Error("expected the call to fail");
}

/** The error type name a call fails with (fails the test when the call succeeds). */
export async function errorName(p: Promise<unknown>): Promise<string> {
  return (await rejection(p)).name;
}
