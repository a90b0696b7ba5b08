import { promises as dns, type LookupAddress } from "node:dns";
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import type { Logger } from "pino";
import { ArtifactError, forbidden } from "./errors.js";
import { redactUrl } from "./locations.js";
import { type ArtifactPolicy, isHostAllowed, vetAddress } from "./policy.js";

export const maxRedirects = 5;

export interface HttpSourceOptions {
  policy: ArtifactPolicy;
  /** Applies to DNS, connecting, waiting for headers, and to any pause while the body streams. */
  timeoutMs: number;
  log?: Logger;
  /** Seen by tests: every address a connection was attempted to. */
  onConnect?: (address: string, url: URL) => void;
}

export interface HttpSource {
  body: IncomingMessage;
  /** The URL after redirects, redacted. */
  url: string;
  contentLength?: number;
}

/**
 * Decides whether `url` may be fetched and to which addresses a connection may go. Resolution happens
 * here, once, and the answer is pinned into the request's `lookup`: Node would otherwise resolve the name
 * again at connect time, and a DNS answer that changes between check and use (DNS rebinding) would slip
 * past the check.
 */
export async function vetUrl(url: URL, policy: ArtifactPolicy, timeoutMs: number): Promise<LookupAddress[]> {
  const shown = redactUrl(url);
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw forbidden(`${shown}: scheme ${url.protocol} is not allowed (https only)`);
  }
  const hostAllowed = isHostAllowed(url, policy);
  if (url.protocol === "http:" && !hostAllowed) {
    throw forbidden(`${shown}: plain http is refused unless the host and port are in ARTIFACT_ALLOWED_HOSTS`);
  }
  const hostname = url.hostname.replace(/^\[|\]$/g, "");
  const addresses = await resolve(hostname, timeoutMs, shown);
  if (hostAllowed) return addresses;
  for (const a of addresses) {
    const verdict = vetAddress(a.address, policy);
    // Every address is vetted, not just the first: the connection may try any of them.
    if (!verdict.allowed) {
      throw forbidden(
        `${shown}: ${url.hostname} resolves to ${verdict.why}; allow it with ARTIFACT_ALLOWED_HOSTS or ARTIFACT_ALLOWED_CIDRS`,
      );
    }
  }
  return addresses;
}

async function resolve(hostname: string, timeoutMs: number, shown: string): Promise<LookupAddress[]> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const addresses = await Promise.race([
      dns.lookup(hostname, { all: true, verbatim: true }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`DNS lookup timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    if (addresses.length === 0) throw new Error("no addresses");
    return addresses;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ENOTFOUND is not terminal: a name that does not resolve yet (new DNS record) may resolve later.
    throw new ArtifactError(
      "FetchFailed",
      `${shown}: cannot resolve ${hostname}: ${code ?? (err as Error).message}`,
      false,
      { cause: err },
    );
  } finally {
    clearTimeout(timer);
  }
}

/** A `lookup` that answers only with addresses already vetted, whatever DNS says now. */
export function pinnedLookup(
  addresses: LookupAddress[],
  onAnswer?: (answer: LookupAddress[]) => void,
): LookupFunction {
  return (_hostname, options, callback) => {
    const family = typeof options === "object" ? options.family : undefined;
    const wanted = family === 4 || family === 6 ? addresses.filter((a) => a.family === family) : addresses;
    const list = wanted.length > 0 ? wanted : addresses;
    onAnswer?.(options.all ? list : list.slice(0, 1));
    // Node's happy-eyeballs connect (autoSelectFamily) asks for all addresses; a plain connect for one.
    if (typeof options === "object" && options.all) {
      (callback as unknown as (err: null, list: LookupAddress[]) => void)(null, list);
    } else {
      callback(null, list[0]!.address, list[0]!.family);
    }
  };
}

const redirectStatuses = new Set([301, 302, 303, 307, 308]);

/**
 * Opens `start` for streaming, following redirects by hand so that each hop goes through `vetUrl`;
 * a redirect from an allowlisted host to 169.254.169.254 is refused like a direct request would be.
 */
export async function openHttpSource(start: URL, opts: HttpSourceOptions): Promise<HttpSource> {
  let url = start;
  for (let hop = 0; ; hop++) {
    const addresses = await vetUrl(url, opts.policy, opts.timeoutMs);
    const res = await request(url, addresses, opts);
    const status = res.statusCode ?? 0;
    const shown = redactUrl(url);
    if (redirectStatuses.has(status)) {
      res.resume();
      const location = res.headers.location;
      if (!location) throw new ArtifactError("FetchFailed", `${shown}: ${status} without a Location`, false);
      if (hop >= maxRedirects) throw forbidden(`${redactUrl(start)}: more than ${maxRedirects} redirects`);
      const next = new URL(location, url);
      // Credentials in the URL belong to the origin that was named, never to where it redirects.
      if (next.origin !== url.origin) {
        next.username = "";
        next.password = "";
      }
      opts.log?.debug({ from: shown, to: redactUrl(next), status }, "artifact redirect");
      url = next;
      continue;
    }
    if (status === 200) {
      const length = Number(res.headers["content-length"]);
      return { body: res, url: shown, contentLength: Number.isFinite(length) ? length : undefined };
    }
    res.resume();
    if (status === 404 || status === 410) {
      throw new ArtifactError("NotFound", `${shown}: ${status}, the artifact does not exist`, true);
    }
    // 401/403 are not terminal: a bucket policy or repository credential outside the spec can be fixed.
    throw new ArtifactError("FetchFailed", `${shown}: HTTP ${status}`, false);
  }
}

function request(url: URL, addresses: LookupAddress[], opts: HttpSourceOptions): Promise<IncomingMessage> {
  const shown = redactUrl(url);
  const client = url.protocol === "https:" ? https : http;
  // Node connects to IP literals without calling `lookup`; report them here so tests see every target.
  if (isIP(url.hostname.replace(/^\[|\]$/g, ""))) opts.onConnect?.(url.hostname.replace(/^\[|\]$/g, ""), url);
  return new Promise((resolvePromise, reject) => {
    const req = client.request(
      url,
      {
        method: "GET",
        lookup: pinnedLookup(addresses, (answer) => {
          for (const a of answer) opts.onConnect?.(a.address, url);
        }),
        // A fresh connection per request: a pooled socket could belong to an address vetted for another host.
        agent: false,
        timeout: opts.timeoutMs,
        headers: { "user-agent": "managed-flink-operator", accept: "*/*" },
        auth: url.username
          ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
          : undefined,
      },
      (res) => {
        // `timeout` above is socket inactivity, so it also bounds a body that stops flowing mid-stream.
        resolvePromise(res);
      },
    );
    req.on("timeout", () =>
      req.destroy(new ArtifactError("FetchFailed", `${shown}: no data for ${opts.timeoutMs} ms`, false)),
    );
    req.on("error", (err) => {
      reject(
        err instanceof ArtifactError
          ? err
          : new ArtifactError(
              "FetchFailed",
              `${shown}: ${(err as NodeJS.ErrnoException).code ?? err.message}`,
              false,
              {
                cause: err,
              },
            ),
      );
    });
    req.end();
  });
}
