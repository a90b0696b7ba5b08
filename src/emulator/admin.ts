import type { IncomingMessage, ServerResponse } from "node:http";
import type { CallLog } from "./calls.js";
import { ServiceError } from "./errors.js";
import type { FaultInjector, FaultRule } from "./faults.js";
import { JOB_HEALTH, type JobHealth } from "./job-health.js";
import type { ApplicationStatus, Timings } from "./lifecycle.js";
import { type MetricsPublisher, MIN_INTERVAL_MS } from "./metrics-publisher.js";
import type { ManagedFlinkService } from "./service.js";

export interface AdminDeps {
  service: ManagedFlinkService;
  calls: CallLog;
  faults: FaultInjector;
  metrics: MetricsPublisher;
}

const STATUSES: ApplicationStatus[] = [
  "DELETING",
  "STARTING",
  "STOPPING",
  "READY",
  "RUNNING",
  "UPDATING",
  "AUTOSCALING",
  "FORCE_STOPPING",
  "ROLLING_BACK",
  "MAINTENANCE",
  "ROLLED_BACK",
];

class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The emulator's own API under `/_emulator/` (docs/emulator.md has the reference). Plain JSON, no AWS framing. */
export async function handleAdminRequest(
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
  deps: AdminDeps,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://emulator");
  const path = url.pathname.replace(/\/+$/, "");
  const method = req.method ?? "GET";
  try {
    const result = await route(method, path, body, deps, url.searchParams);
    reply(res, 200, result ?? { ok: true });
  } catch (err) {
    if (err instanceof AdminError) reply(res, err.status, { error: err.message });
    else if (err instanceof ServiceError)
      reply(res, err.type === "ResourceNotFoundException" ? 404 : 409, {
        error: err.message,
        type: err.type,
      });
    else reply(res, 400, { error: (err as Error).message });
  }
}

async function route(
  method: string,
  path: string,
  body: string,
  deps: AdminDeps,
  query: URLSearchParams,
): Promise<unknown> {
  const { service, calls, faults } = deps;
  if (path === "/_emulator/calls" && method === "GET") return calls.list(afterOf(query));
  if (path === "/_emulator/calls" && method === "DELETE") return calls.clear();
  if (path === "/_emulator/reset" && method === "POST") {
    await service.reset();
    calls.clear();
    faults.clear();
    return undefined;
  }
  if (path === "/_emulator/config" && method === "GET") return config(deps);
  if (path === "/_emulator/config" && method === "PUT") {
    const patch = json(body) as {
      timings?: Partial<Timings>;
      snapshotCap?: number;
      applicationCap?: number;
      describe?: string;
      metricsIntervalMs?: number;
    };
    if (patch.metricsIntervalMs !== undefined) setMetricsInterval(deps, patch.metricsIntervalMs);
    if (patch.describe !== undefined) {
      if (patch.describe !== "complete" && patch.describe !== "sparse")
        throw new AdminError(400, "describe must be complete or sparse");
      service.settings.describe = patch.describe;
    }
    for (const [k, v] of Object.entries(patch.timings ?? {})) {
      if (!(k in service.settings.timings)) throw new AdminError(400, `unknown timing ${k}`);
      if (typeof v !== "number" || v < 0) throw new AdminError(400, `${k} must be a number >= 0`);
      service.settings.timings[k as keyof Timings] = v;
    }
    for (const k of ["snapshotCap", "applicationCap"] as const) {
      const v = patch[k];
      if (v === undefined) continue;
      if (!Number.isInteger(v) || v < 0) throw new AdminError(400, `${k} must be an integer >= 0`);
      service.settings[k] = v;
    }
    return config(deps);
  }
  if (path === "/_emulator/metrics/publish" && method === "POST") {
    return { published: await deps.metrics.publishOnce() };
  }
  const job = /^\/_emulator\/applications\/([^/]+)\/job$/.exec(path);
  if (job && method === "GET") return service.jobHealth(decodeURIComponent(job[1]!));
  if (job && method === "PUT") {
    const { health, version } = jobHealthInput(json(body));
    return service.setJobHealth(decodeURIComponent(job[1]!), health, version);
  }
  if (path === "/_emulator/faults" && method === "GET") return faults.list();
  if (path === "/_emulator/faults" && method === "POST") return faults.add(json(body) as FaultRule);
  if (path === "/_emulator/faults" && method === "DELETE") return faults.clear();
  const m = /^\/_emulator\/applications\/([^/]+)\/([a-z-]+)$/.exec(path);
  if (m && method === "POST") {
    const name = decodeURIComponent(m[1]!);
    const payload = body.trim() ? (json(body) as Record<string, unknown>) : {};
    const reason = typeof payload.reason === "string" ? payload.reason : undefined;
    switch (m[2]) {
      case "fail-next-start":
        return service.failNextStart(name, reason);
      case "fail-next-update":
        return service.failNextUpdate(name, reason);
      case "force-status": {
        const status = payload.status as ApplicationStatus;
        if (!STATUSES.includes(status))
          throw new AdminError(400, `status must be one of ${STATUSES.join(", ")}`);
        return service.forceStatus(name, status);
      }
      case "autoscale": {
        const p = payload.parallelism;
        if (!Number.isInteger(p) || (p as number) < 1)
          throw new AdminError(400, "parallelism must be an integer >= 1");
        return service.autoscale(name, p as number);
      }
    }
  }
  throw new AdminError(404, `no admin route ${method} ${path}`);
}

function config(deps: AdminDeps): unknown {
  return {
    ...deps.service.settings,
    metricsIntervalMs: deps.metrics.intervalMs,
  };
}

function setMetricsInterval(deps: AdminDeps, ms: unknown): void {
  if (!Number.isInteger(ms) || (ms as number) < MIN_INTERVAL_MS)
    throw new AdminError(400, `metricsIntervalMs must be an integer >= ${MIN_INTERVAL_MS}`);
  deps.metrics.intervalMs = ms as number;
}

/** `{"health": …, "version"?: …}`: a clear 400 naming the field and what it may be. */
function jobHealthInput(body: unknown): { health: JobHealth; version?: number } {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new AdminError(400, "body must be a JSON object with health and optionally version");
  const { health, version } = body as Record<string, unknown>;
  if (!JOB_HEALTH.includes(health as JobHealth))
    throw new AdminError(
      400,
      `health must be one of ${JOB_HEALTH.join(", ")}; got ${JSON.stringify(health)}`,
    );
  if (version !== undefined && (!Number.isInteger(version) || (version as number) < 1))
    throw new AdminError(
      400,
      `version must be an ApplicationVersionId (an integer >= 1); got ${JSON.stringify(version)}`,
    );
  return { health: health as JobHealth, ...(version !== undefined ? { version: version as number } : {}) };
}

/** `?after=<seq>`: only calls recorded after that one (a poller's cursor). */
function afterOf(query: URLSearchParams): number {
  const raw = query.get("after");
  if (raw === null) return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new AdminError(400, "after must be an integer >= 0");
  return n;
}

function json(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new AdminError(400, "body is not valid JSON");
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
