import { existsSync, readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { runtimeEnvironments } from "../../src/crds/flinkapplication.js";
import { staleFiles } from "../../src/crds/generate.js";
import { binaryPaths } from "../../src/localstack/binaries.js";

describe("FlinkApplication CRD", () => {
  it("generated files match src/crds (run `npm run generate` after changing the API)", () => {
    expect(staleFiles()).toEqual([]);
  });

  it.runIf(existsSync(binaryPaths().serviceModel))(
    "accepts only runtimes the AWS service model knows",
    () => {
      const model = JSON.parse(gunzipSync(readFileSync(binaryPaths().serviceModel)).toString("utf8"));
      const known: string[] = model.shapes.RuntimeEnvironment.enum;
      for (const r of runtimeEnvironments) expect(known).toContain(r);
    },
  );
});
