// The scale benchmark's own arithmetic: when the resyncs started (from the operator's log) and where a
// patch's time went (from the operator's trace and the emulator's call log). A mistake here once made
// every patch go out at once and the benchmark report a burst as the latency of one change.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { plan, resyncTimes } from "../../../bench/scale/patches.js";
import { stagesOf } from "../../../bench/scale/trace.js";
import type { TraceLine } from "../../../src/controller/runtime/trace.js";

describe("bench:scale", () => {
  it("reads resync times from pino's ISO timestamps, so patches are planned at real moments", () => {
    const log = join(mkdtempSync(join(tmpdir(), "bench-test-")), "operator.log");
    writeFileSync(
      log,
      [
        '{"level":"info","time":"2026-11-30T00:00:00.000Z","msg":"resync"}',
        '{"level":"info","time":"2026-11-30T00:00:01.000Z","msg":"reconciled"}',
        '{"level":"info","time":"2026-11-30T00:00:30.000Z","msg":"resync"}',
        '{"level":"info","time":"2026-11-30T00:01',
      ].join("\n"),
    );
    const ticks = resyncTimes(log);
    expect(ticks).toEqual([Date.parse("2026-11-30T00:00:00Z"), Date.parse("2026-11-30T00:00:30Z")]);
    const draws = [0.1, 0.3, 0.6, 0.9];
    const planned = plan(3, ticks[1]! + 30_000, 30_000, () => draws.shift()!);
    expect(planned.every((p) => Number.isFinite(p.at) && p.at >= ticks[1]!)).toBe(true);
    expect(planned.filter((p) => p.atResyncStart).map((p) => p.at - ticks[1]!)).toEqual([30_000, 60_000]);
  });

  it("puts each stage of a patch after the one before it, for the patch's own generation", () => {
    const t0 = 1_000;
    const line = (t: number, stage: TraceLine["stage"], detail: Record<string, unknown> = {}) =>
      ({ t, stage, key: "bench/a", ...detail }) as TraceLine;
    const lines = [
      line(900, "watch", { gen: 1 }), // an earlier generation
      line(905, "queued"),
      line(1_010, "watch", { gen: 2 }),
      line(1_010, "queued", { processing: true }),
      line(1_012, "started", { gen: 1 }), // the resync pass that was running, finishing
      line(1_030, "started", { gen: 2 }),
      line(1_031, "token.wait"),
      line(1_040, "token"),
      line(1_043, "status.sent"),
      line(1_050, "status.answered"),
    ];
    const calls = [
      { t: 1_042, op: "DescribeApplication" },
      { t: 1_055, op: "CreateApplicationSnapshot" },
    ];
    expect(stagesOf(lines, calls, t0, 2)).toEqual({
      watch: 10,
      queued: 10,
      queuedBehind: "processing",
      started: 30,
      tokenWait: 31,
      token: 40,
      firstCall: 42,
      statusPatch: 43,
      statusPatched: 50,
      eventSent: undefined,
      eventAnswered: undefined,
      firstWrite: 55,
    });
  });
});
