import type { CodeArtifact, MavenCoordinates } from "../crds/types.generated.js";
import { ArtifactError, forbidden } from "./errors.js";

export type ArtifactExtension = "jar" | "zip";

export const defaultPrefix = "flink-applications";

const sha256Pattern = /^[0-9a-f]{64}$/;

export function validateSha256(sha256: string): void {
  if (!sha256Pattern.test(sha256)) {
    throw new ArtifactError(
      "ChecksumMismatch",
      `spec.code.artifact.sha256 must be 64 lower-case hex digits, got "${sha256.slice(0, 80)}"`,
      true,
    );
  }
}

/** `<prefix>/<sha256>.<ext>`; slashes around the prefix are tolerated, an empty prefix puts the object at the root. */
export function contentKey(prefix: string | undefined, sha256: string, ext: ArtifactExtension): string {
  const p = (prefix ?? defaultPrefix).replace(/^\/+|\/+$/g, "").replace(/\/{2,}/g, "/");
  return p ? `${p}/${sha256}.${ext}` : `${sha256}.${ext}`;
}

export function artifactExtension(artifact: Pick<CodeArtifact, "url" | "maven">): ArtifactExtension {
  if (artifact.maven) return artifact.maven.extension ?? "jar";
  if (artifact.url) {
    let path: string;
    try {
      path = new URL(artifact.url).pathname;
    } catch {
      path = artifact.url;
    }
    const m = /\.(jar|zip)$/i.exec(path);
    if (m) return m[1]!.toLowerCase() as ArtifactExtension;
  }
  return "jar";
}

// Maven path segments come from the spec; refusing separators and dot-segments keeps them from walking
// out of the repository (`../../admin`).
const coordinatePattern = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/;

function coordinate(name: string, value: string): string {
  if (!coordinatePattern.test(value) || value.includes("..")) {
    throw forbidden(`maven ${name} "${value}" may only hold letters, digits and . _ + - (no "/" or "..")`);
  }
  return value;
}

/** `<repository>/<groupId as path>/<artifactId>/<version>/<artifactId>-<version>[-<classifier>].<extension>` */
export function mavenUrl(m: MavenCoordinates): URL {
  let repo: URL;
  try {
    repo = new URL(m.repository);
  } catch {
    throw forbidden(`maven repository "${redactUrl(m.repository)}" is not a URL`);
  }
  const group = coordinate("groupId", m.groupId).split(".");
  const artifactId = coordinate("artifactId", m.artifactId);
  const version = coordinate("version", m.version);
  const classifier = m.classifier ? `-${coordinate("classifier", m.classifier)}` : "";
  const file = `${artifactId}-${version}${classifier}.${m.extension ?? "jar"}`;
  const base = repo.pathname.replace(/\/+$/, "");
  repo.pathname = [base, ...group, artifactId, version, file].join("/");
  return repo;
}

export type ArtifactSource = { kind: "http"; url: URL } | { kind: "s3"; bucket: string; key: string };

/** Where to read the artifact from: exactly one of url and maven. */
export function artifactSource(artifact: Pick<CodeArtifact, "url" | "maven">): ArtifactSource {
  if (artifact.url && artifact.maven) throw forbidden("set exactly one of url and maven, not both");
  if (artifact.maven) return { kind: "http", url: mavenUrl(artifact.maven) };
  if (!artifact.url) throw forbidden("set one of url and maven");
  let url: URL;
  try {
    url = new URL(artifact.url);
  } catch {
    throw forbidden(`"${redactUrl(artifact.url)}" is not a URL`);
  }
  if (url.protocol === "s3:") {
    const key = decodeURIComponent(url.pathname.replace(/^\//, ""));
    if (!url.hostname || !key) throw forbidden(`"${redactUrl(artifact.url)}" is not s3://bucket/key`);
    return { kind: "s3", bucket: url.hostname, key };
  }
  if (url.protocol === "https:" || url.protocol === "http:") return { kind: "http", url };
  throw forbidden(`artifact URL scheme ${url.protocol} is not supported (https:// or s3://)`);
}

/**
 * A URL fit for logs and status messages: no user info, query string or fragment, since presigned URLs
 * carry credentials there (X-Amz-Signature, X-Amz-Credential, X-Amz-Security-Token).
 */
export function redactUrl(url: string | URL): string {
  try {
    const u = new URL(String(url));
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return String(url)
      .replace(/[?#].*$/, "")
      .replace(/\/\/[^/@]*@/, "//");
  }
}
