// Authentication and authorization of /metrics, as kubebuilder scaffolds it with controller-runtime's
// filters.WithAuthenticationAndAuthorization: the scraper's bearer token is checked with a TokenReview
// (https://kubernetes.io/docs/reference/kubernetes-api/authentication-resources/token-review-v1/), then
// the user it names must be allowed `get` on the non-resource URL /metrics by a SubjectAccessReview
// (https://kubernetes.io/docs/reference/kubernetes-api/authorization-resources/subject-access-review-v1/),
// which RBAC grants with a ClusterRole rule `nonResourceURLs: ["/metrics"], verbs: ["get"]`.
import { createHash } from "node:crypto";
import type { KubeTransport } from "./transport.js";

/** 200 to serve, 401 without a valid token, 403 when the token's user may not read /metrics. */
export type MetricsAuthorizer = (authorization: string | undefined) => Promise<200 | 401 | 403>;

interface TokenReview {
  status?: {
    authenticated?: boolean;
    user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  };
}

/**
 * Decisions are cached for `ttlMs` per token (by its sha256), so a scrape every 15-30 s costs two API
 * calls per minute at most; controller-runtime's delegating authenticator and authorizer cache likewise.
 */
export function kubeMetricsAuthorizer(
  transport: KubeTransport,
  ttlMs = 60_000,
  now = Date.now,
): MetricsAuthorizer {
  const cache = new Map<string, { decision: 200 | 401 | 403; until: number }>();
  return async (authorization) => {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1];
    if (!token) return 401;
    const key = createHash("sha256").update(token).digest("hex");
    const hit = cache.get(key);
    if (hit && hit.until > now()) return hit.decision;
    const decision = await decide(transport, token);
    if (cache.size > 1000) cache.clear();
    cache.set(key, { decision, until: now() + ttlMs });
    return decision;
  };
}

async function decide(transport: KubeTransport, token: string): Promise<200 | 401 | 403> {
  const review = await transport.request<TokenReview>("POST", "/apis/authentication.k8s.io/v1/tokenreviews", {
    body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token } },
  });
  const user = review.status?.user;
  if (!review.status?.authenticated || !user?.username) return 401;
  const access = await transport.request<{ status?: { allowed?: boolean } }>(
    "POST",
    "/apis/authorization.k8s.io/v1/subjectaccessreviews",
    {
      body: {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SubjectAccessReview",
        spec: {
          user: user.username,
          uid: user.uid,
          groups: user.groups,
          extra: user.extra,
          nonResourceAttributes: { path: "/metrics", verb: "get" },
        },
      },
    },
  );
  return access.status?.allowed ? 200 : 403;
}
