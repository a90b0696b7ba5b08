// Two operator processes against one cluster: only the Lease holder acts; SIGKILL it and the other
// takes over once the Lease expires. Real processes, because a kill must skip every clean-up path.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ManagedProcess, waitFor } from "../../../src/localstack/processes.js";
import { Harness, isReady } from "./harness.js";

const h = new Harness();
const leaseSeconds = 3;
const retrySeconds = 1;
const procs = new Map<string, ManagedProcess>();
const logDir = mkdtempSync(join(tmpdir(), "mfo-leader-"));

function startOperatorProcess(identity: string): ManagedProcess {
  const p = h.operatorProcess(identity, logDir, {
    LEASE_DURATION_SECONDS: String(leaseSeconds),
    RENEW_DEADLINE_SECONDS: "2",
    RETRY_PERIOD_SECONDS: String(retrySeconds),
  });
  procs.set(identity, p);
  return p;
}

async function holder(): Promise<string | undefined> {
  const r = await h.kubectl([
    "get",
    "lease",
    "managed-flink-operator",
    "-n",
    h.namespace,
    "-o",
    "jsonpath={.spec.holderIdentity}",
  ]);
  return r.code === 0 && r.stdout ? r.stdout : undefined;
}

async function eventSources(): Promise<Set<string>> {
  const items = JSON.parse(await h.kubectlOk(["get", "events", "-n", h.namespace, "-o", "json"])).items as {
    reportingInstance?: string;
  }[];
  return new Set(items.map((e) => e.reportingInstance ?? ""));
}

beforeAll(async () => {
  await h.setUp();
  await h.putCode("leader-apps", "app.jar");
});
afterAll(async () => {
  for (const p of procs.values()) await p.stop();
});

describe("leader election", () => {
  it("lets only the leader act, and hands over within the lease duration when it is killed", async () => {
    startOperatorProcess("operator-a");
    startOperatorProcess("operator-b");
    const first = await waitFor(holder, { timeoutMs: 60_000, description: "a leader" });
    const second = first === "operator-a" ? "operator-b" : "operator-a";

    const name = `${h.namespace}-led`;
    await h.apply(
      h.app(name, {
        runtimeEnvironment: "FLINK-1_20",
        serviceExecutionRole: "arn:aws:iam::123456789012:role/flink",
        code: { s3: { bucket: "leader-apps", key: "app.jar" } },
        deletionPolicy: "Delete",
      }),
    );
    await h.waitForApp(
      name,
      (o) => isReady(o) && o.status?.applicationStatus === "RUNNING",
      "RUNNING",
      60_000,
    );
    expect(await eventSources()).toEqual(new Set([first]));

    procs.get(first)!.killNow();
    const killedAt = Date.now();
    await waitFor(async () => (await holder()) === second, {
      timeoutMs: 30_000,
      intervalMs: 50,
      description: `${second} to take the lease`,
    });
    const handoverMs = Date.now() - killedAt;
    // The dead leader renewed at most one retry period before the kill; the standby tries every
    // retry period: so the Lease passes within leaseDuration + retryPeriod of the kill.
    expect(handoverMs).toBeLessThanOrEqual((leaseSeconds + retrySeconds) * 1000 + 500);
    console.log(`leader handover took ${handoverMs} ms (lease ${leaseSeconds}s)`);

    await h.mergePatch(name, { spec: { desiredState: "Stopped" } });
    await h.waitForApp(
      name,
      (o) => isReady(o) && o.status?.applicationStatus === "READY",
      "stopped by the new leader",
      60_000,
    );
    expect(await eventSources()).toEqual(new Set([first, second]));
    expect(procs.get(second)!.running).toBe(true);
  });
});
