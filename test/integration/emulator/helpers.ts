import {
  type ApplicationStatus,
  CreateApplicationCommand,
  type CreateApplicationCommandInput,
  DescribeApplicationCommand,
  type KinesisAnalyticsV2Client,
  StartApplicationCommand,
} from "@aws-sdk/client-kinesis-analytics-v2";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { FakeClock } from "../../../src/emulator/fake-clock.js";

/**
 * A simulated application RUNNING on an in-process emulator: a placeholder jar put in `bucket` (made
 * here), the application created from it with `extra`, started, and the fake clock moved until RUNNING.
 */
export async function runningApplication(
  world: { clock: FakeClock; flink: KinesisAnalyticsV2Client; s3Endpoint: string; region: string },
  name: string,
  bucket: string,
  extra: Partial<CreateApplicationCommandInput> = {},
): Promise<void> {
  const credentials = { accessKeyId: "test", secretAccessKey: "test" };
  const s3 = new S3Client({
    endpoint: world.s3Endpoint,
    region: world.region,
    forcePathStyle: true,
    credentials,
  });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "app.jar", Body: "PK-not-really-a-jar" }));
  } finally {
    s3.destroy();
  }
  await world.flink.send(
    new CreateApplicationCommand({
      ApplicationName: name,
      RuntimeEnvironment: "FLINK-1_20",
      ServiceExecutionRole: "arn:aws:iam::123456789012:role/flink",
      ApplicationConfiguration: {
        ApplicationCodeConfiguration: {
          CodeContentType: "ZIPFILE",
          CodeContent: { S3ContentLocation: { BucketARN: `arn:aws:s3:::${bucket}`, FileKey: "app.jar" } },
        },
      },
      ...extra,
    }),
  );
  await world.flink.send(new StartApplicationCommand({ ApplicationName: name }));
  await waitForStatus(world.clock, world.flink, name, "RUNNING");
}

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
