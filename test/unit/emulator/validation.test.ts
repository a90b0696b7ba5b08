import { describe, expect, it } from "vitest";
import type { ServiceError } from "../../../src/emulator/errors.js";
import { loadServiceModel } from "../../../src/emulator/model.js";
import {
  findViolations,
  formatViolations,
  patternRegExp,
  validateInput,
} from "../../../src/emulator/validation.js";
import { binaryPaths } from "../../../src/localstack/binaries.js";

const model = loadServiceModel(binaryPaths().serviceModel);

function errorOf(op: string, input: unknown): ServiceError {
  try {
    validateInput(model, op, input);
  } catch (e) {
    return e as ServiceError;
  }
  throw new Error("expected a validation error");
}

describe("validateInput against botocore's kinesisanalyticsv2 model", () => {
  it("rejects a 257-character SnapshotName with Coral's wording", () => {
    const e = errorOf("CreateApplicationSnapshot", { ApplicationName: "app", SnapshotName: "s".repeat(257) });
    expect(e.type).toBe("InvalidArgumentException");
    expect(e.status).toBe(400);
    expect(e.message).toBe(
      `1 validation error detected: Value '${"s".repeat(257)}' at 'snapshotName' failed to satisfy constraint: Member must have length less than or equal to 256`,
    );
  });

  it("rejects an unknown RuntimeEnvironment with the model's enum", () => {
    const e = errorOf("CreateApplication", {
      ApplicationName: "app",
      RuntimeEnvironment: "FLINK-0_1",
      ServiceExecutionRole: "arn:aws:iam::123456789012:role/r",
    });
    expect(e.message).toMatch(
      /^1 validation error detected: Value 'FLINK-0_1' at 'runtimeEnvironment' failed to satisfy constraint: Member must satisfy enum value set: \[.*FLINK-1_20.*\]$/,
    );
  });

  it("reports missing required members as null, one error each", () => {
    const v = findViolations(model, "CreateApplication", {});
    expect(v.map((x) => x.path).sort()).toEqual([
      "applicationName",
      "runtimeEnvironment",
      "serviceExecutionRole",
    ]);
    expect(formatViolations(v)).toMatch(/^3 validation errors detected: Value null at '/);
  });

  it("checks nested structures, lists, maps, patterns and numeric ranges with Coral member paths", () => {
    const v = findViolations(model, "CreateApplication", {
      ApplicationName: "bad name",
      RuntimeEnvironment: "FLINK-1_20",
      ServiceExecutionRole: "not-an-arn",
      ApplicationConfiguration: {
        FlinkApplicationConfiguration: {
          ParallelismConfiguration: { ConfigurationType: "CUSTOM", Parallelism: 0 },
        },
        EnvironmentProperties: { PropertyGroups: [{ PropertyGroupId: "g", PropertyMap: {} }] },
      },
      Tags: [{ Value: "v" }],
    });
    const byPath = Object.fromEntries(v.map((x) => [x.path, x.constraint]));
    expect(byPath.applicationName).toBe("Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
    expect(byPath.serviceExecutionRole).toBe("Member must satisfy regular expression pattern: arn:.*");
    expect(
      byPath["applicationConfiguration.flinkApplicationConfiguration.parallelismConfiguration.parallelism"],
    ).toBe("Member must have value greater than or equal to 1");
    expect(byPath["applicationConfiguration.environmentProperties.propertyGroups.1.member.propertyMap"]).toBe(
      "Member must have length greater than or equal to 1",
    );
    expect(byPath["tags.1.member.key"]).toBe("Member must not be null");
  });

  it("checks long ranges (ApplicationVersionId 1..999999999)", () => {
    const v = findViolations(model, "RollbackApplication", {
      ApplicationName: "a",
      CurrentApplicationVersionId: 1e9,
    });
    expect(v).toEqual([
      {
        path: "currentApplicationVersionId",
        value: 1e9,
        constraint: "Member must have value less than or equal to 999999999",
      },
    ]);
  });

  it("ignores members the model does not know, as AWS JSON services do", () => {
    expect(findViolations(model, "DescribeApplication", { ApplicationName: "a", Surprise: 1 })).toEqual([]);
  });

  it("rejects values of the wrong JSON type as SerializationException", () => {
    const e = errorOf("DescribeApplication", { ApplicationName: 42 });
    expect(e.type).toBe("SerializationException");
    expect(errorOf("DeleteApplication", { ApplicationName: "a", CreateTimestamp: "yesterday" }).type).toBe(
      "SerializationException",
    );
    expect(errorOf("ListApplications", { Limit: 1.5 }).type).toBe("SerializationException");
  });

  it("accepts a valid UpdateApplication (the either-or rule is the service's, not the model's)", () => {
    expect(findViolations(model, "UpdateApplication", { ApplicationName: "a" })).toEqual([]);
  });

  it("compiles every pattern in the model as a u-flag RegExp, untranslated", () => {
    const patterns = Object.entries(model.shapes).flatMap(([name, s]) =>
      s.pattern ? [[name, s.pattern]] : [],
    );
    expect(patterns.length).toBeGreaterThan(10);
    for (const [name, p] of patterns) {
      expect(() => new RegExp(p!, "u"), `${name}: ${p}`).not.toThrow();
      expect(() => patternRegExp(p!), `${name}: ${p}`).not.toThrow();
    }
  });

  it("matches patterns against the whole value, as Java's Matcher.matches() does", () => {
    expect(patternRegExp("[a-zA-Z0-9_.-]+").test("my-app_1.0")).toBe(true);
    expect(patternRegExp("[a-zA-Z0-9_.-]+").test("my app")).toBe(false);
    expect(patternRegExp("[a-zA-Z0-9_.-]+").test("")).toBe(false);
    // SnapshotV2Description and RecordRowPath, the two that use escapes and lookaheads.
    expect(patternRegExp("[^\\u0000-\\u001F\\u007F]*").test("ok\u0001")).toBe(false);
    expect(patternRegExp("^(?=^\\$)(?=^\\S+$).*$").test("$.a")).toBe(true);
    expect(patternRegExp("^(?=^\\$)(?=^\\S+$).*$").test("a.$")).toBe(false);
  });
});
