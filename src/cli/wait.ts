// Waiting for the operator, as a user watching `kubectl get` would: poll the resource until the
// status shows the request served, and stop early when the operator reports it cannot go on.
import { setTimeout as delay } from "node:timers/promises";
import type { FlinkApplication } from "../crds/types.generated.js";
import type { FlinkApps } from "./api.js";
import { CliError } from "./errors.js";

export interface WaitOptions {
  timeoutMs: number;
  /** Between two reads; the operator's own poll interval is seconds, so this is ample. */
  intervalMs?: number;
}

/**
 * Resolves with the object once `done` holds. Fails with the operator's own message when it reports
 * Stalled=True for the generation we wrote (a terminal error, a failed update): waiting longer would
 * not help.
 */
export async function waitFor(
  apps: FlinkApps,
  name: string,
  generation: number,
  done: (o: FlinkApplication) => boolean,
  what: string,
  o: WaitOptions,
): Promise<FlinkApplication> {
  const deadline = Date.now() + o.timeoutMs;
  let last: FlinkApplication | undefined;
  while (Date.now() < deadline) {
    last = await apps.get(name);
    if (done(last)) return last;
    const stalled = last.status?.conditions?.find((c) => c.type === "Stalled");
    if (
      stalled?.status === "True" &&
      (stalled.observedGeneration ?? 0) >= generation &&
      (last.status?.observedGeneration ?? 0) >= generation
    ) {
      throw new CliError(`${name}: ${what} failed: ${stalled.reason}: ${stalled.message}`);
    }
    await delay(o.intervalMs ?? 250);
  }
  const ready = last?.status?.conditions?.find((c) => c.type === "Ready");
  throw new CliError(
    `${name}: timed out after ${Math.round(o.timeoutMs / 1000)} s waiting for ${what} (status ${last?.status?.applicationStatus ?? "unknown"}: ${ready?.message ?? "no Ready condition yet"}); the operator keeps working on it`,
  );
}
