// kubectl-flinkapp against the local stack: the real plugin process, the real kube-apiserver, the
// operator, the emulator for Managed Flink and moto for CloudWatch Logs — as a user runs it.
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { CreateApplicationCommand } from "@aws-sdk/client-kinesis-analytics-v2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binaryPaths } from "../../../src/localstack/binaries.js";
import { waitFor } from "../../../src/localstack/processes.js";
import { type EmulatorCall, Harness, isReady } from "../operator/harness.js";

const h = new Harness();
const repoRoot = join(import.meta.dirname, "../../..");
const name = `${h.namespace}-cli`;
const spec = {
  runtimeEnvironment: "FLINK-1_20",
  serviceExecutionRole: "arn:aws:iam::123456789012:role/flink",
  code: { s3: { bucket: "cli-apps", key: "app.jar" } },
  parallelism: { parallelism: 2, parallelismPerKPU: 1, autoScaling: false },
};
const env = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  AWS_REGION: h.stack.region,
  AWS_ACCESS_KEY_ID: "local",
  AWS_SECRET_ACCESS_KEY: "local-secret",
  AWS_ENDPOINT_URL_KINESIS_ANALYTICS_V2: h.stack.emulatorEndpoint,
  // moto, which already serves the stack's S3, serves CloudWatch Logs on the same port.
  AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: h.stack.s3Endpoint,
};

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Starts the plugin as a user would (kubeconfig and namespace flags); `onLine` sees stdout as it comes. */
function start(args: string[], onLine?: (line: string) => void) {
  const p = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(repoRoot, "src/cli/main.ts"),
      ...args,
      "-n",
      h.namespace,
      "--kubeconfig",
      h.stack.kubeconfigPath,
    ],
    { cwd: repoRoot, env },
  );
  let stdout = "";
  let stderr = "";
  p.stdout.on("data", (d: Buffer) => {
    stdout += d;
    if (onLine) for (const l of d.toString().split("\n")) if (l) onLine(l);
  });
  p.stderr.on("data", (d) => (stderr += d));
  const done = new Promise<Run>((resolve) =>
    p.on("exit", (code) => resolve({ code: code ?? -1, stdout, stderr })),
  );
  return { process: p, done };
}

const cli = (...args: string[]) => start(args).done;
async function cliJson<T = Record<string, unknown>>(...args: string[]): Promise<T> {
  const r = await cli(...args, "-o", "json");
  expect(r.stderr, r.stderr).not.toContain("Error");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as T;
}
const writes = (calls: EmulatorCall[]) =>
  calls
    .filter((c) => !c.error)
    .map((c) => c.operation)
    .filter((op) => !op.startsWith("Describe") && !op.startsWith("List"));

beforeAll(async () => {
  await h.setUp();
  await h.putCode("cli-apps", "app.jar");
  await h.startOperator();
  await h.apply(h.app(name, spec));
  await h.waitForApp(name, (o) => isReady(o) && o.status?.applicationStatus === "RUNNING", "running");
});
afterAll(() => h.tearDown());

describe("kubectl-flinkapp", () => {
  it("names the unknown resource and the namespace, for every command, with exit code 1", async () => {
    const runs = await Promise.all(
      [
        ["status", "nope"],
        ["snapshot", "nope"],
        ["restore", "nope", "some-snapshot"],
        ["restart", "nope"],
        ["scale", "nope", "3"],
        ["dashboard", "nope"],
        ["logs", "nope"],
      ].map((args) => cli(...args)),
    );
    for (const r of runs) {
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(`Error: flinkapplication "nope" not found in namespace "${h.namespace}"`);
    }
    const usage = await cli("scale", name);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("expected NAME N");
  });

  it("runs as `kubectl flinkapp`: kubectl finds kubectl-flinkapp on PATH", async () => {
    const bin = mkdtempSync(join(tmpdir(), "flinkapp-bin-"));
    const shim = join(bin, "kubectl-flinkapp");
    writeFileSync(
      shim,
      `#!/bin/sh\nexec "${process.execPath}" --import tsx "${join(repoRoot, "src/cli/main.ts")}" "$@"\n`,
    );
    chmodSync(shim, 0o755);
    const r = await new Promise<Run>((resolve) => {
      const p = spawn(
        binaryPaths().kubectl,
        // kubectl looks plugins up by the first arguments: flags come after the plugin's name.
        ["flinkapp", "status", name, "-n", h.namespace, "--kubeconfig", h.stack.kubeconfigPath],
        { cwd: repoRoot, env: { ...env, PATH: `${bin}:${env.PATH}` } },
      );
      let stdout = "";
      let stderr = "";
      p.stdout.on("data", (d) => (stdout += d));
      p.stderr.on("data", (d) => (stderr += d));
      p.on("exit", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
    expect(r.stdout, r.stderr).toMatch(/Status:\s+RUNNING/);
    expect(r.code).toBe(0);
  });

  it("status: one screen, and the same as JSON", async () => {
    const text = await cli("status", name);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/Status:\s+RUNNING \(desired Running\)/);
    expect(text.stdout).toMatch(/Parallelism:\s+2 running, 2 configured, 2 desired/);
    expect(text.stdout).toContain("Events:");
    expect(text.stdout.split("\n").length).toBeLessThan(30);
    const json = await cliJson<{
      application: { status: string; versionId: number };
      events: { reason: string }[];
    }>("status", name);
    expect(json.application).toMatchObject({ status: "RUNNING", name, region: h.stack.region });
    expect(json.events.map((e) => e.reason)).toEqual(expect.arrayContaining(["Created", "Starting"]));
  });

  let snapshotName = "";
  it("snapshot: through spec.snapshots.request, waiting until READY", async () => {
    const out = await cliJson<{ snapshotName: string; status: string }>("snapshot", name);
    expect(out.status).toBe("READY");
    expect(out.snapshotName).toMatch(new RegExp(`^${name}-ondemand-`));
    snapshotName = out.snapshotName;
    const obj = await h.get(name);
    expect(obj?.status?.snapshots?.some((s) => s.name === snapshotName && s.reason === "OnDemand")).toBe(
      true,
    );
  });

  it("restore: takes a snapshot of the current state first, then runs from the requested one", async () => {
    await h.emulator("DELETE", "/calls");
    const out = await cliJson<{ restoredFrom: string; snapshotBefore: string; applicationStatus: string }>(
      "restore",
      name,
      snapshotName,
    );
    expect(out).toMatchObject({ restoredFrom: snapshotName, applicationStatus: "RUNNING" });
    expect(out.snapshotBefore).toBeTruthy();
    expect(out.snapshotBefore).not.toBe(snapshotName);
    const calls = await h.callsFor(name);
    expect(writes(calls)).toEqual(["CreateApplicationSnapshot", "UpdateApplication"]);
    const snap = calls.find((c) => c.operation === "CreateApplicationSnapshot")!;
    expect(snap.input.SnapshotName).toBe(out.snapshotBefore);
    const update = calls.find((c) => c.operation === "UpdateApplication")!;
    expect(update.input.ApplicationConfigurationUpdate).toBeUndefined();
    expect(update.input.RunConfigurationUpdate).toMatchObject({
      ApplicationRestoreConfiguration: {
        ApplicationRestoreType: "RESTORE_FROM_CUSTOM_SNAPSHOT",
        SnapshotName: snapshotName,
      },
    });
  });

  it("restart: snapshot first, one UpdateApplication, RUNNING", async () => {
    await h.emulator("DELETE", "/calls");
    const r = await cli("restart", name);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/restarted \(version \d+, RUNNING\); snapshot .+ kept the previous state/);
    expect(writes(await h.callsFor(name))).toEqual(["CreateApplicationSnapshot", "UpdateApplication"]);
  });

  it("scale: sets the parallelism and waits until it runs with it", async () => {
    const out = await cliJson<{ parallelism: number; applicationStatus: string }>("scale", name, "3");
    expect(out).toMatchObject({ parallelism: 3, applicationStatus: "RUNNING" });
    expect((await h.get(name))?.status?.configuredParallelism).toBe(3);
  });

  it("dashboard: the presigned Flink dashboard URL, with the session asked for", async () => {
    const out = await cliJson<{ url: string }>("dashboard", name, "--session", "1800");
    expect(new URL(out.url).protocol).toBe("https:");
    const calls = await h.callsFor(name);
    expect(calls.at(-1)).toMatchObject({
      operation: "CreateApplicationPresignedUrl",
      input: { UrlType: "FLINK_DASHBOARD_URL", SessionExpirationDurationInSeconds: 1800 },
    });
    const bad = await cli("dashboard", name, "--session", "60");
    expect([bad.code, bad.stderr.trim()]).toEqual([
      2,
      "Error: --session must be between 1800 and 43200 seconds (CreateApplicationPresignedUrl)",
    ]);
  });

  it("logs: says so when the application has no CloudWatch logging option", async () => {
    const r = await cli("logs", name);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("has no CloudWatch logging option");
  });

  it("logs: prints the stream's tail, and -f follows new events", async () => {
    const logs = new CloudWatchLogsClient({
      endpoint: h.stack.s3Endpoint,
      region: h.stack.region,
      credentials: { accessKeyId: "local", secretAccessKey: "local-secret" },
    });
    const group = `/aws/kinesis-analytics/${name}`;
    await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
    await logs.send(
      new CreateLogStreamCommand({ logGroupName: group, logStreamName: "kinesis-analytics-log-stream" }),
    );
    const put = (message: string) =>
      logs.send(
        new PutLogEventsCommand({
          logGroupName: group,
          logStreamName: "kinesis-analytics-log-stream",
          logEvents: [{ timestamp: Date.now(), message }],
        }),
      );
    await put("job started");
    // An application with a logging option, created outside the operator and adopted by a resource.
    const logged = `${h.namespace}-logged`;
    await h.awsClient().send(
      new CreateApplicationCommand({
        ApplicationName: logged,
        RuntimeEnvironment: "FLINK-1_20",
        ServiceExecutionRole: spec.serviceExecutionRole,
        CloudWatchLoggingOptions: [
          {
            LogStreamARN: `arn:aws:logs:${h.stack.region}:123456789012:log-group:${group}:log-stream:kinesis-analytics-log-stream`,
          },
        ],
      }),
    );
    await h.apply(
      h.app(
        logged,
        { ...spec, desiredState: "Stopped" },
        { annotations: { "managedflink.dev/adopt": "true" } },
      ),
    );

    const tail = await cli("logs", logged, "-o", "json");
    expect(tail.stderr).not.toContain("Error");
    expect(
      tail.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).message),
    ).toEqual(["job started"]);

    const seen: string[] = [];
    const follow = start(["logs", logged, "-f"], (l) => seen.push(l));
    await waitFor(async () => seen.some((l) => l.endsWith(" job started")), {
      timeoutMs: 20_000,
      description: "the first event",
    });
    await put("checkpoint 1 completed");
    await waitFor(async () => seen.some((l) => l.endsWith(" checkpoint 1 completed")), {
      timeoutMs: 20_000,
      description: "the followed event",
    });
    follow.process.kill("SIGINT");
    expect((await follow.done).code).toBe(0);
  });
});
