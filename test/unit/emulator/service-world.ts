// The emulator's service in process, on a fake clock: the shared setup of the emulator's unit tests.
import type { CodeLocationChecker } from "../../../src/emulator/code-location.js";
import { FakeClock } from "../../../src/emulator/fake-clock.js";
import type { ApplicationRuntime } from "../../../src/emulator/runtime.js";
import { ManagedFlinkService } from "../../../src/emulator/service.js";

const codeChecker: CodeLocationChecker = { check: async () => undefined };

export function setup(runtime?: ApplicationRuntime) {
  const clock = new FakeClock();
  const service = new ManagedFlinkService({
    region: "us-east-1",
    accountId: "123456789012",
    codeChecker,
    clock,
    ...(runtime ? { runtime } : {}),
  });
  const call = async (op: string, input: Record<string, unknown>) =>
    // biome-ignore lint/suspicious/noExplicitAny: outputs are read loosely here; the HTTP tests check their shapes.
    (await service.operations[op]!(input)) as Record<string, any>;
  const status = async (name: string) =>
    (await call("DescribeApplication", { ApplicationName: name })).ApplicationDetail.ApplicationStatus;
  const operation = async (name: string, id: string) =>
    (await call("DescribeApplicationOperation", { ApplicationName: name, OperationId: id }))
      .ApplicationOperationInfoDetails;
  return { clock, service, call, status, operation };
}

export function createInput(name: string, config: Record<string, unknown> = {}) {
  return {
    ApplicationName: name,
    RuntimeEnvironment: "FLINK-1_20",
    ServiceExecutionRole: "arn:aws:iam::123456789012:role/flink",
    ApplicationConfiguration: {
      ApplicationCodeConfiguration: {
        CodeContentType: "ZIPFILE",
        CodeContent: { S3ContentLocation: { BucketARN: "arn:aws:s3:::code", FileKey: "app.jar" } },
      },
      ApplicationSnapshotConfiguration: { SnapshotsEnabled: true },
      ...config,
    },
  };
}
