// Credentials of a role the operator assumes for one tenant (a FlinkApplicationPolicy's assumeRoleARN),
// so that IAM itself bounds what that tenant's applications can do: the operator's own role needs only
// sts:AssumeRole on the tenants' roles, each tenant role trusts the operator's role
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html). ACK answers multi-account
// the same way, with a role per namespace (CARM).
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";

/** What an SDK client accepts as `credentials` (AwsCredentialIdentityProvider), without importing @smithy/types. */
export interface AwsCredentialIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}
export type AwsCredentialIdentityProvider = () => Promise<AwsCredentialIdentity>;

/** Renew this long before expiry, as the SDK's own providers do (5 minutes). */
const refreshBeforeMs = 5 * 60_000;
/** AssumeRole's default session length is one hour; ask for that explicitly. */
const sessionSeconds = 3600;

/**
 * A provider that assumes `roleArn` with the operator's default credential chain and caches the session
 * until shortly before it expires. The SDK reads AWS_ENDPOINT_URL_STS itself (the emulator in tests).
 */
export function assumedRoleCredentials(
  roleArn: string,
  region: string,
  sts: Pick<STSClient, "send"> = new STSClient({ region }),
): AwsCredentialIdentityProvider {
  let cached: AwsCredentialIdentity | undefined;
  let pending: Promise<AwsCredentialIdentity> | undefined;
  const fresh = () =>
    cached?.expiration && cached.expiration.getTime() - refreshBeforeMs > Date.now() ? cached : undefined;
  return async () => {
    const c = fresh();
    if (c) return c;
    pending ??= assume(sts, roleArn).finally(() => {
      pending = undefined;
    });
    cached = await pending;
    return cached;
  };
}

async function assume(sts: Pick<STSClient, "send">, roleArn: string): Promise<AwsCredentialIdentity> {
  const out = await sts.send(
    new AssumeRoleCommand({
      RoleArn: roleArn,
      // Shows up in CloudTrail as the session name: which operator acted for the tenant.
      RoleSessionName: "managed-flink-operator",
      DurationSeconds: sessionSeconds,
    }),
  );
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error(`AssumeRole ${roleArn} returned no credentials`);
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
    expiration: c.Expiration,
  };
}

/**
 * One provider per role and region, shared by the Managed Flink and S3 clients of a namespace, so a role
 * is assumed once per session rather than once per client.
 */
export class AssumedRoles {
  private readonly providers = new Map<string, AwsCredentialIdentityProvider>();

  credentials(roleArn: string, region: string): AwsCredentialIdentityProvider {
    const key = `${region}|${roleArn}`;
    let p = this.providers.get(key);
    if (!p) {
      p = assumedRoleCredentials(roleArn, region);
      this.providers.set(key, p);
    }
    return p;
  }
}
