import type { AssumeRoleCommand } from "@aws-sdk/client-sts";
import { describe, expect, it } from "vitest";
import { assumedRoleCredentials } from "../../../src/aws/assume-role.js";

/** A fake STS that answers AssumeRole with numbered credentials expiring `lifetimeMs` from now. */
function fakeSts(lifetimeMs: number) {
  const requests: AssumeRoleCommand["input"][] = [];
  return {
    requests,
    async send(command: AssumeRoleCommand) {
      requests.push(command.input);
      return {
        Credentials: {
          AccessKeyId: `ASIA${requests.length}`,
          SecretAccessKey: "s",
          SessionToken: "t",
          Expiration: new Date(Date.now() + lifetimeMs),
        },
      };
    },
  };
}

describe("assumedRoleCredentials", () => {
  const role = "arn:aws:iam::111122223333:role/managed-flink-tenant-a";

  it("assumes the role once and reuses the session while it is fresh", async () => {
    const sts = fakeSts(3600_000);
    const provider = assumedRoleCredentials(role, "eu-west-1", sts as never);
    const [a, b] = await Promise.all([provider(), provider()]);
    expect(a.accessKeyId).toBe("ASIA1");
    expect(b).toBe(a);
    expect((await provider()).accessKeyId).toBe("ASIA1");
    expect(sts.requests).toEqual([
      { RoleArn: role, RoleSessionName: "managed-flink-operator", DurationSeconds: 3600 },
    ]);
  });

  it("assumes it again when the session is within five minutes of expiring", async () => {
    const sts = fakeSts(4 * 60_000);
    const provider = assumedRoleCredentials(role, "eu-west-1", sts as never);
    expect((await provider()).accessKeyId).toBe("ASIA1");
    expect((await provider()).accessKeyId).toBe("ASIA2");
  });

  it("fails clearly when STS returns no credentials, and tries again next time", async () => {
    let calls = 0;
    const sts = {
      async send() {
        calls++;
        return {};
      },
    };
    const provider = assumedRoleCredentials(role, "eu-west-1", sts as never);
    await expect(provider()).rejects.toThrow(`AssumeRole ${role} returned no credentials`);
    await expect(provider()).rejects.toThrow();
    expect(calls).toBe(2);
  });
});
