import { isIP } from "node:net";

/**
 * IP address classification for the SSRF guard. Addresses are handled as bigints so IPv4 and IPv6
 * share one CIDR matcher; IPv4 lives in the low 32 bits of a 32-bit value, IPv6 in 128 bits.
 */
export interface ParsedAddress {
  family: 4 | 6;
  value: bigint;
}

export interface Cidr {
  family: 4 | 6;
  network: bigint;
  prefix: number;
}

export function parseAddress(input: string): ParsedAddress | undefined {
  // Zone ids (fe80::1%eth0) name an interface, not a different address.
  const ip = input.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const family = isIP(ip);
  if (family === 4) return { family: 4, value: parseIPv4(ip) };
  if (family === 6) return { family: 6, value: parseIPv6(ip) };
  return undefined;
}

function parseIPv4(ip: string): bigint {
  return ip.split(".").reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

function parseIPv6(ip: string): bigint {
  let text = ip.toLowerCase();
  // A trailing dotted quad (::ffff:127.0.0.1) stands for the last two groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = parseIPv4(dotted[1]!);
    text = `${text.slice(0, dotted.index)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const headGroups = head ? head.split(":") : [];
  const tailGroups = tail === undefined ? [] : tail ? tail.split(":") : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(tail === undefined ? 0 : missing).fill("0"), ...tailGroups];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

export function parseCidr(input: string): Cidr | undefined {
  const [addr, prefixText, extra] = input.trim().split("/");
  if (addr === undefined || extra !== undefined) return undefined;
  const parsed = parseAddress(addr);
  if (!parsed) return undefined;
  const bits = parsed.family === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return undefined;
  return { family: parsed.family, network: parsed.value & mask(prefix, bits), prefix };
}

function mask(prefix: number, bits: number): bigint {
  if (prefix === 0) return 0n;
  return ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
}

export function cidrContains(cidr: Cidr, address: ParsedAddress): boolean {
  if (cidr.family !== address.family) return false;
  const bits = cidr.family === 4 ? 32 : 128;
  return (address.value & mask(cidr.prefix, bits)) === cidr.network;
}

function cidr(text: string): Cidr {
  const c = parseCidr(text);
  if (!c) throw new Error(`bad built-in CIDR ${text}`);
  return c;
}

/**
 * Ranges an artifact URL must not reach unless allowlisted. Sources: IANA IPv4/IPv6 Special-Purpose
 * Address Registries (RFC 6890) and the EC2 instance metadata endpoints (169.254.169.254 and
 * fd00:ec2::254, both inside ranges below).
 */
const blockedIPv4: ReadonlyArray<[Cidr, string]> = [
  [cidr("0.0.0.0/8"), "unspecified"],
  [cidr("10.0.0.0/8"), "private"],
  [cidr("100.64.0.0/10"), "carrier-grade NAT"],
  [cidr("127.0.0.0/8"), "loopback"],
  [cidr("169.254.0.0/16"), "link-local (includes the instance metadata service)"],
  [cidr("172.16.0.0/12"), "private"],
  [cidr("192.0.0.0/24"), "IETF protocol assignments"],
  [cidr("192.0.2.0/24"), "documentation"],
  [cidr("192.168.0.0/16"), "private"],
  [cidr("198.18.0.0/15"), "benchmarking"],
  [cidr("198.51.100.0/24"), "documentation"],
  [cidr("203.0.113.0/24"), "documentation"],
  [cidr("224.0.0.0/4"), "multicast"],
  [cidr("240.0.0.0/4"), "reserved (includes broadcast)"],
];

const blockedIPv6: ReadonlyArray<[Cidr, string]> = [
  [cidr("::/128"), "unspecified"],
  [cidr("::1/128"), "loopback"],
  [cidr("fe80::/10"), "link-local"],
  [cidr("fec0::/10"), "site-local (deprecated, still routed privately)"],
  [cidr("fc00::/7"), "private (unique local)"],
  [cidr("ff00::/8"), "multicast"],
  [cidr("2001:db8::/32"), "documentation"],
  [cidr("100::/64"), "discard-only"],
];

/**
 * IPv6 forms that carry an IPv4 address a host may end up connecting to: IPv4-mapped (::ffff:0:0/96,
 * what dual-stack sockets use), IPv4-compatible (::/96, deprecated) and the NAT64 well-known prefix
 * (64:ff9b::/96, RFC 6052), which a NAT64 gateway translates to the embedded IPv4 address.
 */
const embeddingIPv4: readonly Cidr[] = [cidr("::ffff:0:0/96"), cidr("::/96"), cidr("64:ff9b::/96")];

/** Returns why an address is not publicly routable, or undefined when it is. */
export function blockedRange(address: ParsedAddress): string | undefined {
  if (address.family === 4) return blockedIPv4.find(([c]) => cidrContains(c, address))?.[1];
  const direct = blockedIPv6.find(([c]) => cidrContains(c, address))?.[1];
  if (direct) return direct;
  if (embeddingIPv4.some((c) => cidrContains(c, address))) {
    const inner = blockedRange({ family: 4, value: address.value & 0xffffffffn });
    return inner ? `${inner} (IPv4 embedded in IPv6)` : undefined;
  }
  return undefined;
}
