import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  contextLogger,
  createLogger,
  reconcileLogger,
  withLogger,
} from "../../../src/controller/runtime/log.js";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of chunk.toString().split("\n")) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { lines, stream };
}

describe("createLogger", () => {
  it("writes JSON with a level label and an ISO time", () => {
    const { lines, stream } = capture();
    createLogger("info", stream).info({ a: 1 }, "hello");
    expect(lines[0]).toMatchObject({ level: "info", msg: "hello", a: 1 });
    expect(String(lines[0]!.time)).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it("honours the level", () => {
    const { lines, stream } = capture();
    const log = createLogger("warn", stream);
    log.info("dropped");
    log.warn("kept");
    expect(lines.map((l) => l.msg)).toEqual(["kept"]);
  });

  it("redacts credentials at the top level and nested", () => {
    const { lines, stream } = capture();
    createLogger("info", stream).info(
      {
        authorization: "Bearer top",
        req: { headers: { authorization: "Bearer abc", "x-amz-security-token": "tok" }, url: "/x" },
        env: { AWS_SECRET_ACCESS_KEY: "s3cr3t", AWS_REGION: "eu-west-1" },
        creds: { accessKeyId: "AKIA", secretAccessKey: "sk-value-1", sessionToken: "session-value-1" },
        deep: { config: { secretAccessKey: "sk2", credentials: { x: 1 } } },
      },
      "request",
    );
    const text = JSON.stringify(lines[0]);
    for (const secret of [
      "Bearer top",
      "Bearer abc",
      "tok",
      "s3cr3t",
      "sk-value-1",
      "session-value-1",
      "sk2",
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(lines[0]).toMatchObject({
      authorization: "[REDACTED]",
      req: { headers: "[REDACTED]", url: "/x" },
      env: { AWS_SECRET_ACCESS_KEY: "[REDACTED]", AWS_REGION: "eu-west-1" },
      creds: { accessKeyId: "AKIA", secretAccessKey: "[REDACTED]", sessionToken: "[REDACTED]" },
      deep: { config: { secretAccessKey: "[REDACTED]", credentials: "[REDACTED]" } },
    });
  });

  it("reconcileLogger carries controller, namespace, name and a fresh reconcileID on every line", () => {
    const { lines, stream } = capture();
    const base = createLogger("debug", stream);
    const log = reconcileLogger(base, "flinkapplication", "team-a", "engagement-metrics");
    log.info("one");
    log.child({ step: "observe" }).debug("two");
    reconcileLogger(base, "flinkapplication", "team-a", "engagement-metrics").info("next reconcile");
    const fields = { controller: "flinkapplication", namespace: "team-a", name: "engagement-metrics" };
    for (const l of lines) expect(l).toMatchObject(fields);
    expect(lines[1]).toMatchObject({ step: "observe" });
    const ids = lines.map((l) => l.reconcileID);
    expect(ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ids[1]).toBe(ids[0]);
    expect(ids[2]).not.toBe(ids[0]);
  });

  it("withLogger makes a logger the context of everything the call awaits, and only of that", async () => {
    const { lines, stream } = capture();
    const log = reconcileLogger(createLogger("info", stream), "c", "ns", "n");
    expect(contextLogger()).toBeUndefined();
    await withLogger(log, async () => {
      await Promise.resolve();
      contextLogger()?.info("inside");
    });
    expect(contextLogger()).toBeUndefined();
    expect(lines).toEqual([expect.objectContaining({ msg: "inside", name: "n", namespace: "ns" })]);
  });
});
