import {
  type ApplicationStatus,
  DescribeApplicationCommand,
  type KinesisAnalyticsV2Client,
} from "@aws-sdk/client-kinesis-analytics-v2";
import type { FakeClock } from "../../../src/emulator/fake-clock.js";

/**
 * Checks, then moves the emulator's fake clock to its next timer, until `check` returns a value. Fails when
 * nothing is left to happen or the deadline (in emulator time) passes: the value can then never come.
 */
export async function eventually<T>(
  clock: FakeClock,
  check: () => Promise<T | undefined>,
  what: string | (() => string),
  deadlineMs = 60_000,
): Promise<T> {
  const describe = () => (typeof what === "string" ? what : what());
  const end = clock.now() + deadlineMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (clock.now() > end) throw new Error(`${describe()}: not within ${deadlineMs} ms of emulator time`);
    if (!(await clock.next())) throw new Error(`${describe()}: nothing left to happen in the emulator`);
  }
}

/** Advances the fake clock timer by timer until DescribeApplication reports `status`, observing each one. */
export async function waitForStatus(
  clock: FakeClock,
  client: KinesisAnalyticsV2Client,
  name: string,
  status: ApplicationStatus | string,
): Promise<void> {
  let last: string | undefined;
  await eventually(
    clock,
    async () => {
      const r = await client.send(new DescribeApplicationCommand({ ApplicationName: name }));
      last = r.ApplicationDetail?.ApplicationStatus;
      return last === status ? true : undefined;
    },
    () => `${name} to reach ${status} (last: ${last})`,
  );
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

/** A call to an emulator's admin API (`/_emulator/<path>`), its status and JSON answer. */
export async function adminCall(
  endpoint: string,
  method: string,
  path: string,
  body?: unknown,
  // biome-ignore lint/suspicious/noExplicitAny: admin answers are read loosely; the assertions check them.
): Promise<{ status: number; json: any }> {
  const res = await fetch(`${endpoint}/_emulator/${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: await res.json() };
}
