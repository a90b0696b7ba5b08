// The chart's Argo CD health check (charts/managed-flink-operator/health/flinkapplication.lua) run in a
// real Lua interpreter against FlinkApplications recorded from integration runs
// (test/integration/install/health.test.ts with RECORD_HEALTH_FIXTURES=1), plus edge cases built from them.
import { describe, expect, it } from "vitest";
import { nextConditions, outcomeOf } from "../../../src/controller/status.js";
import { argoHealth, type HealthFixture, luaBin, readHealthFixtures, toLua } from "./tools.js";

// Resolved while collecting, outside any test's timeout: a machine without them gets them from apt.
luaBin("5.4");
luaBin("5.1");

const fixtures = readHealthFixtures();
const byPhase = (phase: string): HealthFixture => {
  const f = fixtures.find((x) => x.phase === phase);
  if (!f) throw new Error(`fixture ${phase} missing`);
  return structuredClone(f);
};

describe("Argo CD health check on recorded FlinkApplications", () => {
  it("has a fixture for every state the issue names", () => {
    expect(new Set(fixtures.map((f) => f.expected.argocd))).toEqual(
      new Set(["Progressing", "Healthy", "Suspended", "Degraded"]),
    );
    expect(fixtures.map((f) => f.phase)).toEqual(
      expect.arrayContaining([
        "01-created-no-status",
        "02-starting",
        "03-running",
        "05-updating",
        "07-stopped",
        "08-stalled",
      ]),
    );
  });

  it.each(fixtures.map((f) => [f.phase, f.description, f] as const))("%s (%s)", (_phase, _d, f) => {
    const health = argoHealth(f.object);
    expect(health.status).toBe(f.expected.argocd);
    expect(health.message).not.toBe("");
  });

  // Argo CD runs health scripts with gopher-lua, a Lua 5.1: the same answers there.
  it.each(fixtures.map((f) => [f.phase, f] as const))("%s under Lua 5.1", (_phase, f) => {
    expect(argoHealth(f.object, undefined, "5.1")).toEqual(argoHealth(f.object));
  });
});

describe("Argo CD health check, edge cases", () => {
  it("Degraded carries the Stalled message", () => {
    const f = byPhase("08-stalled");
    const stalled = (f.object.status as { conditions: { type: string; message: string }[] }).conditions.find(
      (c) => c.type === "Stalled",
    )!;
    expect(argoHealth(f.object).message).toBe(stalled.message);
  });

  it("a stalled object whose new spec is not observed yet is Progressing, not Degraded", () => {
    const f = byPhase("08-stalled");
    f.object.metadata.generation = (f.object.metadata.generation as number) + 1;
    expect(argoHealth(f.object).status).toBe("Progressing");
  });

  it("status with no conditions yet is Progressing", () => {
    const f = byPhase("03-running");
    (f.object.status as Record<string, unknown>).conditions = [];
    expect(argoHealth(f.object).status).toBe("Progressing");
  });

  it("a Ready RUNNING application that is desired Stopped is Progressing until it stops", () => {
    const f = byPhase("03-running");
    (f.object.spec as Record<string, unknown>).desiredState = "Stopped";
    expect(argoHealth(f.object).status).toBe("Progressing");
  });

  it("Ready=False with neither Reconciling nor Stalled is Degraded", () => {
    const f = byPhase("03-running");
    const conditions = (
      f.object.status as { conditions: { type: string; status: string; message: string }[] }
    ).conditions;
    for (const c of conditions) c.status = "False";
    conditions[0]!.message = "something the controller did not expect";
    expect(argoHealth(f.object)).toEqual({
      status: "Degraded",
      message: "something the controller did not expect",
    });
  });
});

describe("Argo CD health check on the job's verdict (issue 11)", () => {
  // The conditions exactly as the reconciler writes them for an unhealthy job (status.ts).
  const withJob = (verdict: "Restarting" | "NoData" | "Healthy", message: string) => {
    const f = byPhase("03-running");
    const status = f.object.status as Record<string, unknown>;
    const generation = f.object.metadata.generation as number;
    const outcome =
      verdict === "Healthy"
        ? outcomeOf({ kind: "steady", message })
        : outcomeOf({ kind: "unhealthy", verdict, message });
    status.conditions = nextConditions(undefined, outcome, generation, new Date());
    status.job = { verdict, message };
    return f.object;
  };

  it("a crash-looping job is Degraded, with the evidence", () => {
    const message = "3 full restarts in the last 600 s (max 0)";
    expect(argoHealth(withJob("Restarting", message))).toEqual({ status: "Degraded", message });
  });

  it("a job without metrics yet is Progressing, never Healthy", () => {
    expect(argoHealth(withJob("NoData", "no datapoints yet")).status).toBe("Progressing");
  });

  it("a healthy job is Healthy", () => {
    expect(argoHealth(withJob("Healthy", "application is RUNNING")).status).toBe("Healthy");
  });
});

describe("toLua", () => {
  it("escapes quotes, backslashes and newlines and keeps UTF-8", () => {
    expect(toLua({ a: ['x"\\\n', "ü"], b: null, c: 1.5, d: true })).toBe(
      '{["a"] = {"x\\034\\092\\010", "ü"}, ["b"] = nil, ["c"] = 1.5, ["d"] = true}',
    );
  });
});
