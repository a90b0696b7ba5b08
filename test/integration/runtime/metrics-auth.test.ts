// /metrics behind TokenReview + SubjectAccessReview on the real kube-apiserver: an unauthenticated
// scrape is refused (401), a service account without the /metrics rule is forbidden (403), one bound to
// it is served; the probes stay anonymous on their own port.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../../src/localstack/processes.js";
import { Harness } from "../operator/harness.js";

const h = new Harness();
let metricsUrl = "";
let probeUrl = "";

beforeAll(async () => {
  await h.setUp();
  const op = await h.startOperator({ probePort: 0, metricsAuth: true });
  metricsUrl = `http://127.0.0.1:${op.port}/metrics`;
  probeUrl = `http://127.0.0.1:${op.probePort}`;
});
afterAll(() => h.tearDown());

const scrape = (token?: string) =>
  fetch(metricsUrl, token ? { headers: { authorization: `Bearer ${token}` } } : {}).then((r) => r.status);

async function serviceAccountToken(name: string): Promise<string> {
  await h.kubectlOk(["create", "serviceaccount", name, "-n", h.namespace]);
  return (await h.kubectlOk(["create", "token", name, "-n", h.namespace])).trim();
}

describe("metrics authentication", () => {
  it("refuses an unauthenticated scrape and a forbidden one, serves an authorized one", async () => {
    expect(await scrape()).toBe(401);
    expect(await scrape("not-a-token")).toBe(401);

    const reader = `${h.namespace}-metrics-reader`;
    await h.kubectlOk(["create", "clusterrole", reader, "--verb=get", "--non-resource-url=/metrics"]);
    await h.kubectlOk([
      "create",
      "clusterrolebinding",
      reader,
      `--clusterrole=${reader}`,
      `--serviceaccount=${h.namespace}:prometheus`,
    ]);
    const allowed = await serviceAccountToken("prometheus");
    const other = await serviceAccountToken("someone-else");
    expect(await scrape(other)).toBe(403);
    const res = await fetch(metricsUrl, { headers: { authorization: `Bearer ${allowed}` } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("controller_runtime_reconcile_total");
  });

  it("keeps the probes anonymous on their own port, and /metrics off it", async () => {
    await waitFor(async () => (await fetch(`${probeUrl}/readyz`)).status === 200, {
      timeoutMs: 10_000,
      description: "readyz",
    });
    expect((await fetch(`${probeUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${probeUrl}/metrics`)).status).toBe(404);
    expect((await fetch(metricsUrl.replace("/metrics", "/healthz"))).status).toBe(404);
  });
});
