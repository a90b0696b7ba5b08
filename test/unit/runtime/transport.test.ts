// KubeTransport against a local HTTPS server that authenticates clients by certificate, as
// kube-apiserver does in the local stack: what the server sees is what counts (TLS connections, the
// client's identity), not what the client believes it did.
import { mkdtempSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { KubeClient } from "../../../src/controller/kube.js";
import {
  isConflict,
  isGone,
  isNotFound,
  KubeApiError,
  KubeTransport,
  type WatchEvent,
} from "../../../src/controller/runtime/transport.js";
import { generateControlPlaneCerts } from "../../../src/localstack/certs.js";

type Route = (req: IncomingMessage, res: ServerResponse, body: string) => void;

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};

let server: Server;
let kc: KubeConfig;
let route: Route;
const seen = { connections: 0, clients: new Set<string>(), requests: [] as string[] };
const transports: KubeTransport[] = [];

beforeAll(async () => {
  const certs = await generateControlPlaneCerts(mkdtempSync(join(tmpdir(), "mfo-transport-")));
  const { readFileSync } = await import("node:fs");
  server = createServer(
    {
      key: readFileSync(certs.serving.key),
      cert: readFileSync(certs.serving.cert),
      ca: readFileSync(certs.ca.cert),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const cn = (req.socket as TLSSocket).getPeerCertificate().subject?.CN;
        seen.clients.add(String(cn));
        seen.requests.push(`${req.method} ${req.url} ${req.headers["content-type"] ?? ""}`.trim());
        route(req, res, Buffer.concat(chunks).toString("utf8"));
      });
    },
  );
  server.on("secureConnection", () => seen.connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: "local",
        server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
        caFile: certs.ca.cert,
      },
    ],
    users: [{ name: "admin", certFile: certs.admin.cert, keyFile: certs.admin.key }],
    contexts: [{ name: "local", cluster: "local", user: "admin" }],
    currentContext: "local",
  });
});

afterEach(() => {
  for (const t of transports.splice(0)) t.close();
  server.closeAllConnections();
  seen.connections = 0;
  seen.clients.clear();
  seen.requests.length = 0;
});

afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
);

function transport(opts?: ConstructorParameters<typeof KubeTransport>[1]): KubeTransport {
  const t = new KubeTransport(kc, opts);
  transports.push(t);
  return t;
}

const app = (name: string) => ({
  apiVersion: "managedflink.dev/v1alpha1",
  kind: "FlinkApplication",
  metadata: { name, namespace: "ns", resourceVersion: "7" },
  spec: {},
});

describe("KubeTransport", () => {
  it("sends many writes over one TLS connection, authenticated with the kubeconfig's client certificate", async () => {
    route = (req, res, body) =>
      req.method === "POST" ? json(res, 201, JSON.parse(body)) : json(res, 200, app("a"));
    const t = transport();
    const kube = new KubeClient(t);
    for (let i = 0; i < 20; i++) {
      await kube.patchStatus("ns", "a", { observedGeneration: i } as never);
      await kube.setFinalizers(app("a") as never, ["managedflink.dev/finalizer"]);
      await kube.createEvent({ metadata: { namespace: "ns", name: `e${i}` } });
    }
    expect(seen.requests).toHaveLength(60);
    expect(seen.connections).toBe(1);
    expect(t.stats).toEqual({ requests: 60, connections: 1 });
    expect(seen.clients).toEqual(new Set(["admin"]));
    expect(seen.requests[0]).toBe(
      "PATCH /apis/managedflink.dev/v1alpha1/namespaces/ns/flinkapplications/a/status application/merge-patch+json",
    );
    expect(seen.requests[2]).toBe("POST /api/v1/namespaces/ns/events application/json");
  });

  it("runs watches on the same pool: a finished watch hands its connection to the next call", async () => {
    route = (req, res) => {
      if (!req.url?.includes("watch=true")) return json(res, 200, { items: [] });
      res.writeHead(200, { "content-type": "application/json" });
      for (const name of ["a", "b"]) res.write(`${JSON.stringify({ type: "ADDED", object: app(name) })}\n`);
      res.end(); // the API server ends a watch after timeoutSeconds
    };
    const t = transport();
    const events: WatchEvent[] = [];
    for (let i = 0; i < 5; i++) {
      await t.watch(
        "/apis/x/v1/things",
        { resourceVersion: "1" },
        (e) => events.push(e),
        new AbortController().signal,
      );
      await t.get("/apis/x/v1/things", {}, new AbortController().signal);
    }
    expect(events.map((e) => e.object.metadata?.name)).toEqual(Array(5).fill(["a", "b"]).flat());
    expect(seen.requests.filter((r) => r.includes("watch=true"))).toHaveLength(5);
    expect(seen.connections).toBe(1);
  });

  it("opens a second connection only while the first is busy with a watch", async () => {
    let endWatch: (() => void) | undefined;
    route = (req, res) => {
      if (!req.url?.includes("watch=true")) return json(res, 200, {});
      res.writeHead(200, { "content-type": "application/json" });
      res.write(`${JSON.stringify({ type: "BOOKMARK", object: { metadata: { resourceVersion: "9" } } })}\n`);
      endWatch = () => res.end();
    };
    const t = transport();
    let bookmarks = 0;
    const watch = t.watch("/w", {}, () => bookmarks++, new AbortController().signal);
    await expect.poll(() => bookmarks, { timeout: 5_000 }).toBe(1);
    for (let i = 0; i < 10; i++) await t.request("GET", "/api/v1/namespaces/ns/configmaps/x");
    expect(seen.connections).toBe(2);
    endWatch!();
    await watch;
    for (let i = 0; i < 10; i++) await t.request("GET", "/api/v1/namespaces/ns/configmaps/x");
    expect(seen.connections).toBe(2);
  });

  it("keeps a quiet watch open past the idle timeout, which only closes pooled connections", async () => {
    route = (req, res) => {
      if (!req.url?.includes("watch=true")) return json(res, 200, {});
      res.writeHead(200, { "content-type": "application/json" });
      res.write(""); // headers out, then silence longer than the client's idle timeout
      const later = setTimeout(() => {
        res.end(`${JSON.stringify({ type: "ADDED", object: app("late") })}\n`);
      }, 300);
      res.on("close", () => clearTimeout(later));
    };
    const t = transport({ idleSocketTimeoutMs: 50 });
    const events: WatchEvent[] = [];
    await t.watch("/w", {}, (e) => events.push(e), new AbortController().signal);
    expect(events.map((e) => e.object.metadata?.name)).toEqual(["late"]);
    expect(seen.connections).toBe(1);
  });

  it("closes a pooled connection after the idle timeout, and the next call opens a new one", async () => {
    let closed = false;
    route = (req, res) => {
      req.socket.once("close", () => {
        closed = true;
      });
      json(res, 200, {});
    };
    const t = transport({ idleSocketTimeoutMs: 50 });
    await t.request("GET", "/a");
    await expect.poll(() => closed, { timeout: 5_000 }).toBe(true);
    route = (_req, res) => json(res, 200, {});
    await t.request("GET", "/b");
    expect(seen.connections).toBe(2);
  });

  it("fails with one error type carrying the HTTP status and the Status reason", async () => {
    route = (req, res) => {
      if (req.url?.startsWith("/x/conflict"))
        return json(res, 409, {
          kind: "Status",
          reason: "Conflict",
          message: "the object has been modified",
        });
      if (req.url?.startsWith("/x/gone"))
        return json(res, 410, { kind: "Status", reason: "Expired", message: "too old" });
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("404 page not found");
    };
    const t = transport();
    const conflict = await t.request("PUT", "/x/conflict", { body: {} }).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(KubeApiError);
    expect(conflict).toMatchObject({ statusCode: 409, reason: "Conflict" });
    expect((conflict as Error).message).toBe("PUT /x/conflict: HTTP 409: the object has been modified");
    expect(isConflict(conflict)).toBe(true);
    const gone = await t
      .watch("/x/gone", {}, () => undefined, new AbortController().signal)
      .catch((e: unknown) => e);
    expect(gone).toMatchObject({ statusCode: 410, reason: "Expired" });
    expect(isGone(gone)).toBe(true);
    const missing = await t.request("GET", "/x/missing").catch((e: unknown) => e);
    expect(missing).toMatchObject({ statusCode: 404, reason: undefined });
    expect((missing as Error).message).toContain("404 page not found");
    expect(isNotFound(missing)).toBe(true);
    expect(isNotFound(new Error("404"))).toBe(false);
  });

  it("aborts a call that outlives its deadline, and the caller's signal", async () => {
    route = () => undefined; // never answers
    const t = transport({ timeoutMs: 100 });
    await expect(t.request("GET", "/hang")).rejects.toThrow(/timed out after 100 ms/);
    const caller = new AbortController();
    const pending = t.request("GET", "/hang", { timeoutMs: 0, signal: caller.signal });
    caller.abort(new Error("stopped"));
    await expect(pending).rejects.toThrow(/stopped/);
  });

  it("sends once more when the server closed the pooled connection it reused", async () => {
    let dropped = false;
    route = (req, res) => {
      if (req.url === "/drop-once" && !dropped) {
        dropped = true;
        req.socket.destroy(); // an idle connection the server gave up on just as we reused it
        return;
      }
      json(res, 200, { ok: true });
    };
    const t = transport();
    await t.request("GET", "/warm-up");
    await expect(t.request("GET", "/drop-once")).resolves.toEqual({ ok: true });
    expect(dropped).toBe(true);
    expect(seen.connections).toBe(2);
  });
});
