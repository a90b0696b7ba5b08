import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { KinesisAnalyticsV2Client, ListApplicationsCommand } from "@aws-sdk/client-kinesis-analytics-v2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binaryPaths, repoRoot } from "../../src/localstack/binaries.js";
import { waitFor } from "../../src/localstack/processes.js";
import { type LocalStack, startLocalStack } from "../../src/localstack/stack.js";
import { groupAlive, processesMatching } from "../helpers/processes.js";

const run = promisify(execFile);
const { kubectl } = binaryPaths();

describe("local stack", () => {
  let stack: LocalStack;
  let pids: number[] = [];

  beforeAll(async () => {
    stack = await startLocalStack();
    pids = [stack.emulator.pid, stack.s3.process.pid, ...stack.controlPlane.processes.map((p) => p.pid)];
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const kc = (args: string[], kubeconfig = stack.kubeconfigPath) =>
    run(kubectl, ["--kubeconfig", kubeconfig, ...args], { encoding: "utf8" });

  it("serves a CustomResourceDefinition applied with kubectl, and its objects", async () => {
    await kc(["apply", "-f", join(repoRoot, "test/fixtures/widget-crd.yaml")]);
    await kc(["wait", "--for=condition=Established", "crd/widgets.example.localstack.dev", "--timeout=60s"]);
    const widget = JSON.stringify({
      apiVersion: "example.localstack.dev/v1",
      kind: "Widget",
      metadata: { name: "w1", namespace: "default" },
      spec: { size: 3 },
    });
    const apply = spawn(kubectl, ["--kubeconfig", stack.kubeconfigPath, "apply", "-f", "-"]);
    apply.stdin.end(widget);
    await new Promise<void>((resolve, reject) =>
      apply.on("exit", (code) =>
        code === 0 ? resolve() : reject(new Error(`kubectl apply exited ${code}`)),
      ),
    );
    const { stdout } = await kc(["get", "widget", "w1", "-n", "default", "-o", "json"]);
    expect(JSON.parse(stdout).spec).toEqual({ size: 3 });
  });

  it("rejects an object that breaks the CRD's schema", async () => {
    const bad = spawn(kubectl, ["--kubeconfig", stack.kubeconfigPath, "apply", "-f", "-"], { stdio: "pipe" });
    let stderr = "";
    bad.stderr.on("data", (d) => (stderr += d));
    bad.stdin.end(
      JSON.stringify({
        apiVersion: "example.localstack.dev/v1",
        kind: "Widget",
        metadata: { name: "w2", namespace: "default" },
        spec: { size: 0 },
      }),
    );
    const code = await new Promise((resolve) => bad.on("exit", resolve));
    expect(code).not.toBe(0);
    expect(stderr).toContain("spec.size");
  });

  it("authorizes with RBAC: an unprivileged user is denied, the admin is not", async () => {
    const alice = await stack.controlPlane.kubeconfigFor("alice", ["developers"]);
    await expect(kc(["get", "namespaces"], alice)).rejects.toThrow(/forbidden/i);
    const { stdout } = await kc(["auth", "can-i", "list", "namespaces", "--as", "alice"]).catch((e) => e);
    expect(String(stdout).trim()).toBe("no");
    const { stdout: ns } = await kc(["get", "namespaces", "-o", "name"]);
    expect(ns).toContain("namespace/default");
  });

  it("answers the AWS SDK on the emulator endpoint", async () => {
    const client = new KinesisAnalyticsV2Client({
      endpoint: stack.emulatorEndpoint,
      region: stack.region,
      credentials: { accessKeyId: "local", secretAccessKey: "local-secret" },
    });
    const out = await client.send(new ListApplicationsCommand({}));
    expect(out.ApplicationSummaries).toEqual([]);
  });

  it("leaves no etcd, kube-apiserver, S3 or emulator process after stop", async () => {
    expect(pids.every(groupAlive)).toBe(true);
    await stack.stop();
    await waitFor(async () => pids.every((p) => !groupAlive(p)), {
      timeoutMs: 15_000,
      description: "stack exit",
    });
    expect(processesMatching(stack.workDir)).toEqual([]);
  });
});

describe("orphan guard", () => {
  it("stops a started server when the Node process that started it is SIGKILLed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mfo-crash-"));
    const parent = spawn(
      process.execPath,
      ["--import", "tsx", join(repoRoot, "test/fixtures/crash-parent.ts"), dir],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    parent.stdout.on("data", (d) => (out += d));
    const pid = await waitFor(
      async () => (out.includes("\n") ? (JSON.parse(out).pid as number) : undefined),
      {
        timeoutMs: 60_000,
        description: "crash-parent to start S3",
      },
    );
    expect(groupAlive(pid)).toBe(true);
    parent.kill("SIGKILL");
    await waitFor(async () => !groupAlive(pid), {
      timeoutMs: 15_000,
      description: "orphaned S3 server to stop",
    });
    rmSync(dir, { recursive: true, force: true });
  });
});
