// The light kubeconfig loader: what it handles itself (certificate or token users, a pod's service
// account) and what it leaves to client-node (exec plugins, auth providers, proxies).
import { mkdtempSync, writeFileSync } from "node:fs";
import type https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  fromKubeconfig,
  inCluster,
  StaticCredentials,
} from "../../../src/controller/runtime/kube-credentials.js";

const b64 = (s: string) => Buffer.from(s).toString("base64");
const kubeconfig = (user: Record<string, unknown>, cluster: Record<string, unknown> = {}) =>
  JSON.stringify({
    "current-context": "c",
    contexts: [{ name: "c", context: { cluster: "k", user: "u" } }],
    clusters: [{ name: "k", cluster: { server: "https://127.0.0.1:6443", ...cluster } }],
    users: [{ name: "u", user }],
  });

describe("fromKubeconfig", () => {
  it("reads a client certificate user with inline data", () => {
    const m = fromKubeconfig(
      kubeconfig(
        { "client-certificate-data": b64("CERT"), "client-key-data": b64("KEY") },
        { "certificate-authority-data": b64("CA") },
      ),
      "/x/config",
    );
    expect(m).toMatchObject({ server: "https://127.0.0.1:6443" });
    expect([m?.ca?.toString(), m?.cert?.toString(), m?.key?.toString()]).toEqual(["CA", "CERT", "KEY"]);
  });

  it("resolves file names relative to the kubeconfig", () => {
    const dir = mkdtempSync(join(tmpdir(), "kc-"));
    writeFileSync(join(dir, "ca.crt"), "CA-FILE");
    const m = fromKubeconfig(
      kubeconfig({ token: "t0" }, { "certificate-authority": "ca.crt" }),
      join(dir, "config"),
    );
    expect(m?.ca?.toString()).toBe("CA-FILE");
    expect(m?.token).toBe("t0");
  });

  it("leaves exec plugins, auth providers and proxies to client-node", () => {
    expect(fromKubeconfig(kubeconfig({ exec: { command: "aws" } }), "/x")).toBeUndefined();
    expect(fromKubeconfig(kubeconfig({ "auth-provider": { name: "oidc" } }), "/x")).toBeUndefined();
    expect(fromKubeconfig(kubeconfig({ token: "t" }, { "proxy-url": "http://proxy" }), "/x")).toBeUndefined();
    expect(fromKubeconfig(JSON.stringify({ "current-context": "none" }), "/x")).toBeUndefined();
  });
});

describe("service account credentials", () => {
  it("uses the pod's token and CA, and re-reads a rotated token after a minute", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sa-"));
    writeFileSync(join(dir, "token"), "first\n");
    writeFileSync(join(dir, "ca.crt"), "CA");
    const m = inCluster({ KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443" }, dir);
    expect(m?.server).toBe("https://10.0.0.1:443");
    let now = 0;
    const creds = new StaticCredentials(m!, () => now);
    const apply = async () => {
      const o: https.RequestOptions = {};
      await creds.applyToHTTPSOptions(o);
      return o;
    };
    expect((await apply()).headers).toEqual({ Authorization: "Bearer first" });
    expect((await apply()).ca?.toString()).toBe("CA");
    writeFileSync(join(dir, "token"), "second\n");
    now = 59_999;
    expect((await apply()).headers).toEqual({ Authorization: "Bearer first" });
    now = 60_000;
    expect((await apply()).headers).toEqual({ Authorization: "Bearer second" });
  });

  it("is not in a cluster without the service's environment", () => {
    expect(inCluster({}, "/nonexistent")).toBeUndefined();
  });
});
