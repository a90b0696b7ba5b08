// What the job's health means for status: the status.job record (written when the verdict changes,
// else at most every JOB_STATUS_REFRESH_MS, so a thousand healthy jobs do not rewrite a thousand
// objects on every metric read — ADR 0018), and the sentences that quote the job's own ERROR lines.
import type { JobStatus } from "../crds/types.generated.js";
import type { JobHealth } from "../health/types.js";

/** How old status.job's figures may get while the verdict holds; live figures are on /metrics. */
export const JOB_STATUS_REFRESH_MS = 5 * 60_000;

/** At most this many characters of log lines go into a condition message. */
const MAX_QUOTED = 2000;

/** The verdict's evidence, with the newest ERROR lines of the job's log stream when there are any. */
export function jobMessage(job: JobHealth): string {
  const lines = job.errorLines ?? [];
  if (lines.length === 0) return job.message;
  const quoted = lines.map((l) => l.trim()).join(" | ");
  const cut = quoted.length > MAX_QUOTED ? `${quoted.slice(0, MAX_QUOTED)}…` : quoted;
  return `${job.message}; newest ERROR lines: ${cut}`;
}

/**
 * The next status.job: removed when checks are off or the application is not RUNNING; kept as it was
 * when the monitor has nothing newer; rewritten when the verdict or its evidence changed, or when the
 * recorded figures are older than JOB_STATUS_REFRESH_MS.
 */
export function nextJobStatus(
  before: JobStatus | undefined,
  job: JobHealth | undefined,
  running: boolean,
  now: Date,
): JobStatus | undefined {
  if (!running || !job) return undefined;
  const message = jobMessage(job);
  const changed = before?.verdict !== job.verdict;
  const stale = !before?.checkedAt || now.getTime() - Date.parse(before.checkedAt) >= JOB_STATUS_REFRESH_MS;
  if (before && !changed && before.message === message && !stale) return before;
  return {
    verdict: job.verdict,
    message,
    since: changed || !before?.since ? job.checkedAt : before.since,
    checkedAt: job.checkedAt,
    metrics: job.figures,
  };
}

/** status.job read back as a verdict, for the passes before the monitor's first read after a restart. */
export function recordedJob(recorded: JobStatus | undefined, now: Date): JobHealth {
  return {
    verdict: recorded?.verdict ?? "NoData",
    message: recorded?.message ?? "the job's metrics have not been read yet",
    figures: recorded?.metrics ?? {},
    checkedAt: recorded?.checkedAt ?? now.toISOString(),
    restarts: 0,
    failedCheckpoints: 0,
    checkpointCompleted: false,
  };
}
