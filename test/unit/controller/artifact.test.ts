import { describe, expect, it } from "vitest";
import { codeToRun, sourceOf } from "../../../src/controller/artifact.js";

describe("artifact source in status", () => {
  it("never carries credentials, a query or a fragment", () => {
    const sha256 = "a".repeat(64);
    expect(
      sourceOf({ url: "https://user:secret@repo.example.com/a/job.jar?token=x#f", sha256, bucket: "b" }),
    ).toBe("https://repo.example.com/a/job.jar");
    expect(sourceOf({ url: "s3://team-a-jars/job.jar", sha256, bucket: "b" })).toBe(
      "s3://team-a-jars/job.jar",
    );
    expect(
      sourceOf({
        maven: { groupId: "g", artifactId: "a", version: "1", repository: "https://repo1.maven.org/maven2" },
        sha256,
        bucket: "b",
      }),
    ).toBe("g:a:1");
  });

  it("runs the recorded object only while digest, bucket and prefix still match the spec", () => {
    const artifact = { url: "https://repo.example.com/job.jar", sha256: "a".repeat(64), bucket: "jars" };
    const status = {
      artifact: { sha256: "a".repeat(64), bucket: "jars", key: "flink-applications/aaa.jar" },
    };
    expect(codeToRun({ artifact }, status)).toEqual({ bucket: "jars", key: "flink-applications/aaa.jar" });
    expect(codeToRun({ artifact: { ...artifact, sha256: "b".repeat(64) } }, status)).toEqual({
      upload: true,
    });
    expect(codeToRun({ artifact: { ...artifact, prefix: "other" } }, status)).toEqual({ upload: true });
  });
});
