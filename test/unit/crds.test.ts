import { existsSync, readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  maxMetadataNameLength,
  openApiSchema,
  runtimeEnvironments,
} from "../../src/crds/flinkapplication.js";
import { staleFiles } from "../../src/crds/generate.js";
import { binaryPaths } from "../../src/localstack/binaries.js";

describe("FlinkApplication CRD", () => {
  it("generated files match src/crds (run `npm run generate` after changing the API)", () => {
    expect(staleFiles()).toEqual([]);
  });

  it("bounds metadata.name for the owner tag on create only", () => {
    // A name over the bound worked before it in a short namespace; the root rule runs on every update,
    // status updates included, so evaluating it there would strand such objects.
    const rule = openApiSchema["x-kubernetes-validations"]!.find((v) =>
      v.rule.includes(`size(self.metadata.name) <= ${maxMetadataNameLength}`),
    );
    expect(rule).toMatchObject({ optionalOldSelf: true, fieldPath: ".metadata.name" });
    expect(rule!.rule).toMatch(/^oldSelf\.hasValue\(\) \|\| /);
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
