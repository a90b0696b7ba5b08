// CEL rules for the AWS naming and length rules that the OpenAPI keywords cannot state, so that the
// API server refuses at admission what AWS would refuse later (and the controller would retry forever).
//
// CEL cost: the API server estimates every rule's cost from the schema's maxLength / maxItems /
// maxProperties bounds and refuses a CRD whose rules could cost too much ("Kubernetes CEL: resource
// constraints", https://kubernetes.io/docs/reference/using-api/cel/#resource-constraints). Every string a
// rule below reads has a maxLength, and every map a maxProperties, for that reason.
import type { Validation } from "./schema-dsl.js";

/**
 * Length in UTF-16 code units. AWS does not document the unit of its length constraints; the services
 * are written in Java, whose String.length() counts UTF-16 units, and the emulator validates that way
 * (src/emulator/validation.ts). CEL's size() and the OpenAPI maxLength count code points, so a code point
 * above U+FFFF is counted twice here: of the two readings, the stricter.
 */
// "Above U+FFFF" as a negated class, shorter than the range: the API server prices a regex by its length.
export const utf16Length = (e: string) => `(size(${e}) + size(${e}.findAll(r'[^\\x00-\\x{FFFF}]')))`;

/**
 * Length in UTF-8 bytes, the unit of S3's object key limit ("Naming Amazon S3 objects": a key's UTF-8
 * encoding is at most 1,024 bytes, https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html).
 */
export const utf8Length = (e: string) => `size(bytes(${e}))`;

/**
 * S3 general purpose bucket naming rules ("General purpose bucket naming rules",
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html): 3-63 characters of
 * a-z 0-9 . -, beginning and ending with a letter or digit, no two adjacent periods, not formatted as an
 * IP address, and none of the reserved prefixes and suffixes below. A period next to a hyphen is refused
 * too, as the older statement of the rules did (a bucket name is a series of DNS labels that each begin
 * and end with a letter or digit; "cannot … use dashes adjacent to periods" in the CloudTrail guide's
 * copy, https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-s3-bucket-naming-requirements.html),
 * since such a name is no valid host name in a virtual-hosted-style URL either.
 */
export const bucketNamePattern = "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$";
export const reservedBucketPrefixes = ["xn--", "sthree-", "amzn-s3-demo-"];
export const reservedBucketSuffixes = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

/**
 * The bucket rules the pattern cannot express, as CEL over the string expression `e`. `unless` skips
 * them (for a URL that is not an s3:// URL, or does not parse as one: another rule reports that).
 */
export function bucketNameRules(e: string, what: string, unless?: string): Validation[] {
  const rule = (cond: string, message: string): Validation => ({
    rule: unless ? `(${unless}) || (${cond})` : cond,
    message: `${what} ${message}`,
  });
  const list = (xs: string[]) => xs.join(", ");
  return [
    rule(`!${e}.contains('..')`, "must not contain two adjacent periods (S3 bucket naming rules)"),
    rule(
      `!${e}.contains('.-') && !${e}.contains('-.')`,
      "must not have a period next to a hyphen: each dot-separated part must begin and end with a letter or digit (S3 bucket naming rules)",
    ),
    rule(
      `!${e}.matches('^[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+$')`,
      "must not be formatted as an IP address (S3 bucket naming rules)",
    ),
    rule(
      reservedBucketPrefixes.map((p) => `!${e}.startsWith('${p}')`).join(" && "),
      `must not start with ${list(reservedBucketPrefixes)}: S3 reserves these prefixes`,
    ),
    rule(
      reservedBucketSuffixes.map((s) => `!${e}.endsWith('${s}')`).join(" && "),
      `must not end with ${list(reservedBucketSuffixes)}: S3 reserves these suffixes for access point, Multi-Region Access Point, directory and table bucket names`,
    ),
  ];
}

// One %-escape of a byte, and the escapes of one well-formed UTF-8 sequence (RFC 3629, section 4):
// decodeURIComponent throws URIError on anything else, such as `%zz`, a truncated sequence, an overlong
// form or an encoded surrogate.
const hex = "[0-9a-fA-F]";
const tail = `%[89abAB]${hex}`;
const utf8Escape = [
  `%[0-7]${hex}`,
  `%(?:[cC][2-9a-fA-F]|[dD]${hex})${tail}`,
  `%[eE]0%[aAbB]${hex}${tail}`,
  `%[eE][1-9a-cA-CeEfF]${tail}${tail}`,
  `%[eE][dD]%[89]${hex}${tail}`,
  `%[fF]0%[9abAB]${hex}${tail}${tail}`,
  `%[fF][1-3]${tail}${tail}${tail}`,
  `%[fF]4%8${hex}${tail}${tail}`,
].join("|");

/**
 * `s3://<bucket>/<key>` as the operator reads it (src/artifacts/locations.ts: WHATWG URL parsing, then
 * decodeURIComponent of the path). The key is one or more characters other than `%`, `?`, `#`, space and
 * control characters, or %-escapes of well-formed UTF-8: a `?` or `#` would end the path, white space
 * and controls are stripped or refused by URL parsers, and a malformed escape makes decodeURIComponent
 * throw.
 */
export const s3UrlPattern = `^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/(?:[^%?#\\x00-\\x20\\x7F]|${utf8Escape})+$`;

/** A `.` or `..` path segment (also %-encoded), which URL parsing removes, changing the key. */
export const dotSegmentPattern = "/(?:[.]|%2[eE]){1,2}(?:/|$)";

// An http(s) URL that WHATWG URL parsing (new URL(), which the artifact resolver uses) cannot fail on:
// a DNS host name whose last label begins with a letter (a last label that looks like a number makes the
// parser read the host as an IPv4 address, and fail when it is not one), or a dotted-quad IPv4 address;
// a port up to 65535; no white space or control characters. IPv6 literals and punycode labels that do not
// decode are not worth a regular expression; IPv6 literals are refused, xn-- labels pass (and a bad one is
// reported as a terminal artifact error).
const label = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
const octet = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
const port = "(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])";
export const httpUrlPattern =
  `^https?://(?:[^@/?#\\\\\\x00-\\x20\\x7F]*@)?` +
  `(?:(?:${label}[.])*[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?[.]?|${octet}(?:[.]${octet}){3})` +
  `(?::${port})?(?:[/?#][^\\x00-\\x20\\x7F]*)?$`;
