import { openAsBlob } from "node:fs";
import { basename } from "node:path";

/**
 * A small client for the Flink 1.20 REST API, one method per endpoint we use. Reference:
 * https://nightlies.apache.org/flink/flink-docs-release-1.20/docs/ops/rest_api/ (paths below are
 * quoted from it). Errors come back as `{"errors": [...]}` with a 4xx/5xx status.
 */

/** Flink answered with an error status; `errors` is its error list (often one Java stack trace). */
export class FlinkRestError extends Error {
  readonly status: number;
  readonly errors: string[];
  constructor(operation: string, status: number, errors: string[]) {
    super(`Flink ${operation}: HTTP ${status}: ${errors.map(rootCause).join("; ") || "(no error text)"}`);
    this.name = "FlinkRestError";
    this.status = status;
    this.errors = errors;
  }
}

/**
 * The innermost "Caused by" of a Java stack trace as "class: message" (message lines kept, frames
 * dropped): the text a user can act on. Flink wraps a job's own exception in several layers
 * (RestHandlerException > ProgramInvocationException > ...); the last cause is the job's.
 */
export function rootCause(stackTrace: string): string {
  const marker = "Caused by: ";
  const at = stackTrace.lastIndexOf(`\n${marker}`);
  const start = at >= 0 ? at + 1 + marker.length : 0;
  const lines: string[] = [];
  for (const line of stackTrace.slice(start).split("\n")) {
    if (/^\s+(at |\.\.\. \d+ more)/.test(line)) break;
    lines.push(line);
  }
  return lines.join("\n").trim();
}

/** Body of POST /jars/:jarid/run (JarRunRequestBody). */
export interface JarRunRequest {
  entryClass?: string;
  parallelism?: number;
  programArgsList?: string[];
  savepointPath?: string;
  allowNonRestoredState?: boolean;
  /** Configuration for this job only (FLIP-256, Flink 1.17+), e.g. python.files. */
  flinkConfiguration?: Record<string, string>;
}

export type JobState =
  | "INITIALIZING"
  | "CREATED"
  | "RUNNING"
  | "FAILING"
  | "FAILED"
  | "CANCELLING"
  | "CANCELED"
  | "FINISHED"
  | "RESTARTING"
  | "SUSPENDED"
  | "RECONCILING";

export const TERMINAL_JOB_STATES: ReadonlySet<JobState> = new Set(["FAILED", "CANCELED", "FINISHED"]);

export interface JobVertex {
  id: string;
  name: string;
  parallelism: number;
  status: string;
  /** Totals over the vertex's subtasks, e.g. "read-records", "write-records". */
  metrics?: Record<string, number | boolean>;
}

/** The part of GET /jobs/:jobid we read. */
export interface JobDetails {
  jid: string;
  name: string;
  state: JobState;
  vertices: JobVertex[];
}

/** GET /jobs/:jobid/savepoints/:triggerid (also answers for POST /jobs/:jobid/stop). */
export type SavepointStatus =
  | { state: "IN_PROGRESS" }
  | { state: "COMPLETED"; location: string }
  | { state: "FAILED"; failure: string };

export interface AggregatedMetric {
  id: string;
  min?: number;
  max?: number;
  sum?: number;
}

export class FlinkRestClient {
  readonly baseUrl: string;
  private readonly timeoutMs: number;

  constructor(baseUrl: string, timeoutMs = 60_000) {
    this.baseUrl = baseUrl.replace(/\/$/, "");
    this.timeoutMs = timeoutMs;
  }

  /** GET /overview: cluster summary (task managers, slots, job counts). */
  overview(): Promise<{ taskmanagers: number; "slots-total": number; "flink-version": string }> {
    return this.call("overview", "GET", "/overview");
  }

  /**
   * POST /jars/upload (multipart, field "jarfile"). Returns the jar id for /jars/:jarid/run: the file
   * name Flink stored it under. The file is streamed from disk, not read into memory.
   */
  async uploadJar(path: string): Promise<string> {
    const form = new FormData();
    form.append("jarfile", await openAsBlob(path, { type: "application/x-java-archive" }), basename(path));
    const res = await this.call<{ filename: string }>("upload jar", "POST", "/jars/upload", form);
    return basename(res.filename);
  }

  /** DELETE /jars/:jarid */
  async deleteJar(jarId: string): Promise<void> {
    await this.call("delete jar", "DELETE", `/jars/${encodeURIComponent(jarId)}`);
  }

  /**
   * POST /jars/:jarid/run: runs the jar's main method in the cluster and submits the job(s) it builds.
   * A main that throws, or a savepoint that cannot be mapped, fails this call (HTTP 500) with the
   * exception in `errors`.
   */
  async runJar(jarId: string, body: JarRunRequest): Promise<string> {
    const res = await this.call<{ jobid: string }>(
      "run jar",
      "POST",
      `/jars/${encodeURIComponent(jarId)}/run`,
      body,
    );
    return res.jobid;
  }

  /** GET /jobs/:jobid */
  job(jobId: string): Promise<JobDetails> {
    return this.call("job details", "GET", `/jobs/${jobId}`);
  }

  /** GET /jobs/overview */
  async jobs(): Promise<{ jid: string; name: string; state: JobState }[]> {
    const res = await this.call<{ jobs: { jid: string; name: string; state: JobState }[] }>(
      "jobs overview",
      "GET",
      "/jobs/overview",
    );
    return res.jobs;
  }

  /**
   * POST /jobs/:jobid/savepoints: triggers a savepoint (asynchronous; poll savepointStatus with the
   * returned trigger id). CANONICAL format: restorable by any state backend, as Managed Flink snapshots.
   */
  async triggerSavepoint(jobId: string, targetDirectory: string): Promise<string> {
    const res = await this.call<{ "request-id": string }>(
      "trigger savepoint",
      "POST",
      `/jobs/${jobId}/savepoints`,
      {
        "target-directory": targetDirectory,
        "cancel-job": false,
        formatType: "CANONICAL",
      },
    );
    return res["request-id"];
  }

  /**
   * POST /jobs/:jobid/stop: stop-with-savepoint (asynchronous, like triggerSavepoint). `drain: false`
   * suspends the job without emitting MAX_WATERMARK, so event-time windows stay open in the savepoint.
   */
  async stopWithSavepoint(jobId: string, targetDirectory: string, drain = false): Promise<string> {
    const res = await this.call<{ "request-id": string }>(
      "stop with savepoint",
      "POST",
      `/jobs/${jobId}/stop`,
      {
        targetDirectory,
        drain,
        formatType: "CANONICAL",
      },
    );
    return res["request-id"];
  }

  /** GET /jobs/:jobid/savepoints/:triggerid */
  async savepointStatus(jobId: string, triggerId: string): Promise<SavepointStatus> {
    const res = await this.call<{
      status: { id: "IN_PROGRESS" | "COMPLETED" };
      operation?: { location?: string; "failure-cause"?: { "stack-trace"?: string; class?: string } };
    }>("savepoint status", "GET", `/jobs/${jobId}/savepoints/${triggerId}`);
    if (res.status.id === "IN_PROGRESS") return { state: "IN_PROGRESS" };
    const op = res.operation ?? {};
    if (op.location) return { state: "COMPLETED", location: op.location };
    const cause = op["failure-cause"];
    return {
      state: "FAILED",
      failure: rootCause(cause?.["stack-trace"] ?? cause?.class ?? "unknown failure"),
    };
  }

  /** PATCH /jobs/:jobid?mode=cancel: cancels without a savepoint (202, asynchronous). */
  async cancel(jobId: string): Promise<void> {
    await this.call("cancel job", "PATCH", `/jobs/${jobId}?mode=cancel`);
  }

  /**
   * GET /jobs/:jobid/exceptions: the newest failure's stack trace (exceptionHistory, newest first), or
   * the deprecated root-exception field, or undefined when the job has not failed.
   */
  async latestException(jobId: string): Promise<string | undefined> {
    const res = await this.call<{
      "root-exception"?: string;
      exceptionHistory?: { entries?: { stacktrace?: string }[] };
    }>("job exceptions", "GET", `/jobs/${jobId}/exceptions?maxExceptions=1`);
    return res.exceptionHistory?.entries?.[0]?.stacktrace ?? res["root-exception"] ?? undefined;
  }

  /** GET /jobs/:jobid/metrics?get=...: job-scope metrics (uptime, checkpoint statistics, restarts). */
  async jobMetrics(jobId: string, names: readonly string[]): Promise<Record<string, number>> {
    const res = await this.call<{ id: string; value: string }[]>(
      "job metrics",
      "GET",
      `/jobs/${jobId}/metrics?get=${names.map(encodeURIComponent).join(",")}`,
    );
    return Object.fromEntries(res.map((m) => [m.id, Number(m.value)]));
  }

  /** GET /jobs/:jobid/vertices/:vertexid/subtasks/metrics?get=...&agg=...: one vertex, aggregated over its subtasks. */
  subtaskMetrics(jobId: string, vertexId: string, names: readonly string[]): Promise<AggregatedMetric[]> {
    return this.call(
      "vertex metrics",
      "GET",
      `/jobs/${jobId}/vertices/${vertexId}/subtasks/metrics?get=${names.map(encodeURIComponent).join(",")}&agg=min,max,sum`,
    );
  }

  /** GET /jobs/:jobid/vertices/:vertexid/subtasks/metrics without `get`: the names of the metrics there are. */
  async subtaskMetricNames(jobId: string, vertexId: string): Promise<string[]> {
    const res = await this.call<{ id: string }[]>(
      "vertex metric names",
      "GET",
      `/jobs/${jobId}/vertices/${vertexId}/subtasks/metrics`,
    );
    return res.map((m) => m.id);
  }

  /** GET /jobs/:jobid/checkpoints: `latest.restored` says which savepoint or checkpoint the job started from. */
  async restoredFrom(jobId: string): Promise<{ externalPath: string; isSavepoint: boolean } | undefined> {
    const res = await this.call<{
      latest?: { restored?: { external_path: string; is_savepoint: boolean } | null };
    }>("checkpoint statistics", "GET", `/jobs/${jobId}/checkpoints`);
    const r = res.latest?.restored;
    return r ? { externalPath: r.external_path, isSavepoint: r.is_savepoint } : undefined;
  }

  private async call<T>(operation: string, method: string, path: string, body?: unknown): Promise<T> {
    const init: RequestInit = { method, signal: AbortSignal.timeout(this.timeoutMs) };
    if (body instanceof FormData) {
      init.body = body;
    } else if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { "content-type": "application/json" };
    }
    const res = await fetch(`${this.baseUrl}${path}`, init);
    const text = await res.text();
    let json: unknown = {};
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      if (res.ok) throw new Error(`Flink ${operation}: not JSON: ${text.slice(0, 200)}`);
    }
    if (!res.ok) {
      const errors = (json as { errors?: unknown }).errors;
      throw new FlinkRestError(operation, res.status, Array.isArray(errors) ? errors.map(String) : [text]);
    }
    return json as T;
  }
}
