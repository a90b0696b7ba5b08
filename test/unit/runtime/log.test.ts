import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../../src/controller/runtime/log.js";

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
});
