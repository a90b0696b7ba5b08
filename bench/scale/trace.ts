// The operator's own latency trace (OPERATOR_TRACE_FILE, src/controller/runtime/trace.ts) joined with
// the benchmark's patches and the emulator's call log: for each patch, when each stage happened, in ms
// after the patch was sent. Stage by stage, where the time between a patch and its first AWS write goes.
import { readFileSync } from "node:fs";
import type { TraceLine } from "../../src/controller/runtime/trace.js";
import { type Call, readOps } from "./calls.js";

/** ms after the patch was sent; a stage absent from the trace is undefined. */
export interface Stages {
  /** The operator's informer delivered the new generation. */
  watch?: number;
  /** … and the key went into the work queue (`queuedBehind`: a reconcile of the key was running). */
  queued?: number;
  queuedBehind?: "processing" | "waiting";
  /** A worker took the key. */
  started?: number;
  /** The first AWS request of that reconcile asked the budget for a token … */
  tokenWait?: number;
  /** … and got it. */
  token?: number;
  /** The first AWS request for the application arrived at the emulator. */
  firstCall?: number;
  /** The first status write of that reconcile went out, and was answered, before the first AWS write. */
  statusPatch?: number;
  statusPatched?: number;
  /** The first Event of that reconcile went out, and was answered, before the first AWS write. */
  eventSent?: number;
  eventAnswered?: number;
  /** The first AWS write arrived at the emulator. */
  firstWrite?: number;
}

/** The deltas reported per stage, in the order a change passes them: [name, from, to]. */
export const stageDeltas: Array<[string, keyof Stages | "sent", keyof Stages]> = [
  ["patch → watch event", "sent", "watch"],
  ["watch event → queued", "watch", "queued"],
  ["queued → worker starts", "queued", "started"],
  ["worker starts → asks for a token", "started", "tokenWait"],
  ["asks → gets the token", "tokenWait", "token"],
  ["token → first call at the emulator", "token", "firstCall"],
  ["first call → first write", "firstCall", "firstWrite"],
  // Only where a status write comes before the first AWS write (the record of a snapshot-first update).
  ["… first call → status write sent", "firstCall", "statusPatch"],
  ["… status write sent → answered", "statusPatch", "statusPatched"],
  ["… status write answered → first write", "statusPatched", "firstWrite"],
];

export function readTrace(file: string): Map<string, TraceLine[]> {
  const byKey = new Map<string, TraceLine[]>();
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return byKey;
  }
  for (const line of text.split("\n")) {
    if (!line) continue;
    let l: TraceLine;
    try {
      l = JSON.parse(line) as TraceLine;
    } catch {
      continue; // a line cut in the middle of being written
    }
    const list = byKey.get(l.key) ?? [];
    list.push(l);
    byKey.set(l.key, list);
  }
  return byKey;
}

/** The stages of the patch sent at `t0` that made `generation`, from the key's trace and its AWS calls. */
export function stagesOf(lines: TraceLine[], calls: Call[], t0: number, generation: number): Stages {
  const after = (t: number | undefined, stage: string, ok: (l: TraceLine) => boolean = () => true) =>
    t === undefined ? undefined : lines.find((l) => l.stage === stage && l.t >= t && ok(l));
  const watch = after(t0, "watch", (l) => l.gen === generation);
  const queued = after(watch?.t, "queued");
  const started = after(queued?.t, "started", (l) => ((l.gen as number) ?? 0) >= generation);
  const tokenWait = after(started?.t, "token.wait");
  const token = after(tokenWait?.t, "token");
  const statusPatch = after(started?.t, "status.sent");
  const statusPatched = after(statusPatch?.t, "status.answered");
  const eventSent = after(started?.t, "event.sent");
  const eventAnswered = after(eventSent?.t, "event.answered");
  const firstCall = calls.find((c) => c.t >= (token?.t ?? t0));
  const firstWrite = calls.find((c) => c.t >= t0 && !readOps.has(c.op));
  const rel = (t: number | undefined) => (t === undefined ? undefined : t - t0);
  // A status write after the first AWS write (a stop records it afterwards) is not on the way to it.
  const beforeWrite = (l: TraceLine | undefined) =>
    l && firstWrite && l.t <= firstWrite.t ? l.t - t0 : undefined;
  return {
    watch: rel(watch?.t),
    queued: rel(queued?.t),
    queuedBehind: queued?.processing ? "processing" : queued?.was !== undefined ? "waiting" : undefined,
    started: rel(started?.t),
    tokenWait: rel(tokenWait?.t),
    token: rel(token?.t),
    firstCall: rel(firstCall?.t),
    statusPatch: beforeWrite(statusPatch),
    statusPatched: beforeWrite(statusPatched),
    eventSent: beforeWrite(eventSent),
    eventAnswered: beforeWrite(eventAnswered),
    firstWrite: rel(firstWrite?.t),
  };
}
