// `kubectl flinkapp status NAME`: one screen with what an on-call engineer asks first — is it
// running, which version and parallelism, is anything in flight, the last snapshot, the last
// failure, and what the operator did recently (its Events).
import type { Condition, UpdateOperation } from "../crds/types.generated.js";
import { eventTime, type FlinkApps, type KubeEvent } from "./api.js";

export interface StatusReport {
  name: string;
  namespace: string;
  application: {
    name?: string;
    region?: string;
    arn?: string;
    status?: string;
    versionId?: number;
    desiredState: string;
  };
  parallelism: { desired?: number; configured?: number; current?: number };
  ready?: Pick<Condition, "status" | "reason" | "message">;
  stalled?: Pick<Condition, "status" | "reason" | "message">;
  operation?: UpdateOperation;
  lastSnapshot?: { name: string; createdAt?: string; reason?: string };
  lastFailure?: { message?: string; generation?: number; time?: string; kind: string };
  events: { type?: string; reason?: string; message?: string; time: string; count?: number }[];
}

const pick = (c: Condition | undefined) =>
  c ? { status: c.status, reason: c.reason, message: c.message } : undefined;

export async function statusReport(apps: FlinkApps, name: string, maxEvents = 8): Promise<StatusReport> {
  const obj = await apps.get(name);
  const events: KubeEvent[] = await apps.events(obj);
  const s = obj.status ?? {};
  const cond = (type: string) => s.conditions?.find((c) => c.type === type);
  const failure = s.lastFailedUpdate
    ? {
        kind: "update",
        message: s.lastFailedUpdate.message,
        generation: s.lastFailedUpdate.generation,
        time: s.lastFailedUpdate.time,
      }
    : s.lastError
      ? {
          kind: s.lastError.operation ?? "error",
          message: `${s.lastError.type}: ${s.lastError.message}`,
          generation: s.lastError.generation,
          time: s.lastError.time,
        }
      : undefined;
  const snap = s.snapshots?.[0];
  return {
    name,
    namespace: apps.namespace,
    application: {
      name: s.applicationName ?? obj.spec.applicationName ?? name,
      region: s.region ?? obj.spec.region,
      arn: s.applicationARN,
      status: s.applicationStatus,
      versionId: s.applicationVersionId,
      desiredState: obj.spec.desiredState ?? "Running",
    },
    parallelism: {
      desired: obj.spec.parallelism?.parallelism,
      configured: s.configuredParallelism,
      current: s.currentParallelism,
    },
    ready: pick(cond("Ready")),
    stalled: cond("Stalled")?.status === "True" ? pick(cond("Stalled")) : undefined,
    operation: s.operation,
    lastSnapshot: snap ? { name: snap.name, createdAt: snap.createdAt, reason: snap.reason } : undefined,
    lastFailure: failure,
    events: events.slice(-maxEvents).map((e) => ({
      type: e.type,
      reason: e.reason,
      message: e.message,
      time: eventTime(e),
      count: e.count,
    })),
  };
}

/** One terminal screen (about 80 columns; long messages are cut, -o json has them whole). */
export function formatStatus(r: StatusReport, width = 100): string {
  const cut = (t: string | undefined, n = width - 16) => {
    const one = (t ?? "").replace(/\s+/g, " ");
    return one.length > n ? `${one.slice(0, n - 1)}…` : one;
  };
  const row = (k: string, v: string | number | undefined) => `${`${k}:`.padEnd(15)} ${v ?? "-"}`;
  const a = r.application;
  const p = r.parallelism;
  const lines = [
    row("Name", `${r.namespace}/${r.name}`),
    row("Application", `${a.name} (${a.region ?? "default region"})`),
    row("Status", `${a.status ?? "not created yet"} (desired ${a.desiredState})`),
    row(
      "Ready",
      r.ready ? `${r.ready.status} ${r.ready.reason ?? ""}: ${cut(r.ready.message, width - 30)}` : undefined,
    ),
    row("Version", a.versionId),
    row(
      "Parallelism",
      `${p.current ?? "-"} running, ${p.configured ?? "-"} configured, ${p.desired ?? "default"} desired`,
    ),
  ];
  if (r.stalled) lines.push(row("Stalled", `${r.stalled.reason}: ${cut(r.stalled.message, width - 30)}`));
  if (r.operation) {
    const op = r.operation;
    lines.push(
      row(
        "In flight",
        `${op.type} of generation ${op.generation}: ${op.phase}${op.snapshotName ? ` (snapshot ${op.snapshotName})` : ""}`,
      ),
    );
  }
  lines.push(
    row(
      "Last snapshot",
      r.lastSnapshot
        ? `${r.lastSnapshot.name} ${r.lastSnapshot.createdAt ?? ""} ${r.lastSnapshot.reason ?? ""}`.trim()
        : undefined,
    ),
    row(
      "Last failure",
      r.lastFailure ? `${r.lastFailure.time ?? ""} ${cut(r.lastFailure.message, width - 40)}`.trim() : "none",
    ),
  );
  lines.push("", "Events:");
  if (r.events.length === 0) lines.push("  (none)");
  for (const e of r.events) {
    const count = e.count && e.count > 1 ? ` (x${e.count})` : "";
    lines.push(
      `  ${e.time.slice(0, 19).replace("T", " ")}  ${(e.type ?? "").padEnd(7)} ${(e.reason ?? "").padEnd(18)} ${cut(e.message, width - 52)}${count}`,
    );
  }
  return lines.join("\n");
}
