// `helm install` tells the next step: the chart's NOTES.txt, rendered by a real helm against the real
// kube-apiserver (a client dry run, so nothing is installed).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, inject, it } from "vitest";
import { chartDir, helmBin } from "../../unit/install/tools.js";

const run = promisify(execFile);

describe("helm install", () => {
  it("prints NOTES.txt with the rollout check, the region hint and the plugin", async () => {
    const { kubeconfigPath } = inject("localStack");
    const { stdout } = await run(
      helmBin(),
      [
        "install",
        "mfo",
        chartDir,
        "--namespace",
        "mfo-notes",
        "--dry-run=client",
        // The shared test cluster already has the CRDs (applied by other files, as a platform team
        // may do); helm refuses to adopt objects it did not create.
        "--set",
        "crds.install=false",
        "--kubeconfig",
        kubeconfigPath,
      ],
      { env: { PATH: process.env.PATH, HOME: process.env.HOME } },
    );
    const notes = stdout.slice(stdout.indexOf("NOTES:"));
    expect(notes).toContain("kubectl -n mfo-notes rollout status deployment/mfo-managed-flink-operator");
    expect(notes).toContain("aws.region is empty");
    expect(notes).toContain("kubectl flinkapp status engagement-metrics");
  });
});
