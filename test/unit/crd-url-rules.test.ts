// The URL patterns in src/crds/aws-rules.ts stand in, at admission, for what the artifact resolver does
// with a URL (new URL(), decodeURIComponent()). The API server runs them with RE2; they use only syntax
// on which RE2 and JavaScript agree (classes of \x escapes, alternation, bounded repetition), so they are
// checked here against the resolver itself.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { artifactSource } from "../../src/artifacts/locations.js";
import { httpUrlPattern, s3UrlPattern } from "../../src/crds/aws-rules.js";

const s3Url = new RegExp(s3UrlPattern);
const httpUrl = new RegExp(httpUrlPattern);
const params = { seed: 14, numRuns: 20_000 };

const hex = fc.constantFrom(..."0123456789abcdefABCDEF".split(""));
const percentEscape = fc.tuple(hex, hex).map(([a, b]) => `%${a}${b}`);
// Escapes of bytes that begin or continue UTF-8 sequences, so that well-formed sequences come up often.
const utf8ish = fc
  .tuple(
    fc.constantFrom("C3", "E0", "ED", "EF", "F0", "F4", "F5", "C0"),
    fc.constantFrom("80", "A0", "BF", "9F", "8F"),
  )
  .map(([a, b]) => `%${a}%${b}`);
const keyPart = fc.oneof(
  fc.constantFrom(
    "a",
    "Z",
    "0",
    "/",
    ".",
    "-",
    "é",
    "\u{1D400}",
    "%",
    "?",
    "#",
    " ",
    "\t",
    "\u007F",
    "+",
    "\\",
  ),
  percentEscape,
  utf8ish,
  fc.constant("%80"),
);
const key = fc.array(keyPart, { maxLength: 8 }).map((p) => p.join(""));

describe("s3:// URL pattern", () => {
  it("accepts a key exactly when the resolver can decode it, and the resolver then reads that key", () => {
    fc.assert(
      fc.property(key, (k) => {
        const url = `s3://flink-apps/${k}`;
        let decoded: string | undefined;
        try {
          decoded = decodeURIComponent(k);
        } catch {}
        const plain =
          k.length > 0 && ![...k].some((c) => c <= " " || c === "\u007F" || c === "?" || c === "#");
        expect(s3Url.test(url)).toBe(plain && decoded !== undefined);
        if (s3Url.test(url) && !/\/(?:\.|%2e){1,2}(?:\/|$)/i.test(`/${k}`)) {
          expect(artifactSource({ url })).toEqual({ kind: "s3", bucket: "flink-apps", key: decoded });
        }
      }),
      params,
    );
  });
});

describe("http(s) URL pattern", () => {
  const label = fc.stringMatching(/^[A-Za-z0-9-]{1,8}$/);
  const host = fc.oneof(
    fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join(".")),
    fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 5 }).map((n) => n.join(".")),
    fc.constantFrom("[::1]", "xn--bcher-kva.example", "0x7f", "a..b", "h.example."),
  );
  const url = fc
    .tuple(
      fc.constantFrom("https://", "http://"),
      fc.constantFrom("", "user:pass@", "a\\b@"),
      host,
      fc.constantFrom("", ":", ":443", ":65535", ":65536", ":99999", ":0"),
      fc.constantFrom("", "/", "/a b", "/app.jar?x=1#f", "/%zz", "?q"),
    )
    .map((p) => p.join(""));

  it("accepts only URLs that new URL() parses, as an http(s) source", () => {
    fc.assert(
      fc.property(url, (u) => {
        if (!httpUrl.test(u)) return;
        expect(() => new URL(u)).not.toThrow();
        expect(artifactSource({ url: u }).kind).toBe("http");
      }),
      params,
    );
  });
});
