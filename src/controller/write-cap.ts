// A hard cap on AWS writes per application: the last line of defence against an update loop that
// nothing else caught (issue 14 watched an operator make 6,773 application versions in two minutes
// against a service that reported configuration back differently). Normal work stays far below it —
// an update is a snapshot and an UpdateApplication; a rollback a few calls more.
import type { Step } from "./plan.js";

/** Steps that write to AWS (or S3). */
const writes = new Set<Step["kind"]>([
  "uploadArtifact",
  "create",
  "adopt",
  "start",
  "stop",
  "update",
  // AddApplicationVpcConfiguration, DeleteApplicationVpcConfiguration, AddApplicationCloudWatchLoggingOption.
  "attach",
  "tag",
  "delete",
  "snapshot",
  "deleteSnapshot",
  "rollback",
]);

export const isWrite = (step: Step) => writes.has(step.kind);

export class WriteCap {
  private readonly times = new Map<string, number[]>();

  constructor(
    readonly max: number,
    readonly windowMs = 3_600_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one write for `key` and returns undefined, or, when the cap is reached, how long until a slot frees. */
  take(key: string): number | undefined {
    const now = this.now();
    const recent = (this.times.get(key) ?? []).filter((t) => t > now - this.windowMs);
    if (recent.length >= this.max) {
      this.times.set(key, recent);
      return recent[0]! + this.windowMs - now;
    }
    recent.push(now);
    this.times.set(key, recent);
    return undefined;
  }

  /** A deleted resource's history goes with it. */
  forget(key: string): void {
    this.times.delete(key);
  }
}
