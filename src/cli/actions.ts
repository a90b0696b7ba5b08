// The day-2 actions. Each one is a change to the spec that the operator carries out snapshot-safe —
// exactly what a GitOps user would commit — followed by a wait until status shows it served.
import { onDemandSnapshotName } from "../controller/snapshot-plan.js";
import type { FlinkApplication, SnapshotRecord } from "../crds/types.generated.js";
import type { FlinkApps } from "./api.js";
import { CliError } from "./errors.js";
import { type WaitOptions, waitFor } from "./wait.js";

export interface ActionResult {
  /** One line for a terminal. */
  text: string;
  /** The same for scripts (-o json). */
  json: Record<string, unknown>;
}

export interface ActionOptions extends WaitOptions {
  wait: boolean;
  /** The token written into the spec; unique per call (a UTC timestamp) unless given. */
  token?: string;
}

/** A token AWS accepts in a snapshot name ([a-zA-Z0-9_.-]) and that sorts by time. */
export function newToken(now = new Date()): string {
  return now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z")
    .replace("T", "-");
}

const applicationName = (o: FlinkApplication) =>
  o.status?.applicationName ?? o.spec.applicationName ?? o.metadata.name!;
const settled = (o: FlinkApplication) => !o.status?.operation;

function requireRunning(o: FlinkApplication, action: string): void {
  const status = o.status?.applicationStatus;
  if (status !== "RUNNING") {
    throw new CliError(
      `${o.metadata.name}: ${action} needs a RUNNING application; it is ${status ?? "not created yet"}`,
    );
  }
}

export async function snapshot(apps: FlinkApps, name: string, o: ActionOptions): Promise<ActionResult> {
  const before = await apps.get(name);
  requireRunning(before, "a snapshot");
  if (before.spec.snapshots?.enabled === false) {
    throw new CliError(`${name}: spec.snapshots.enabled is false; enable snapshots first`);
  }
  const token = o.token ?? newToken();
  const snapshotName = onDemandSnapshotName(applicationName(before), token);
  const written = await apps.patchSpec(name, { snapshots: { request: token } });
  const json: Record<string, unknown> = { name, snapshotName, request: token };
  if (!o.wait) return { text: `${name}: snapshot ${snapshotName} requested`, json };
  const after = await waitFor(
    apps,
    name,
    written.metadata.generation ?? 0,
    (x) => x.status?.lastSnapshotRequest === token,
    `snapshot ${snapshotName}`,
    o,
  );
  const taken = after.status?.snapshots?.find((s) => s.name === snapshotName);
  if (!taken)
    throw new CliError(`${name}: snapshot ${snapshotName} failed (see kubectl flinkapp status ${name})`);
  return {
    text: `${name}: snapshot ${snapshotName} is READY`,
    json: { ...json, status: "READY", createdAt: taken.createdAt },
  };
}

export async function restart(apps: FlinkApps, name: string, o: ActionOptions): Promise<ActionResult> {
  const token = o.token ?? newToken();
  const written = await apps.patchSpec(name, { restartNonce: token });
  const json: Record<string, unknown> = { name, restartNonce: token };
  if (!o.wait) return { text: `${name}: restart requested (restartNonce ${token})`, json };
  const after = await waitFor(
    apps,
    name,
    written.metadata.generation ?? 0,
    (x) => x.status?.restartNonce === token && settled(x),
    "the restart",
    o,
  );
  return served(after, written, json, "restarted", name);
}

export async function restore(
  apps: FlinkApps,
  name: string,
  snapshotName: string,
  o: ActionOptions,
): Promise<ActionResult> {
  if (!/^[a-zA-Z0-9_.-]{1,256}$/.test(snapshotName)) {
    throw new CliError(`invalid snapshot name "${snapshotName}": 1-256 characters of [a-zA-Z0-9_.-]`, 2);
  }
  const token = o.token ?? newToken();
  // Declarative: the spec says which snapshot the application runs from; the operator snapshots the
  // current state first, then redeploys from this one (spec.restore.redeployNonce, ADR 0015).
  const written = await apps.patchSpec(name, {
    restore: { type: "Snapshot", snapshotName, redeployNonce: token },
  });
  const json: Record<string, unknown> = { name, restoredFrom: snapshotName, redeployNonce: token };
  if (!o.wait) return { text: `${name}: restore from ${snapshotName} requested`, json };
  const after = await waitFor(
    apps,
    name,
    written.metadata.generation ?? 0,
    (x) => x.status?.restoreRedeployNonce === token && settled(x),
    `the restore from ${snapshotName}`,
    o,
  );
  return served(after, written, json, `restored from ${snapshotName}`, name);
}

export async function scale(apps: FlinkApps, name: string, replicas: number, o: ActionOptions) {
  if (!Number.isInteger(replicas) || replicas < 1) {
    throw new CliError(`parallelism must be a whole number of at least 1, not "${replicas}"`, 2);
  }
  const written = await apps.patchSpec(name, { parallelism: { parallelism: replicas } });
  const generation = written.metadata.generation ?? 0;
  const json: Record<string, unknown> = { name, parallelism: replicas };
  if (!o.wait) return { text: `${name}: parallelism ${replicas} requested`, json };
  const after = await waitFor(
    apps,
    name,
    generation,
    (x) =>
      settled(x) &&
      (x.status?.observedGeneration ?? 0) >= generation &&
      x.status?.configuredParallelism === replicas,
    `parallelism ${replicas}`,
    o,
  );
  return served(after, written, json, `running with parallelism ${replicas}`, name);
}

/** The result of a restarting action: the version now running and the snapshot taken before it. */
function served(
  after: FlinkApplication,
  written: FlinkApplication,
  json: Record<string, unknown>,
  what: string,
  name: string,
): ActionResult {
  const generation = written.metadata.generation;
  const before: SnapshotRecord | undefined = after.status?.snapshots?.find(
    (s) => s.reason === "BeforeUpdate" && s.generation === generation,
  );
  const version = after.status?.applicationVersionId;
  const snap = before ? `; snapshot ${before.name} kept the previous state` : "";
  const status = after.status?.applicationStatus ?? "?";
  // A stopped application is not restarted: the operator only records the request (ADR 0015).
  const done = status === "RUNNING" ? what : `recorded; the application is ${status}, nothing was restarted`;
  return {
    text: `${name}: ${done} (version ${version ?? "?"}, ${status})${snap}`,
    json: {
      ...json,
      applicationStatus: after.status?.applicationStatus,
      applicationVersionId: version,
      snapshotBefore: before?.name,
    },
  };
}
