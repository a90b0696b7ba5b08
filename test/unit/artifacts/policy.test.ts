import { describe, expect, it } from "vitest";
import { artifactPolicyFromEnv, isHostAllowed, vetAddress } from "../../../src/artifacts/policy.js";

describe("artifactPolicyFromEnv", () => {
  it("defaults to an empty allowlist", () => {
    expect(artifactPolicyFromEnv({})).toEqual({ allowedHosts: [], allowedCidrs: [] });
  });
  it("splits comma lists, trims and lower-cases hosts", () => {
    expect(
      artifactPolicyFromEnv({
        ARTIFACT_ALLOWED_HOSTS: " Nexus.internal , *.corp.example.com,127.0.0.1,::1,",
        ARTIFACT_ALLOWED_CIDRS: "10.0.0.0/8, fd00::/8 ,127.0.0.1",
      }),
    ).toEqual({
      allowedHosts: ["nexus.internal", "*.corp.example.com", "127.0.0.1", "::1"],
      allowedCidrs: ["10.0.0.0/8", "fd00::/8", "127.0.0.1"],
    });
  });
  it("accepts host:port, [v6]:port and bare IPv6 literals", () => {
    expect(
      artifactPolicyFromEnv({
        ARTIFACT_ALLOWED_HOSTS: "nexus.internal:8443,[::1]:8080,::1,*.corp.example.com:444",
      }).allowedHosts,
    ).toEqual(["nexus.internal:8443", "[::1]:8080", "::1", "*.corp.example.com:444"]);
  });
  it.each([
    "https://nexus.internal",
    "nexus.internal:0",
    "nexus.internal:70000",
    "nexus/path",
    "a..b",
    "*",
    "-bad.example",
  ])("names ARTIFACT_ALLOWED_HOSTS for %j", (value) => {
    expect(() => artifactPolicyFromEnv({ ARTIFACT_ALLOWED_HOSTS: value })).toThrow(
      /^ARTIFACT_ALLOWED_HOSTS: /,
    );
  });
  it.each(["10.0.0.0/33", "10.0.0/8", "nexus.internal", "fd00::/200"])(
    "names ARTIFACT_ALLOWED_CIDRS for %j",
    (value) => {
      expect(() => artifactPolicyFromEnv({ ARTIFACT_ALLOWED_CIDRS: value })).toThrow(
        /^ARTIFACT_ALLOWED_CIDRS: /,
      );
    },
  );
});

const u = (host: string) => new URL(`https://${host}/a.jar`);

describe("isHostAllowed", () => {
  const policy = {
    allowedHosts: ["nexus.internal", "*.corp.example.com", "127.0.0.1", "::1"],
    allowedCidrs: [],
  };
  it("matches exact names case-insensitively and wildcard subdomains", () => {
    expect(isHostAllowed(u("NEXUS.internal"), policy)).toBe(true);
    expect(isHostAllowed(u("nexus.internal."), policy)).toBe(true);
    expect(isHostAllowed(u("repo.corp.example.com"), policy)).toBe(true);
    expect(isHostAllowed(u("a.b.corp.example.com"), policy)).toBe(true);
  });
  it("does not match the wildcard's apex, look-alikes or other hosts", () => {
    expect(isHostAllowed(u("corp.example.com"), policy)).toBe(false);
    expect(isHostAllowed(u("evilcorp.example.com"), policy)).toBe(false);
    expect(isHostAllowed(u("nexus.internal.evil.com"), policy)).toBe(false);
    expect(isHostAllowed(u("169.254.169.254"), policy)).toBe(false);
  });
  it("compares IP literals by value", () => {
    expect(isHostAllowed(u("[::1]"), policy)).toBe(true);
    expect(isHostAllowed(u("[0:0:0:0:0:0:0:1]"), policy)).toBe(true);
    expect(isHostAllowed(u("127.0.0.1"), policy)).toBe(true);
    expect(isHostAllowed(u("127.0.0.2"), policy)).toBe(false);
  });
  it("allows a bare host on the scheme's default port only, host:port on that port only (issue 13)", () => {
    expect(isHostAllowed(new URL("https://127.0.0.1:4566/_emulator/calls"), policy)).toBe(false);
    expect(isHostAllowed(new URL("https://nexus.internal:443/a.jar"), policy)).toBe(true);
    expect(isHostAllowed(new URL("http://nexus.internal/a.jar"), policy)).toBe(true);
    expect(isHostAllowed(new URL("http://nexus.internal:8080/a.jar"), policy)).toBe(false);
    const ported = { allowedHosts: ["nexus.internal:8443", "[::1]:9000"], allowedCidrs: [] };
    expect(isHostAllowed(new URL("https://nexus.internal:8443/a.jar"), ported)).toBe(true);
    expect(isHostAllowed(new URL("https://nexus.internal/a.jar"), ported)).toBe(false);
    expect(isHostAllowed(new URL("https://[::1]:9000/a.jar"), ported)).toBe(true);
    expect(isHostAllowed(new URL("https://[::1]:9001/a.jar"), ported)).toBe(false);
  });
});

describe("vetAddress", () => {
  const none = { allowedHosts: [], allowedCidrs: [] };
  it("allows public and refuses blocked addresses with a reason", () => {
    expect(vetAddress("93.184.216.34", none)).toEqual({ allowed: true });
    expect(vetAddress("169.254.169.254", none)).toEqual({
      allowed: false,
      why: "169.254.169.254 is link-local (includes the instance metadata service)",
    });
  });
  it("allows blocked addresses inside an allowed CIDR, IPv4-mapped forms included", () => {
    const policy = { allowedHosts: [], allowedCidrs: ["10.0.0.0/8", "127.0.0.1/32"] };
    expect(vetAddress("10.9.8.7", policy).allowed).toBe(true);
    expect(vetAddress("::ffff:10.9.8.7", policy).allowed).toBe(true);
    expect(vetAddress("127.0.0.1", policy).allowed).toBe(true);
    expect(vetAddress("127.0.0.2", policy).allowed).toBe(false);
    expect(vetAddress("169.254.169.254", policy).allowed).toBe(false);
  });
});
