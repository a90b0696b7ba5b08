// Just enough of AWS STS for the operator's per-namespace roles: AssumeRole over the AWS query protocol
// (form-encoded POST, XML answer; https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html).
// Credentials are not checked anywhere in the local stack; what matters is that the access key an
// assumed role issues is recognisably that role's, so a test can tell from the call log which identity
// made each call.
import { createHash, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { CallLog } from "./calls.js";
import type { Clock } from "./clock.js";

const roleArnPattern = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const sessionNamePattern = /^[\w+=,.@-]{2,64}$/;

/** The access key id AssumeRole issues for a role: ASIA (temporary credentials) + a digest of the ARN. */
export function accessKeyForRole(roleArn: string): string {
  return `ASIA${createHash("sha256").update(roleArn).digest("hex").slice(0, 16).toUpperCase()}`;
}

/** The SDK's STS client posts form-encoded bodies to `/`; the Managed Flink API uses X-Amz-Target. */
export function isStsRequest(req: IncomingMessage, body: string): boolean {
  return (
    req.method === "POST" &&
    !req.headers["x-amz-target"] &&
    String(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded") &&
    new URLSearchParams(body).has("Action")
  );
}

const xml = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

export function handleStsRequest(
  res: ServerResponse,
  body: string,
  deps: { calls: CallLog; clock: Clock; accountId: string; callerAccessKeyId?: string },
): void {
  const params = new URLSearchParams(body);
  const action = params.get("Action") ?? "";
  const input = { RoleArn: params.get("RoleArn"), RoleSessionName: params.get("RoleSessionName") };
  const at = new Date(deps.clock.now()).toISOString();
  const record = (error?: string) =>
    deps.calls.record({
      operation: `sts:${action}`,
      input,
      ...(error ? { error } : {}),
      at,
      ...(deps.callerAccessKeyId ? { accessKeyId: deps.callerAccessKeyId } : {}),
    });
  const requestId = randomUUID();
  const fail = (status: number, code: string, message: string) => {
    record(code);
    send(
      res,
      status,
      `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
    );
  };
  const invalid =
    action !== "AssumeRole"
      ? (["InvalidAction", `Could not find operation ${action}`] as const)
      : !input.RoleArn || !roleArnPattern.test(input.RoleArn)
        ? (["ValidationError", "RoleArn must be the ARN of an IAM role"] as const)
        : !input.RoleSessionName || !sessionNamePattern.test(input.RoleSessionName)
          ? (["ValidationError", "RoleSessionName must be 2-64 characters of [\\w+=,.@-]"] as const)
          : undefined;
  if (invalid || !input.RoleArn || !input.RoleSessionName) {
    fail(400, invalid?.[0] ?? "ValidationError", invalid?.[1] ?? "RoleArn and RoleSessionName are required");
    return;
  }
  record();
  const seconds = Number(params.get("DurationSeconds") ?? 3600);
  const expiration = new Date(deps.clock.now() + seconds * 1000).toISOString();
  const roleName = input.RoleArn.slice(input.RoleArn.lastIndexOf("/") + 1);
  send(
    res,
    200,
    `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>${accessKeyForRole(input.RoleArn)}</AccessKeyId><SecretAccessKey>emulated-secret</SecretAccessKey><SessionToken>emulated-session-${randomUUID()}</SessionToken><Expiration>${expiration}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROAEMULATED:${xml(input.RoleSessionName)}</AssumedRoleId><Arn>arn:aws:sts::${deps.accountId}:assumed-role/${xml(roleName)}/${xml(input.RoleSessionName)}</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
  );
}

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "content-type": "text/xml", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/**
 * The access key id a SigV4 request was signed with: `Authorization: AWS4-HMAC-SHA256
 * Credential=<AccessKeyId>/<date>/<region>/<service>/aws4_request, ...`
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-signing-elements.html). Only the key
 * id, which identifies the caller as CloudTrail does; the signature and secret are never recorded.
 */
export function callerAccessKeyId(req: IncomingMessage): string | undefined {
  const m = /Credential=([A-Za-z0-9_-]{1,128})\//.exec(String(req.headers.authorization ?? ""));
  return m?.[1];
}
