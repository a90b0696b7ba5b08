import { describe, expect, it } from "vitest";
import { ArtifactError } from "../../../src/artifacts/errors.js";
import {
  artifactExtension,
  artifactSource,
  contentKey,
  mavenUrl,
  redactUrl,
  validateSha256,
} from "../../../src/artifacts/locations.js";

const sha = "a".repeat(64);

describe("contentKey", () => {
  it("defaults the prefix to flink-applications", () => {
    expect(contentKey(undefined, sha, "jar")).toBe(`flink-applications/${sha}.jar`);
  });
  it.each([
    ["jobs", `jobs/${sha}.zip`],
    ["/jobs/", `jobs/${sha}.zip`],
    ["a//b///", `a/b/${sha}.zip`],
    ["", `${sha}.zip`],
    ["/", `${sha}.zip`],
  ])("prefix %j gives %s", (prefix, key) => {
    expect(contentKey(prefix, sha, "zip")).toBe(key);
  });
});

describe("artifactExtension", () => {
  it("prefers maven.extension, then the URL path, then jar", () => {
    expect(
      artifactExtension({
        maven: { repository: "https://r", groupId: "g", artifactId: "a", version: "1", extension: "zip" },
      }),
    ).toBe("zip");
    expect(
      artifactExtension({ maven: { repository: "https://r", groupId: "g", artifactId: "a", version: "1" } }),
    ).toBe("jar");
    expect(artifactExtension({ url: "https://h/p/app.ZIP?X-Amz-Signature=abc.jar" })).toBe("zip");
    expect(artifactExtension({ url: "s3://b/k/app.zip" })).toBe("zip");
    expect(artifactExtension({ url: "https://h/download?id=7" })).toBe("jar");
    expect(artifactExtension({ url: "https://h/app.tar.gz" })).toBe("jar");
  });
});

describe("mavenUrl", () => {
  it("lays out coordinates as a Maven repository path", () => {
    expect(
      mavenUrl({
        repository: "https://repo1.maven.org/maven2/",
        groupId: "org.apache.flink",
        artifactId: "flink-connector-kafka",
        version: "3.2.0-1.19",
      }).href,
    ).toBe(
      "https://repo1.maven.org/maven2/org/apache/flink/flink-connector-kafka/3.2.0-1.19/flink-connector-kafka-3.2.0-1.19.jar",
    );
  });
  it("adds the classifier and extension", () => {
    expect(
      mavenUrl({
        repository: "https://nexus.corp/repository/releases",
        groupId: "com.example",
        artifactId: "job",
        version: "1.0",
        classifier: "shaded",
        extension: "zip",
      }).href,
    ).toBe("https://nexus.corp/repository/releases/com/example/job/1.0/job-1.0-shaded.zip");
  });
  it.each([
    ["groupId", { groupId: "com/../../etc" }],
    ["artifactId", { artifactId: ".." }],
    ["version", { version: "1.0/../../x" }],
    ["classifier", { classifier: "a b" }],
  ])("refuses a %s that could leave the repository", (name, override) => {
    const err = (() => {
      try {
        mavenUrl({ repository: "https://r", groupId: "g", artifactId: "a", version: "1", ...override });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ArtifactError);
    expect(err).toMatchObject({ reason: "ForbiddenURL", terminal: true });
    expect((err as Error).message).toContain(name);
  });
});

describe("artifactSource", () => {
  it("parses s3:// URLs, decoding the key", () => {
    expect(artifactSource({ url: "s3://builds/jobs/app%201.jar" })).toEqual({
      kind: "s3",
      bucket: "builds",
      key: "jobs/app 1.jar",
    });
  });
  it("returns http(s) URLs and maven URLs", () => {
    expect(artifactSource({ url: "https://h/app.jar" })).toMatchObject({ kind: "http" });
    expect(
      artifactSource({
        maven: { repository: "https://r/m2", groupId: "g.h", artifactId: "a", version: "1" },
      }),
    ).toMatchObject({ kind: "http", url: new URL("https://r/m2/g/h/a/1/a-1.jar") });
  });
  it.each([
    [{}, /one of url and maven/],
    [
      {
        url: "https://h/a.jar",
        maven: { repository: "https://r", groupId: "g", artifactId: "a", version: "1" },
      },
      /not both/,
    ],
    [{ url: "file:///etc/passwd" }, /scheme file:/],
    [{ url: "ftp://h/a.jar" }, /scheme ftp:/],
    [{ url: "not a url" }, /is not a URL/],
    [{ url: "s3://bucket-only" }, /s3:\/\/bucket\/key/],
  ])("refuses %j", (artifact, message) => {
    expect(() => artifactSource(artifact)).toThrow(message);
  });
});

describe("redactUrl", () => {
  it("drops user info, query string and fragment", () => {
    expect(
      redactUrl(
        "https://user:secret@bucket.s3.amazonaws.com/app.jar?X-Amz-Credential=AKIA&X-Amz-Signature=abc#frag",
      ),
    ).toBe("https://bucket.s3.amazonaws.com/app.jar");
  });
  it("redacts unparsable strings too", () => {
    expect(redactUrl("//user:pw@host/x?sig=1")).toBe("//host/x");
  });
});

describe("validateSha256", () => {
  it("accepts lower-case hex and refuses anything else as terminal", () => {
    expect(() => validateSha256(sha)).not.toThrow();
    expect(() => validateSha256(sha.toUpperCase())).toThrow(ArtifactError);
    expect(() => validateSha256("abc")).toThrow(/64 lower-case hex/);
  });
});
