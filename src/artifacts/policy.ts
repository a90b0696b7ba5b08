import type ipaddr from "ipaddr.js";
import { blockedRange, type Cidr, cidrContains, parseAddress, parseCidr } from "./ip-ranges.js";

/**
 * Operator-level exceptions to the SSRF guard (docs/adr/0007-artifacts-and-ssrf.md). Empty by default:
 * only https to publicly routable addresses is fetched.
 */
export interface ArtifactPolicy {
  /**
   * Host names (or IP literals) fetched without address checks, plain http included. `*.example.com`
   * matches subdomains. `host:port` allows that port; a bare host only the scheme's default port (443 for
   * https, 80 for http), so that allowing a repository does not open every service on its machine.
   */
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

/** `host`, `host:port` or `[v6]:port` → host and port (undefined: the scheme's default port). */
function splitHostPort(entry: string): { host: string; port?: number } | undefined {
  const m = /^(\[[^\]]+\]|[^:]+|[0-9a-f:]+)(?::(\d{1,5}))?$/i.exec(entry);
  if (!m) return undefined;
  const bracketed = m[1]!.startsWith("[");
  // A bare IPv6 literal (::1) has colons of its own and no port.
  if (!bracketed && m[1]!.includes(":")) return parseAddress(entry) ? { host: entry } : undefined;
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  return { host: m[1]!.replace(/^\[|\]$/g, ""), ...(port ? { port } : {}) };
}

/** Reads ARTIFACT_ALLOWED_HOSTS and ARTIFACT_ALLOWED_CIDRS (comma-separated); throws naming the variable on bad input. */
export function artifactPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): ArtifactPolicy {
  const allowedHosts = splitList(env.ARTIFACT_ALLOWED_HOSTS).map((h) => h.toLowerCase());
  for (const entry of allowedHosts) {
    const hp = splitHostPort(entry);
    if (!hp || (!hostnamePattern.test(hp.host) && !parseAddress(hp.host))) {
      throw new Error(
        `ARTIFACT_ALLOWED_HOSTS: "${entry}" is not a host name, *.domain wildcard or IP address with an optional :port (no scheme or path)`,
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

/** The port a URL connects to: its own, else the scheme's default. */
export function effectivePort(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === "http:" ? 80 : 443;
}

/**
 * Whether the URL's host and port are allowlisted. Host names are compared case-insensitively; IPv6
 * literals with or without brackets, by value.
 */
export function isHostAllowed(url: URL, policy: ArtifactPolicy): boolean {
  const host = url.hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "");
  const port = effectivePort(url);
  const defaultPort = url.protocol === "http:" ? 80 : 443;
  return policy.allowedHosts.some((raw) => {
    const hp = splitHostPort(raw.toLowerCase());
    if (!hp || (hp.port ?? defaultPort) !== port) return false;
    const e = hp.host;
    if (e.startsWith("*.")) return host.endsWith(e.slice(1));
    const a = parseAddress(e);
    const b = parseAddress(host);
    if (a && b) return a.kind() === b.kind() && a.toNormalizedString() === b.toNormalizedString();
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
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    const v4 = (parsed as ipaddr.IPv6).toIPv4Address();
    if (cidrs.some((c) => cidrContains(c, v4))) return { allowed: true };
  }
  return { allowed: false, why: `${address} is ${blocked}` };
}
