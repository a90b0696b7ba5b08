import { describe, expect, it } from "vitest";
import { blockedRange, cidrContains, parseAddress, parseCidr } from "../../../src/artifacts/ip-ranges.js";

function blocked(ip: string): string | undefined {
  const parsed = parseAddress(ip);
  if (!parsed) throw new Error(`not an address: ${ip}`);
  return blockedRange(parsed);
}

describe("blockedRange", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["169.254.169.254", "link-local"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["0.0.0.0", "unspecified"],
    ["100.64.0.1", "carrier-grade NAT"],
    ["100.127.255.255", "carrier-grade NAT"],
    ["224.0.0.1", "multicast"],
    ["255.255.255.255", "reserved"],
    ["::1", "loopback"],
    ["::", "unspecified"],
    ["fe80::1", "link-local"],
    ["febf::1", "link-local"],
    ["fc00::1", "private"],
    ["fd00:ec2::254", "private"],
    ["ff02::1", "multicast"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:169.254.169.254", "link-local"],
    ["::ffff:a9fe:a9fe", "link-local"],
    ["::ffff:10.0.0.1", "private"],
    ["64:ff9b::a9fe:a9fe", "link-local"],
    ["::127.0.0.1", "loopback"],
    ["fe80::1%eth0", "link-local"],
    // Issue 13: the 6to4 form of 127.0.0.1 reached the emulator; Teredo and local-use NAT64 likewise.
    ["2002:7f00:1::", "6to4"],
    ["2002:a9fe:a9fe::1", "6to4"],
    ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"],
    ["64:ff9b:1::a9fe:a9fe", "NAT64"],
    ["::ffff:0:7f00:1", "SIIT"],
    ["192.0.0.9", "reserved"],
    ["198.18.0.1", "reserved"],
    ["2001:db8::1", "reserved"],
    ["2001:2::1", "benchmarking"],
    ["100::1", "discard"],
    ["fec0::1", "site-local"],
    ["[::1]", "loopback"],
  ])("%s is %s", (ip, why) => {
    expect(blocked(ip)).toContain(why);
  });

  it.each([
    "8.8.8.8",
    "1.1.1.1",
    "172.15.255.255",
    "172.32.0.0",
    "100.63.255.255",
    "100.128.0.0",
    "169.253.255.255",
    "52.95.110.1",
    "2600:1f18::1",
    "2a00:1450:4001::200e",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
  ])("%s is public", (ip) => {
    expect(blocked(ip)).toBeUndefined();
  });
});

describe("parseAddress", () => {
  it("parses IPv4 and IPv6 to the same value for mapped forms", () => {
    expect(parseAddress("::ffff:127.0.0.1")?.toNormalizedString()).toBe(
      parseAddress("::ffff:7f00:1")?.toNormalizedString(),
    );
    expect(parseAddress("1.2.3.4")?.toByteArray()).toEqual([1, 2, 3, 4]);
    expect(parseAddress("2001:db8::1")?.toNormalizedString()).toBe("2001:db8:0:0:0:0:0:1");
  });
  it("rejects host names and garbage", () => {
    expect(parseAddress("example.com")).toBeUndefined();
    expect(parseAddress("1.2.3")).toBeUndefined();
    expect(parseAddress("1.2.3.256")).toBeUndefined();
  });
});

describe("parseCidr / cidrContains", () => {
  it("matches inside and not outside the range", () => {
    const c = parseCidr("10.20.0.0/16")!;
    expect(cidrContains(c, parseAddress("10.20.255.1")!)).toBe(true);
    expect(cidrContains(c, parseAddress("10.21.0.1")!)).toBe(false);
  });
  it("ignores host bits and accepts a bare address as /32 or /128", () => {
    expect(cidrContains(parseCidr("10.20.30.40/16")!, parseAddress("10.20.0.1")!)).toBe(true);
    expect(parseCidr("127.0.0.1")?.prefix).toBe(32);
    expect(parseCidr("::1")?.prefix).toBe(128);
  });
  it("handles /0 and IPv6 prefixes", () => {
    expect(cidrContains(parseCidr("0.0.0.0/0")!, parseAddress("203.0.113.9")!)).toBe(true);
    expect(cidrContains(parseCidr("fd00::/8")!, parseAddress("fd12:3456::1")!)).toBe(true);
    expect(cidrContains(parseCidr("fd00::/8")!, parseAddress("fe80::1")!)).toBe(false);
  });
  it("never matches across families", () => {
    expect(cidrContains(parseCidr("0.0.0.0/0")!, parseAddress("::1")!)).toBe(false);
  });
  it.each(["10.0.0.0/33", "::/129", "10.0.0.0/8/1", "10.0.0.0/x", "example.com/8", "", "10.0.0.0/-1"])(
    "rejects %j",
    (text) => {
      expect(parseCidr(text)).toBeUndefined();
    },
  );
});
