import ipaddr from "ipaddr.js";

/**
 * IP address classification for the SSRF guard, by ipaddr.js: a maintained library whose range tables
 * follow the IANA IPv4 and IPv6 Special-Purpose Address Registries
 * (https://www.iana.org/assignments/iana-ipv4-special-registry/, .../iana-ipv6-special-registry/),
 * 6to4 (2002::/16), Teredo (2001::/32), NAT64 (64:ff9b::/96, RFC 6052; 64:ff9b:1::/48, RFC 8215) and
 * SIIT (::ffff:0:0:0/96, RFC 6145) included. A hand-kept table missed 6to4, which let
 * `https://[2002:7f00:1::]` reach 127.0.0.1 (issue 13). Only what the library calls `unicast` is public.
 */
export type ParsedAddress = ipaddr.IPv4 | ipaddr.IPv6;

export interface Cidr {
  network: ParsedAddress;
  prefix: number;
}

export function parseAddress(input: string): ParsedAddress | undefined {
  // Zone ids (fe80::1%eth0) name an interface, not a different address.
  const ip = input.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  // isValidFourPartDecimal / isValid refuse the legacy forms (0x7f.1, 127.1) inet_aton would accept;
  // such names never come back from DNS, and the URL parser already normalises them in a host.
  if (ipaddr.IPv4.isValidFourPartDecimal(ip)) return ipaddr.IPv4.parse(ip);
  if (ipaddr.IPv6.isValid(ip)) return ipaddr.IPv6.parse(ip);
  return undefined;
}

export function parseCidr(input: string): Cidr | undefined {
  const text = input.trim();
  const [addr, prefixText, extra] = text.split("/");
  if (addr === undefined || extra !== undefined) return undefined;
  const parsed = parseAddress(addr);
  if (!parsed) return undefined;
  const bits = parsed.kind() === "ipv4" ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return undefined;
  return { network: parsed, prefix };
}

export function cidrContains(cidr: Cidr, address: ParsedAddress): boolean {
  if (cidr.network.kind() !== address.kind()) return false;
  return address.match([cidr.network, cidr.prefix] as [never, number]);
}

/** What each of the library's range names means, for the message that refuses an address. */
const rangeText: Record<string, string> = {
  unspecified: "unspecified",
  broadcast: "reserved (broadcast)",
  multicast: "multicast",
  linkLocal: "link-local (includes the instance metadata service)",
  loopback: "loopback",
  carrierGradeNat: "carrier-grade NAT",
  private: "private",
  reserved: "reserved (IANA special-purpose: documentation, benchmarking, protocol assignments, future use)",
  as112: "AS112 (special-purpose)",
  amt: "AMT relay anycast (special-purpose)",
  uniqueLocal: "private (unique local)",
  deprecatedSiteLocal: "site-local (deprecated, still routed privately)",
  discard: "discard-only",
  rfc6145: "SIIT IPv4-translated (RFC 6145)",
  rfc6052: "NAT64 (RFC 6052 / RFC 8215)",
  "6to4": "6to4 (2002::/16, which tunnels to an embedded IPv4 address)",
  teredo: "Teredo (2001::/32, which tunnels to an embedded IPv4 address)",
  benchmarking: "benchmarking",
  as112v6: "AS112 (special-purpose)",
  deprecatedOrchid: "ORCHID (special-purpose)",
  orchid2: "ORCHIDv2 (special-purpose)",
  droneRemoteIdProtocolEntityTags: "DRIP entity tags (special-purpose)",
  segmentRouting: "segment routing SIDs (special-purpose)",
};

/** The IPv4 address inside IPv4-mapped (::ffff:0:0/96), IPv4-compatible (::/96) and well-known NAT64 (64:ff9b::/96). */
function embeddedIPv4(a: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const p = a.parts;
  const low = (): ipaddr.IPv4 => new ipaddr.IPv4([p[6]! >> 8, p[6]! & 0xff, p[7]! >> 8, p[7]! & 0xff]);
  const zeros = (n: number) => p.slice(0, n).every((x) => x === 0);
  if (zeros(5) && p[5] === 0xffff) return low();
  // ::/96 minus :: and ::1 (those are unspecified and loopback in their own right).
  if (zeros(6) && (p[6] !== 0 || p[7]! > 1)) return low();
  if (p[0] === 0x64 && p[1] === 0xff9b && p.slice(2, 6).every((x) => x === 0)) return low();
  return undefined;
}

/**
 * Returns why an address is not publicly routable, or undefined when it is. An IPv6 form that carries an
 * IPv4 address a host or gateway connects to (mapped, compatible, well-known NAT64) is judged by that
 * address, so the NAT64 form of a public address stays public; the tunnelling forms (6to4, Teredo) and
 * local-use NAT64 are refused outright: no artifact repository is reached through them.
 */
export function blockedRange(address: ParsedAddress): string | undefined {
  if (address.kind() === "ipv6") {
    const inner = embeddedIPv4(address as ipaddr.IPv6);
    if (inner) {
      const why = blockedRange(inner);
      return why ? `${why} (IPv4 embedded in IPv6)` : undefined;
    }
  }
  const range = address.range();
  if (range === "unicast") return undefined;
  return rangeText[range] ?? `special-purpose (${range})`;
}
