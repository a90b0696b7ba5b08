import { describe, expect, it } from "vitest";
import type { FlinkApplication } from "../../../src/crds/types.generated.js";
import { builtInThresholds } from "../../../src/health/judge.js";
import { healthTargets } from "../../../src/health/targets.js";
import { unrestricted } from "../../helpers/tenancy.js";

const app = (name: string, patch: { spec?: object; status?: object; metadata?: object } = {}) =>
  ({
    apiVersion: "flink.example/v1",
    kind: "FlinkApplication",
    metadata: { namespace: "team-a", name, ...patch.metadata },
    spec: {
      runtimeEnvironment: "FLINK-1_20",
      serviceExecutionRole: "arn:aws:iam::111122223333:role/flink/x",
      code: { s3: { bucket: "b", key: "k.jar" } },
      ...patch.spec,
    },
    status: {
      applicationStatus: "RUNNING",
      applicationName: `aws-${name}`,
      region: "eu-west-1",
      ...patch.status,
    },
  }) as unknown as FlinkApplication;

const ctx = {
  rulesFor: (ns: string) => (ns === "team-a" ? [{ source: "p", rules: unrestricted }] : undefined),
  defaultRegion: "us-east-1",
  defaults: builtInThresholds,
};

describe("healthTargets", () => {
  it("reads RUNNING applications the policy allows, with their spec.health over the defaults", () => {
    const out = healthTargets(
      [
        app("a", { spec: { health: { maxRestarts: 2 } }, status: { operation: { type: "Update" } } }),
        app("stopped", { status: { applicationStatus: "READY" } }),
        app("deleting", { metadata: { deletionTimestamp: "2026-11-30T00:00:00Z" } }),
        app("off", { spec: { health: { checks: "Disabled" } } }),
        app("unknown-ns", { metadata: { namespace: "team-b" } }),
        // spec.logging by group and stream: the ARN from the region and the execution role's account.
        app("logged", { spec: { logging: { logGroup: "g", logStream: "s" } } }),
      ],
      ctx,
    );
    expect(out).toEqual([
      {
        key: "team-a/a",
        applicationName: "aws-a",
        region: "eu-west-1",
        thresholds: { ...builtInThresholds, maxRestarts: 2 },
        stabilizing: true,
      },
      {
        key: "team-a/logged",
        applicationName: "aws-logged",
        region: "eu-west-1",
        logStreamArn: "arn:aws:logs:eu-west-1:111122223333:log-group:g:log-stream:s",
        thresholds: builtInThresholds,
        stabilizing: false,
      },
    ]);
  });

  it("skips an application whose spec.health is invalid and says why", () => {
    const invalid: string[] = [];
    const out = healthTargets([app("bad", { spec: { health: { windowSeconds: -1 } } })], {
      ...ctx,
      onInvalid: (key, message) => invalid.push(`${key}: ${message}`),
    });
    expect(out).toEqual([]);
    expect(invalid).toEqual(["team-a/bad: spec.health.windowSeconds must be an integer >= 1, got -1"]);
  });
});
