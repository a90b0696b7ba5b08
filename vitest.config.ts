import { defineConfig } from "vitest/config";

// Two tiers, as in controller-runtime projects: unit tests are pure and fast; integration tests run
// against the real local stack (kube-apiserver + etcd, moto's S3 server, the Managed Flink emulator),
// started once per run by test/integration/global-setup.ts.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["src/**/*.test.ts", "test/unit/**/*.test.ts"],
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          globalSetup: ["test/integration/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // The stack is shared; files run one after another so call counts stay attributable.
          fileParallelism: false,
        },
      },
    ],
  },
});
