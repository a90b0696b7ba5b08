import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  type FlinkInstall,
  flinkInstallPath,
  requireFlinkInstall,
} from "../../../src/emulator/flink/install.js";
import { repoRoot } from "../../../src/localstack/binaries.js";

/** The small jobs of test/fixtures/flink-jobs: CountingJob (manifest main class) and FailingJob. */
export const testJobsJar = join(repoRoot, "test/fixtures/flink-jobs/target/flink-test-jobs.jar");
/** The unmodified reference job (flink-app). */
export const engagementJar = join(repoRoot, "flink-app/target/engagement-metrics-1.0.0.jar");
/** The PyFlink twin of the reference job, as the ZIP Managed Flink runs (flink-app/pyflink/package.sh). */
export const pyflinkZip = join(repoRoot, "flink-app/pyflink/build/engagement-metrics-pyflink.zip");

/**
 * What the real-Flink tests need, or a failure naming the command that builds it: these tests are
 * part of CI (.ci/run builds all three), so a missing piece must fail loudly, never skip.
 */
export function requireRealFlink(jars: { jar: string; command: string }[]): FlinkInstall {
  const install = requireFlinkInstall(flinkInstallPath());
  for (const { jar, command } of jars) {
    if (!existsSync(jar)) throw new Error(`${jar} is missing; run \`${command}\``);
  }
  return install;
}

export const TEST_JOBS = { jar: testJobsJar, command: "bash scripts/build-binaries.sh flink-test-jobs" };
export const ENGAGEMENT_JOB = { jar: engagementJar, command: "bash flink-app/test.sh" };
export const PYFLINK_JOB = { jar: pyflinkZip, command: "bash flink-app/pyflink/package.sh" };

/** Milliseconds since `start`, rounded, for the timing report. */
export function since(start: number): number {
  return Math.round(performance.now() - start);
}
