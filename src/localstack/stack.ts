import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./binaries.js";
import { type ControlPlane, startControlPlane } from "./controlplane.js";
import { freePort } from "./ports.js";
import { ManagedProcess, waitFor } from "./processes.js";
import { type S3Server, startS3Server } from "./s3.js";

export interface LocalStackInfo {
  kubeconfigPath: string;
  kubeServer: string;
  s3Endpoint: string;
  emulatorEndpoint: string;
  region: string;
  workDir: string;
}

export interface LocalStack extends LocalStackInfo {
  controlPlane: ControlPlane;
  s3: S3Server;
  emulator: ManagedProcess;
  /** Environment for AWS SDKs, the AWS CLI and kubectl pointed at this stack. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export const localRegion = "us-east-1";

/** Dummy credentials: the emulator and moto accept any signature; nothing real is ever reachable. */
export const dummyCredentials = { AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local-secret" };

export interface StackOptions {
  workDir?: string;
  /** Emulator transition time for each lifecycle step. */
  transitionMs?: number;
  /** "real" runs each RUNNING application on a real Flink cluster (docs/emulator.md, "Real Flink"). */
  flink?: "real" | "simulated";
  /** How often the emulator publishes metrics to its CloudWatch (default 10 s). */
  metricsIntervalMs?: number;
}

/** Starts the control plane, the S3 server and the Managed Flink emulator side by side. */
export async function startLocalStack(opts: StackOptions = {}): Promise<LocalStack> {
  const workDir = opts.workDir ?? mkdtempSync(join(tmpdir(), "managed-flink-local-"));
  mkdirSync(workDir, { recursive: true, mode: 0o700 });
  const started: { stop(): Promise<void> }[] = [];
  const stopStarted = async () => {
    for (const s of started.reverse()) await s.stop().catch(() => {});
  };
  try {
    // The three start independently; the control plane is the slow one.
    const track = <T extends { stop(): Promise<void> }>(p: T): T => {
      started.push(p);
      return p;
    };
    // allSettled, not all: when one fails, the other must have finished starting (and be tracked)
    // before the clean-up below stops everything.
    const [cp, s3r] = await Promise.allSettled([
      startControlPlane(join(workDir, "kube")).then(track),
      startS3Server(join(workDir, "s3")).then(track),
    ]);
    if (cp.status === "rejected") throw cp.reason;
    if (s3r.status === "rejected") throw s3r.reason;
    const controlPlane = cp.value;
    const s3 = s3r.value;
    const emulatorPort = await freePort();
    const emulatorEndpoint = `http://127.0.0.1:${emulatorPort}`;
    const emulator = ManagedProcess.start(
      "managed-flink-emulator",
      process.execPath,
      [
        "--import",
        "tsx",
        join(repoRoot, "src/emulator/main.ts"),
        "--port",
        String(emulatorPort),
        "--s3-endpoint",
        s3.endpoint,
        "--region",
        localRegion,
        ...(opts.transitionMs !== undefined ? ["--transition-ms", String(opts.transitionMs)] : []),
        "--flink",
        opts.flink ?? "simulated",
        "--work-dir",
        join(workDir, "flink"),
        // CloudWatch metrics are served by the emulator itself (ADR 21); moto serves CloudWatch Logs on
        // the same port as S3.
        "--cloudwatch-logs-endpoint",
        s3.endpoint,
        ...(opts.metricsIntervalMs !== undefined
          ? ["--metrics-interval-ms", String(opts.metricsIntervalMs)]
          : []),
      ],
      {
        logFile: join(workDir, "emulator.log"),
        cwd: repoRoot,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          NODE_OPTIONS: "",
          ...dummyCredentials,
          // Where real Flink is cached, and which Java runs it.
          ...passThrough(["MFO_CACHE_DIR", "JAVA_HOME", "XDG_CACHE_HOME"]),
        },
      },
    );
    // In real mode the emulator stops a Flink JVM per running application before it exits: give it
    // the time that takes, so nothing outlives stop() (the JVMs' guards would kill them later anyway).
    started.push({ stop: () => emulator.stop(45_000) });
    await waitFor(
      async () =>
        (await fetch(`${emulatorEndpoint}/_emulator/calls`, { signal: AbortSignal.timeout(2000) })).ok,
      { timeoutMs: 60_000, description: "managed-flink-emulator", process: emulator },
    );
    const env = {
      KUBECONFIG: controlPlane.kubeconfigPath,
      AWS_ENDPOINT_URL_KINESIS_ANALYTICS_V2: emulatorEndpoint,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_KINESIS: s3.endpoint,
      AWS_ENDPOINT_URL_CLOUDWATCH: emulatorEndpoint,
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: s3.endpoint,
      AWS_REGION: localRegion,
      // The aws CLI v1 reads only this one.
      AWS_DEFAULT_REGION: localRegion,
      ...dummyCredentials,
    };
    return {
      kubeconfigPath: controlPlane.kubeconfigPath,
      kubeServer: controlPlane.server,
      s3Endpoint: s3.endpoint,
      emulatorEndpoint,
      region: localRegion,
      workDir,
      controlPlane,
      s3,
      emulator,
      env,
      async stop() {
        await stopStarted();
        if (!opts.workDir) rmSync(workDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stopStarted();
    throw err;
  }
}

function passThrough(names: string[]): Record<string, string> {
  return Object.fromEntries(
    names.filter((n) => process.env[n] !== undefined).map((n) => [n, process.env[n] as string]),
  );
}
