// The controller process is SIGKILLed right after each step of an update operation — both before and
// after that step's status write — and restarted. Every run must end RUNNING on the new version with
// exactly one snapshot and one UpdateApplication for that generation.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ManagedProcess, waitFor } from "../../../src/localstack/processes.js";
import { Harness, isReady } from "./harness.js";

const h = new Harness();
const logDir = mkdtempSync(join(tmpdir(), "mfo-crash-"));
const name = `${h.namespace}-crash`;
let current: ManagedProcess | undefined;
let runs = 0;

function startOperator(crashAfter?: string): ManagedProcess {
  runs++;
  current = crashAfter
    ? h.operatorProcess(
        `operator-${runs}`,
        logDir,
        { LEADER_ELECT: "false", CRASH_AFTER: crashAfter },
        "test/fixtures/crashing-controller.ts",
      )
    : h.operatorProcess(`operator-${runs}`, logDir, { LEADER_ELECT: "false" });
  return current;
}

beforeAll(async () => {
  await h.setUp();
  await h.putCode("crash-apps", "app.jar");
});
afterAll(async () => {
  await current?.stop();
});

// Each step of the operation, killed right after its AWS call (status not yet written) and right
// after its status write.
const crashPoints = ["record:recorded", "snapshot", "snapshot:recorded", "update", "update:recorded"];

describe("crash during an update", () => {
  it("starts the application", async () => {
    startOperator();
    await h.apply(
      h.app(name, {
        runtimeEnvironment: "FLINK-1_20",
        serviceExecutionRole: "arn:aws:iam::123456789012:role/flink",
        code: { s3: { bucket: "crash-apps", key: "app.jar" } },
        parallelism: { parallelism: 2 },
      }),
    );
    await h.waitForApp(
      name,
      (o) => isReady(o) && o.status?.applicationStatus === "RUNNING",
      "running",
      60_000,
    );
    await current!.stop();
  });

  it.each(crashPoints.map((p, i) => [p, 3 + i] as const))(
    "killed after %s, restarted: RUNNING on the new version, one snapshot and one update",
    async (point, parallelism) => {
      const before = await h.get(name);
      const fromVersion = before!.status!.applicationVersionId!;
      const callsBefore = (await h.callsFor(name)).length;
      await h.mergePatch(name, { spec: { parallelism: { parallelism } } });

      const doomed = startOperator(point);
      await waitFor(async () => !doomed.running, {
        timeoutMs: 60_000,
        description: `operator to crash after ${point}`,
      });

      startOperator();
      const app = await h.waitForApp(
        name,
        (o) =>
          isReady(o) &&
          o.status?.applicationStatus === "RUNNING" &&
          o.status?.configuredParallelism === parallelism,
        "RUNNING on the new version",
        60_000,
      );
      await current!.stop();

      expect(app.status?.applicationVersionId).toBe(fromVersion + 1);
      expect(app.status?.operation).toBeUndefined();
      const calls = (await h.callsFor(name)).slice(callsBefore).filter((c) => !c.error);
      expect(calls.filter((c) => c.operation === "CreateApplicationSnapshot")).toHaveLength(1);
      expect(calls.filter((c) => c.operation === "UpdateApplication")).toHaveLength(1);
      const snapshotName = calls.find((c) => c.operation === "CreateApplicationSnapshot")!.input.SnapshotName;
      expect(calls.find((c) => c.operation === "UpdateApplication")!.input).toMatchObject({
        RunConfigurationUpdate: { ApplicationRestoreConfiguration: { SnapshotName: snapshotName } },
      });
      expect(app.status?.snapshots?.[0]?.name).toBe(snapshotName);
    },
  );
});
