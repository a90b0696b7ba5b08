import type { TestProject } from "vitest/node";
import { type LocalStackInfo, startLocalStack } from "../../src/localstack/stack.js";

declare module "vitest" {
  export interface ProvidedContext {
    localStack: LocalStackInfo;
  }
}

/** One local stack per integration run, shared by the test files (they run one at a time). */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stack = await startLocalStack({ transitionMs: 100 });
  const { kubeconfigPath, kubeServer, s3Endpoint, emulatorEndpoint, region, workDir } = stack;
  project.provide("localStack", {
    kubeconfigPath,
    kubeServer,
    s3Endpoint,
    emulatorEndpoint,
    region,
    workDir,
  });
  return () => stack.stop();
}
