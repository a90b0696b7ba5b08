// The emulator's call log stays bounded, and a poller with `after` reads every call exactly once.
import type { IncomingMessage, ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { handleAdminRequest } from "../../../src/emulator/admin.js";
import { CallLog } from "../../../src/emulator/calls.js";
import type { FaultInjector } from "../../../src/emulator/faults.js";
import type { MetricsPublisher } from "../../../src/emulator/metrics-publisher.js";
import type { ManagedFlinkService } from "../../../src/emulator/service.js";

const call = (i: number) => ({ operation: "DescribeApplication", input: { i }, at: "2026-11-29T00:00:00Z" });

describe("CallLog", () => {
  it("keeps only about the newest `capacity` calls", () => {
    const log = new CallLog(100);
    for (let i = 0; i < 10_000; i++) log.record(call(i));
    expect(log.size).toBeLessThanOrEqual(110);
    expect(log.list().at(-1)).toMatchObject({ input: { i: 9_999 }, seq: 10_000 });
  });

  it("lists calls after a sequence number, in order", () => {
    const log = new CallLog(1_000);
    for (let i = 0; i < 5; i++) log.record(call(i));
    expect(log.list(3).map((c) => c.seq)).toEqual([4, 5]);
    expect(log.list(5)).toEqual([]);
    expect(log.list().map((c) => c.seq)).toEqual([1, 2, 3, 4, 5]);
  });
});

/** One admin request against a call log, answered in memory. */
async function admin(url: string, calls: CallLog): Promise<{ status: number; body: unknown }> {
  let status = 0;
  let text = "";
  const res = {
    writeHead: (s: number) => {
      status = s;
    },
    end: (t: string) => {
      text = t;
    },
  } as unknown as ServerResponse;
  const req = { url, method: "GET" } as IncomingMessage;
  const deps = {
    service: {} as ManagedFlinkService,
    calls,
    faults: {} as FaultInjector,
    metrics: {} as MetricsPublisher,
  };
  await handleAdminRequest(req, res, "", deps);
  return { status, body: JSON.parse(text) };
}

describe("GET /_emulator/calls", () => {
  it("answers the whole log as before, and ?after=<seq> with only later calls", async () => {
    const log = new CallLog();
    for (let i = 0; i < 3; i++) log.record(call(i));
    const all = await admin("/_emulator/calls", log);
    expect(all.status).toBe(200);
    expect(all.body).toHaveLength(3);
    expect((await admin("/_emulator/calls?after=2", log)).body).toEqual([
      expect.objectContaining({ seq: 3 }),
    ]);
    expect((await admin("/_emulator/calls?after=x", log)).status).toBe(400);
  });
});
