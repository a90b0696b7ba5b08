import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { requireBinaries } from "./binaries.js";
import { freePort } from "./ports.js";
import { ManagedProcess, waitFor } from "./processes.js";

export interface S3Server {
  endpoint: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/**
 * Starts moto's standalone server as our S3 (docs/adr/0002-s3-server.md says why moto and not MinIO).
 * moto serves every AWS service it mocks on one port; only S3 is used from it.
 */
export async function startS3Server(workDir: string): Promise<S3Server> {
  const { motoServer } = requireBinaries(["motoServer"]);
  mkdirSync(workDir, { recursive: true });
  const port = await freePort();
  const proc = ManagedProcess.start("s3 (moto)", motoServer, ["-H", "127.0.0.1", "-p", String(port)], {
    logFile: join(workDir, "moto.log"),
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      // moto keeps everything in memory; these keep it from reaching for real AWS config or the network.
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_DEFAULT_REGION: "us-east-1",
      MOTO_ALLOW_NONEXISTENT_REGION: "true",
    },
  });
  const endpoint = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      const res = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(2000) });
      return res.ok;
    },
    { timeoutMs: 60_000, description: `moto S3 server on ${endpoint}`, process: proc },
  );
  return { endpoint, process: proc, stop: () => proc.stop() };
}
