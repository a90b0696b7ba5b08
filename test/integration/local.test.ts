// `npm run local` as a user runs it: it comes up, another shell that sources .local/env reaches
// Kubernetes and the Managed Flink endpoint, the example runs, and Ctrl-C leaves nothing behind.
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../src/localstack/binaries.js";
import { waitFor } from "../../src/localstack/processes.js";
import { groupAlive, processesMatching } from "../helpers/processes.js";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "mfo-local-"));
const envFile = join(dir, "env");
// The built reference job when flink-app/ was built (CI builds it first); otherwise a stand-in, so
// that this test never waits for a Maven build.
const builtJar = join(repoRoot, "flink-app/target/engagement-metrics-1.0.0.jar");
const jar = existsSync(builtJar) ? builtJar : join(dir, "job.jar");
if (jar !== builtJar) writeFileSync(jar, "PK\u0003\u0004 stand-in jar");
// Real Flink runs the built job; a stand-in jar can only be simulated.
const real = jar === builtJar;

let output = "";
const local = spawn(process.execPath, ["--import", "tsx", join(repoRoot, "src/localstack/main.ts")], {
  cwd: repoRoot,
  // Its own process group, like a terminal's foreground job, so Ctrl-C can be sent to the group.
  detached: true,
  env: {
    ...process.env,
    MFO_LOCAL_DIR: dir,
    MFO_LOCAL_JAR: jar,
    MFO_LOCAL_FLINK: real ? "real" : "simulated",
    LOG_LEVEL: "info",
  },
  stdio: ["ignore", "pipe", "pipe"],
});
local.stdout.on("data", (d) => (output += d));
local.stderr.on("data", (d) => (output += d));
const exited = new Promise<number | null>((resolve) => local.on("exit", (code) => resolve(code)));

afterAll(() => {
  if (groupAlive(local.pid!)) process.kill(-local.pid!, "SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

const inShell = (script: string) =>
  run("bash", ["-c", `source ${envFile} && ${script}`], { cwd: repoRoot, encoding: "utf8" });

describe("npm run local", () => {
  it("comes up and writes .local/env", async () => {
    await waitFor(async () => existsSync(envFile), {
      timeoutMs: 240_000,
      description: `npm run local to be up; output so far:\n${output}`,
    });
    expect(output).toContain("Press Ctrl-C to stop everything.");
    const env = readFileSync(envFile, "utf8");
    for (const name of [
      "AWS_ENDPOINT_URL_KINESIS_ANALYTICS_V2",
      "AWS_ENDPOINT_URL_KINESIS",
      "AWS_ENDPOINT_URL_CLOUDWATCH",
      "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",
      "AWS_DEFAULT_REGION",
    ])
      expect(env).toMatch(new RegExp(`export ${name}=`));
  });

  it("lets another shell list namespaces with kubectl", async () => {
    const { stdout } = await inShell("kubectl get namespaces -o name");
    expect(stdout).toContain("namespace/default");
  });

  it("lets another shell list applications with the AWS SDK, and the example runs", async () => {
    const script = `
      import { KinesisAnalyticsV2Client, ListApplicationsCommand } from "@aws-sdk/client-kinesis-analytics-v2";
      const out = await new KinesisAnalyticsV2Client({}).send(new ListApplicationsCommand({}));
      console.log(JSON.stringify(out.ApplicationSummaries.map((a) => [a.ApplicationName, a.ApplicationStatus])));`;
    const { stdout } = await inShell(`node --input-type=module -e '${script}'`);
    expect(JSON.parse(stdout)).toEqual([["engagement-metrics", "RUNNING"]]);
    const { stdout: get } = await inShell("kubectl get flinkapp engagement-metrics -n engagement");
    expect(get).toMatch(/engagement-metrics\s+RUNNING\s+True\s+Healthy\s+4/);
    // The application runs the jar npm run local uploaded, byte for byte.
    const head = `
      import { S3Client, HeadObjectCommand } from "@aws-sdk/client-s3";
      const s3 = new S3Client({ forcePathStyle: true });
      const o = await s3.send(new HeadObjectCommand({ Bucket: "flink-apps", Key: "engagement-metrics/engagement-metrics.jar" }));
      console.log(o.ContentLength);`;
    const { stdout: size } = await inShell(`node --input-type=module -e '${head}'`);
    expect(Number(size)).toBe(statSync(jar).size);
  });

  it.runIf(real)(
    "shows the job's results arriving (real Flink)",
    async () => {
      await waitFor(async () => /^window .* events/m.test(output), {
        timeoutMs: 120_000,
        intervalMs: 500,
        description: "a window result printed by npm run local",
      }).catch((err: Error) => {
        throw new Error(`${err.message}; output:\n${output}`);
      });
      const first = /first result ([\d.]+) s after start/.exec(output);
      console.log(
        `npm run local: ${/local stack is up \(([\d.]+) s\)/.exec(output)?.[1]} s to up, ${first?.[1]} s to the first result`,
      );
    },
    150_000,
  );

  it("keeps the stack up when the operator process is SIGKILLed", async () => {
    const guard = Number(/its own process \(pid (\d+)\)/.exec(output)?.[1]);
    expect(guard).toBeGreaterThan(0);
    const child = Number(
      (await run("pgrep", ["-P", String(guard), "-f", "controller/main.ts"], { encoding: "utf8" })).stdout
        .trim()
        .split("\n")[0],
    );
    process.kill(child, "SIGKILL");
    await waitFor(async () => output.includes("operator exited"), {
      timeoutMs: 15_000,
      description: "npm run local to report the operator's exit",
    });
    const { stdout } = await inShell("kubectl get flinkapp engagement-metrics -n engagement -o name");
    expect(stdout.trim()).toBe("flinkapplication.managedflink.dev/engagement-metrics");
  });

  it("stops everything on Ctrl-C and removes .local/env", async () => {
    process.kill(-local.pid!, "SIGINT");
    expect(await exited).toBe(0);
    expect(existsSync(envFile)).toBe(false);
    await waitFor(async () => processesMatching(dir).length === 0, {
      timeoutMs: 15_000,
      description: "no process of the local stack left",
    }).catch((err: Error) => {
      throw new Error(`${err.message}; still running:\n${processesMatching(dir).join("\n")}`);
    });
  });
});
