// `npm run local`: builds what is missing, starts the whole local stack, writes .local/env, and stays
// up until interrupted; then it stops every process it started and removes .local/env.
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { binaryPaths, repoRoot } from "./binaries.js";
import { startLocalStack } from "./stack.js";

const localDir = join(repoRoot, ".local");
const envFile = join(localDir, "env");

function buildMissingBinaries(): void {
  // The script returns at once when everything is cached.
  const res = spawnSync("bash", [join(repoRoot, "scripts/build-binaries.sh")], { stdio: "inherit" });
  if (res.status !== 0) throw new Error("scripts/build-binaries.sh failed");
}

function shellQuote(v: string): string {
  return `'${v.replace(/'/g, `'\\''`)}'`;
}

async function main(): Promise<void> {
  buildMissingBinaries();
  mkdirSync(localDir, { recursive: true, mode: 0o700 });
  console.log("starting the local stack: etcd, kube-apiserver, S3 (moto), Managed Flink emulator ...");
  const stack = await startLocalStack({ workDir: join(localDir, "stack") });
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the local stack ...`);
    rmSync(envFile, { force: true });
    await stack.stop();
    rmSync(join(localDir, "stack"), { recursive: true, force: true });
    console.log("stopped; no process left behind.");
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGHUP", () => void shutdown("SIGHUP"));

  const lines = Object.entries(stack.env).map(([k, v]) => `export ${k}=${shellQuote(v)}`);
  // The kubectl and helm built for the stack come first on PATH, so their versions match the server.
  const bins = binaryPaths();
  lines.push(`export PATH=${shellQuote(`${dirname(bins.kubectl)}:${dirname(bins.helm)}`)}:"$PATH"`);
  writeFileSync(envFile, `# written by npm run local; removed when it stops\n${lines.join("\n")}\n`, {
    mode: 0o600,
  });
  console.log(`
local stack is up:
  Kubernetes API   ${stack.kubeServer}
  S3 (moto)        ${stack.s3Endpoint}
  Managed Flink    ${stack.emulatorEndpoint}  (admin API: ${stack.emulatorEndpoint}/_emulator/calls)

In another shell:
  source .local/env
  kubectl get namespaces
  aws kinesisanalyticsv2 list-applications

Press Ctrl-C to stop everything.`);
}

main().catch((err: unknown) => {
  rmSync(envFile, { force: true });
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
