/**
 * The state of the Flink job inside an application, as tests put it there through the admin API
 * (`PUT /_emulator/applications/<name>/job`, docs/emulator.md "Job health"). Managed Flink reports an
 * application RUNNING whatever its job does ("failing to start or constantly restarting, even though the
 * application is in RUNNING state", developer guide, "Roll back application upgrades"); only the job's
 * metrics tell. Health belongs to an application version: it applies while that version runs, so a test
 * can make the next version crash-loop before the update that starts it, and a rollback to the earlier
 * version is healthy again.
 */
export const JOB_HEALTH = ["healthy", "crashLoop", "checkpointsFailing", "fallingBehind"] as const;
export type JobHealth = (typeof JOB_HEALTH)[number];

/** One stretch of time during which a version's job was unhealthy; `to` absent while it lasts. */
export interface HealthEpisode {
  health: Exclude<JobHealth, "healthy">;
  from: number;
  to?: number;
}

/**
 * How often a crash-looping simulated job restarts and a simulated job with failing checkpoints fails
 * one: every second, Flink's default restart delay (restart-strategy.fixed-delay.delay, 1 s), so every
 * publish interval (10 s by default, at least 1 s) sees at least one more. *Choice*: AWS documents no rate.
 */
export const FAILURE_PERIOD_MS = 1_000;
/** A job falling behind starts this far behind (15 minutes) and loses a millisecond per millisecond. */
export const FALLING_BEHIND_BASE_MS = 15 * 60_000;
/** What a healthy simulated job's completed checkpoint takes and holds (*choice*: plausible small figures). */
export const CHECKPOINT_DURATION_MS = 250;
export const CHECKPOINT_BYTES_PER_SUBTASK = 64 * 1024;

/** Episodes by version id. */
export type JobHealthBook = Map<number, HealthEpisode[]>;

/** Sets `version`'s health from `now` on: the open episode ends, an unhealthy health opens a new one. */
export function setHealth(book: JobHealthBook, version: number, health: JobHealth, now: number): void {
  const episodes = book.get(version) ?? [];
  const open = episodes.at(-1);
  if (open && open.to === undefined) {
    if (open.health === health) return;
    open.to = now;
  }
  if (health !== "healthy") episodes.push({ health, from: now });
  book.set(version, episodes);
}

export function healthOf(book: JobHealthBook, version: number): JobHealth {
  const open = book.get(version)?.at(-1);
  return open && open.to === undefined ? open.health : "healthy";
}

/** Since when `version` has had its present health, if it was ever set. */
export function healthSince(book: JobHealthBook, version: number): number | undefined {
  const last = book.get(version)?.at(-1);
  return last ? (last.to ?? last.from) : undefined;
}

/** What the job's episodes did to it between its start and `now`, cumulative as Flink's counters are. */
export interface JobEffects {
  health: JobHealth;
  /** Full restarts since the job started: one when a crash loop begins, then one per FAILURE_PERIOD_MS. */
  restarts: number;
  /** Failed checkpoints since the job started, counted the same way. */
  failedCheckpoints: number;
  /** When the job last came up: its start, or the end of the latest crash loop. */
  upSince: number;
  /** While crash-looping: when the loop began (the outage has lasted since). */
  downSince?: number;
  /** While checkpoints fail: when they began to (no checkpoint has completed since). */
  checkpointsFailingSince?: number;
  /** While falling behind: the lag behind the source's latest record. */
  millisBehindLatest?: number;
}

/** Counts one failure when an episode begins and one per period after, within [jobStart, now]. */
function failures(e: HealthEpisode, jobStart: number, now: number): number {
  const from = Math.max(e.from, jobStart);
  const to = Math.min(e.to ?? now, now);
  if (to < from || (e.to !== undefined && e.to <= jobStart)) return 0;
  return 1 + Math.floor((to - from) / FAILURE_PERIOD_MS);
}

/**
 * The effects of a version's episodes on the job that started at `jobStart` (a start, update, rollback
 * or scaling starts a new job, whose counters begin at zero). Pure, so a FakeClock makes it repeat.
 */
export function jobEffects(episodes: readonly HealthEpisode[], jobStart: number, now: number): JobEffects {
  const fx: JobEffects = { health: "healthy", restarts: 0, failedCheckpoints: 0, upSince: jobStart };
  for (const e of episodes) {
    const n = failures(e, jobStart, now);
    if (n === 0) continue;
    const from = Math.max(e.from, jobStart);
    const open = e.to === undefined;
    if (open) fx.health = e.health;
    if (e.health === "crashLoop") {
      fx.restarts += n;
      if (open) fx.downSince = from;
      else fx.upSince = Math.max(fx.upSince, e.to!);
    } else if (e.health === "checkpointsFailing") {
      fx.failedCheckpoints += n;
      if (open) fx.checkpointsFailingSince = from;
    } else if (open) {
      fx.millisBehindLatest = FALLING_BEHIND_BASE_MS + (now - from);
    }
  }
  return fx;
}

/**
 * When the job's first checkpoint completed, if it has by `now`: one checkpoint interval after the job
 * started, or, when the job was crash-looping or failing its checkpoints then, one interval after that
 * ended. Flink keeps the last completed checkpoint's figures for the job from then on, also while later
 * checkpoints fail (they go stale) and across restarts of the same job.
 */
export function firstCheckpointAt(
  episodes: readonly HealthEpisode[],
  jobStart: number,
  intervalMs: number,
  now: number,
): number | undefined {
  let at = jobStart + intervalMs;
  for (const e of episodes) {
    if (e.health === "fallingBehind") continue;
    const from = Math.max(e.from, jobStart);
    const to = e.to ?? Number.POSITIVE_INFINITY;
    if (from <= at && at < to) at = to + intervalMs;
  }
  return at <= now ? at : undefined;
}
