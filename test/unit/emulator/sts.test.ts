import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CallLog } from "../../../src/emulator/calls.js";
import {
  accessKeyForRole,
  callerAccessKeyId,
  handleStsRequest,
  isStsRequest,
} from "../../../src/emulator/sts.js";

// The emulator's STS, driven by the unmodified SDK client, as the operator drives it.
const calls = new CallLog();
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      if (!isStsRequest(req, body)) {
        res.writeHead(404).end();
        return;
      }
      const caller = callerAccessKeyId(req);
      handleStsRequest(res, body, {
        calls,
        clock: { now: () => Date.parse("2026-11-29T12:00:00Z") } as never,
        accountId: "123456789012",
        ...(caller ? { callerAccessKeyId: caller } : {}),
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const sts = () =>
  new STSClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "OPERATORKEY", secretAccessKey: "x" },
  });

describe("emulated STS AssumeRole", () => {
  it("issues the role's access key and records who asked, never a secret", async () => {
    const role = "arn:aws:iam::123456789012:role/tenant-a";
    const out = await sts().send(
      new AssumeRoleCommand({ RoleArn: role, RoleSessionName: "managed-flink-operator" }),
    );
    expect(out.Credentials?.AccessKeyId).toBe(accessKeyForRole(role));
    expect(out.Credentials?.Expiration?.toISOString()).toBe("2026-11-29T13:00:00.000Z");
    expect(out.AssumedRoleUser?.Arn).toBe(
      "arn:aws:sts::123456789012:assumed-role/tenant-a/managed-flink-operator",
    );
    const recorded = calls.list().at(-1)!;
    expect(recorded).toMatchObject({
      operation: "sts:AssumeRole",
      input: { RoleArn: role },
      accessKeyId: "OPERATORKEY",
    });
    expect(JSON.stringify(recorded)).not.toContain("Signature");
  });

  it("refuses a RoleArn that is not a role, as STS does (ValidationError)", async () => {
    await expect(
      sts().send(
        new AssumeRoleCommand({ RoleArn: "arn:aws:iam::123456789012:user/bob", RoleSessionName: "s1" }),
      ),
    ).rejects.toMatchObject({ name: "ValidationError" });
    expect(calls.list().at(-1)).toMatchObject({ error: "ValidationError" });
  });

  it("gives different roles different keys", () => {
    expect(accessKeyForRole("arn:aws:iam::1:role/a")).not.toBe(accessKeyForRole("arn:aws:iam::1:role/b"));
    expect(accessKeyForRole("arn:aws:iam::1:role/a")).toMatch(/^ASIA[0-9A-F]{16}$/);
  });
});
