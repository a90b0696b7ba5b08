import { blockedRange, type Cidr, cidrContains, parseAddress, parseCidr } from "./ip-ranges.js";

/**
 * Operator-level exceptions to the SSRF guard (docs/adr/0007-artifacts-and-ssrf.md). Empty by default:
 * only https to publicly routable addresses is fetched.
 */
export interface ArtifactPolicy {
  /** Host names (or IP literals) fetched without address checks, plain http included. `*.example.com` matches subdomains. */
  allowedHosts: string[];
  /** Address ranges that may be connected to although they are private, loopback, link-local, ... */
  allowedCidrs: string[];
}

const hostnamePattern =
  /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

function splitList(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Reads ARTIFACT_ALLOWED_HOSTS and ARTIFACT_ALLOWED_CIDRS (comma-separated); throws naming the variable on bad input. */
export function artifactPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): ArtifactPolicy {
  const allowedHosts = splitList(env.ARTIFACT_ALLOWED_HOSTS).map((h) => h.toLowerCase());
  for (const host of allowedHosts) {
    if (!hostnamePattern.test(host) && !parseAddress(host)) {
      throw new Error(
        `ARTIFACT_ALLOWED_HOSTS: "${host}" is not a host name, *.domain wildcard or IP address (no scheme, port or path)`,
      );
    }
  }
  const allowedCidrs = splitList(env.ARTIFACT_ALLOWED_CIDRS);
  for (const c of allowedCidrs) {
    if (!parseCidr(c)) {
      throw new Error(
        `ARTIFACT_ALLOWED_CIDRS: "${c}" is not an IPv4 or IPv6 CIDR such as 10.0.0.0/8 or fd00::/8`,
      );
    }
  }
  return { allowedHosts, allowedCidrs };
}

/** Host names are compared case-insensitively; IPv6 literals with or without brackets. */
export function isHostAllowed(hostname: string, policy: ArtifactPolicy): boolean {
  const host = hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "");
  return policy.allowedHosts.some((entry) => {
    const e = entry.toLowerCase().replace(/^\[|\]$/g, "");
    if (e.startsWith("*.")) return host.endsWith(e.slice(1));
    const a = parseAddress(e);
    const b = parseAddress(host);
    if (a && b) return a.family === b.family && a.value === b.value;
    return e === host;
  });
}

export type AddressVerdict = { allowed: true } | { allowed: false; why: string };

/** An address is allowed when it is publicly routable or inside one of the policy's CIDRs. */
export function vetAddress(address: string, policy: ArtifactPolicy): AddressVerdict {
  const parsed = parseAddress(address);
  if (!parsed) return { allowed: false, why: `${address} is not an IP address` };
  const blocked = blockedRange(parsed);
  if (!blocked) return { allowed: true };
  const cidrs = policy.allowedCidrs.map(parseCidr).filter((c): c is Cidr => c !== undefined);
  if (cidrs.some((c) => cidrContains(c, parsed))) return { allowed: true };
  // An IPv4-mapped address is allowed by a CIDR that names its IPv4 form.
  if (parsed.family === 6 && parsed.value >> 32n === 0xffffn) {
    const v4 = { family: 4 as const, value: parsed.value & 0xffffffffn };
    if (cidrs.some((c) => cidrContains(c, v4))) return { allowed: true };
  }
  return { allowed: false, why: `${address} is ${blocked}` };
}
