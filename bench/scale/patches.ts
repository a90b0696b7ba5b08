// Patches sent while the operator idles through its resyncs: some at random moments, some right at the
// start of a resync (taken from the operator's own "resync" log line). For each: patch → first AWS
// write for that application at the emulator, and patch → the benchmark's own watch seeing the new
// generation (the floor).
import { readFileSync } from "node:fs";
import type { KubeTransport } from "../../src/controller/runtime/transport.js";
import type { FlinkApplication } from "../../src/crds/types.generated.js";
import type { CallRecorder } from "./calls.js";
import { readTrace, type Stages, stagesOf } from "./trace.js";
import type { BenchWatch } from "./watch.js";

export type PatchKind = "desiredState" | "parallelism";

export interface PatchResult {
  app: string;
  kind: PatchKind;
  atResyncStart: boolean;
  /** ms from sending the patch to the first AWS write for the application; undefined if none came. */
  latencyMs?: number;
  firstWrite?: string;
  /** ms from sending the patch to the bench's own watch delivering the new generation. */
  floorMs?: number;
  /** ms since the operator's last resync tick when the patch was sent. */
  sinceResyncMs?: number;
  /** When each stage happened, from the operator's latency trace: ms after the patch. */
  stages: Stages;
  /** Every call for the application up to its first write: "op@ms after the patch". */
  trace?: string[];
}

interface Planned {
  at: number;
  kind: PatchKind;
  atResyncStart: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** Epoch ms of the operator's resync log lines so far. */
export function resyncTimes(logFile: string): number[] {
  const out: number[] = [];
  for (const line of readFileSync(logFile, "utf8").split("\n")) {
    if (!line.includes('"msg":"resync"')) continue;
    try {
      // pino's isoTime: an ISO string. (Read as a number, every "planned" moment was NaN and all the
      // patches went out at once, back to back, before this was fixed.)
      const t = Date.parse((JSON.parse(line) as { time: string }).time);
      if (Number.isFinite(t)) out.push(t);
    } catch {
      // a line cut in the middle of being written
    }
  }
  return out;
}

/** `perKind` patches of each kind over three resync periods, a third of them at resync starts. */
export function plan(perKind: number, nextResync: number, periodMs: number, random = Math.random): Planned[] {
  const total = perKind * 2;
  const atStart = Math.floor(total / 3);
  const planned: Planned[] = [];
  for (let i = 0; i < atStart; i++) {
    // A few at each of the next three resync starts, 250 ms apart.
    const tick = nextResync + (i % 3) * periodMs;
    planned.push({ at: tick + Math.floor(i / 3) * 250, kind: "desiredState", atResyncStart: true });
  }
  while (planned.length < total) {
    const at = nextResync - periodMs / 2 + random() * periodMs * 3;
    if (planned.some((p) => Math.abs(p.at - at) < 400)) continue;
    planned.push({ at, kind: "desiredState", atResyncStart: false });
  }
  planned.sort((a, b) => a.at - b.at);
  // Kinds alternate in time, so both kinds meet resync starts and quiet moments alike.
  planned.forEach((p, i) => {
    p.kind = i % 2 === 0 ? "desiredState" : "parallelism";
  });
  return planned;
}

export async function runPatches(o: {
  kube: KubeTransport;
  watch: BenchWatch;
  calls: CallRecorder;
  namespace: string;
  apps: string[];
  planned: Planned[];
  /** The operator's log (resync ticks) and its latency trace. */
  logFile: string;
  traceFile: string;
}): Promise<PatchResult[]> {
  const sent: Array<
    Pick<PatchResult, "app" | "kind" | "atResyncStart"> & { t0: number; generation: number }
  > = [];
  for (const [i, p] of o.planned.entries()) {
    await sleep(p.at - Date.now());
    const app = o.apps[i]!;
    const body =
      p.kind === "desiredState"
        ? { spec: { desiredState: "Stopped" } }
        : { spec: { parallelism: { parallelism: 2, parallelismPerKPU: 1, autoScaling: false } } };
    const t0 = Date.now();
    const out = await o.kube.request<FlinkApplication>(
      "PATCH",
      `/apis/managedflink.dev/v1alpha1/namespaces/${o.namespace}/flinkapplications/${app}`,
      { body, contentType: "application/merge-patch+json" },
    );
    sent.push({
      app,
      kind: p.kind,
      atResyncStart: p.atResyncStart,
      t0,
      generation: out.metadata.generation!,
    });
  }
  // Every first write is at most a few seconds behind its patch; give the slowest 20 s.
  await sleep(20_000);
  await o.calls.poll();
  const ticks = resyncTimes(o.logFile);
  const traced = readTrace(o.traceFile);
  return sent.map((s) => {
    const w = o.calls.firstWriteAfter(s.app, s.t0);
    const seen = o.watch.seenAt(s.app, s.generation);
    const tick = ticks.filter((t) => t <= s.t0).at(-1);
    const calls = o.calls.calls.filter((c) => c.app === s.app && c.t >= s.t0);
    return {
      app: s.app,
      kind: s.kind,
      atResyncStart: s.atResyncStart,
      latencyMs: w ? w.t - s.t0 : undefined,
      firstWrite: w?.op,
      floorMs: seen !== undefined ? seen - s.t0 : undefined,
      sinceResyncMs: tick !== undefined ? s.t0 - tick : undefined,
      stages: stagesOf(traced.get(`${o.namespace}/${s.app}`) ?? [], calls, s.t0, s.generation),
      trace: o.calls
        .between(s.t0, (w?.t ?? s.t0) + 1)
        .filter((c) => c.app === s.app)
        .map((c) => `${c.op}@${c.t - s.t0}`),
    };
  });
}

export function percentile(xs: number[], p: number): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}
