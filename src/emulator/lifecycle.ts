/**
 * The application lifecycle as pure rules: which statuses allow which call, and where each call leads.
 * Sources: the kinesisanalyticsv2 API reference (StartApplication, StopApplication, UpdateApplication,
 * RollbackApplication, DeleteApplication) and the Managed Flink developer guide pages on snapshots and
 * system rollbacks. Choices the documentation leaves open are listed in docs/emulator.md.
 */
export type ApplicationStatus =
  | "DELETING"
  | "STARTING"
  | "STOPPING"
  | "READY"
  | "RUNNING"
  | "UPDATING"
  | "AUTOSCALING"
  | "FORCE_STOPPING"
  | "ROLLING_BACK"
  | "MAINTENANCE"
  | "ROLLED_BACK";

export type Action =
  | "start"
  | "stop"
  | "forceStop"
  | "update"
  | "delete"
  | "rollback"
  | "createSnapshot"
  | "autoscale";

/** The statuses in which each call is accepted; any other status answers ResourceInUseException. */
export const ALLOWED: Record<Action, readonly ApplicationStatus[]> = {
  // StartApplication: "the application must be in the READY status".
  start: ["READY"],
  // StopApplication: "You can stop an application only if it is in the running status, unless you set Force".
  stop: ["RUNNING"],
  // StopApplication.Force: "The application must be in the STARTING, UPDATING, STOPPING, AUTOSCALING, or RUNNING status."
  forceStop: ["STARTING", "UPDATING", "STOPPING", "AUTOSCALING", "RUNNING"],
  // UpdateApplication changes a READY application in place and a RUNNING one through UPDATING.
  update: ["READY", "RUNNING"],
  // DeleteApplication on a running application stops and deletes it; transitional statuses are in use.
  delete: ["READY", "RUNNING"],
  // RollbackApplication: "only if it is in the UPDATING, AUTOSCALING, or RUNNING statuses".
  rollback: ["UPDATING", "AUTOSCALING", "RUNNING"],
  // CreateApplicationSnapshot snapshots a running job's state.
  createSnapshot: ["RUNNING"],
  autoscale: ["RUNNING"],
};

export function isAllowed(action: Action, status: ApplicationStatus): boolean {
  return ALLOWED[action].includes(status);
}

/** Transition durations in milliseconds. */
export interface Timings {
  startingMs: number;
  stoppingMs: number;
  forceStoppingMs: number;
  updatingMs: number;
  autoscalingMs: number;
  rollingBackMs: number;
  rolledBackMs: number;
  deletingMs: number;
  snapshotMs: number;
}

/** Defaults short enough for local use, long enough that a poller sees each transitional status. */
export const DEFAULT_TIMINGS: Timings = {
  startingMs: 2000,
  stoppingMs: 1000,
  forceStoppingMs: 500,
  updatingMs: 2000,
  autoscalingMs: 2000,
  rollingBackMs: 1000,
  rolledBackMs: 200,
  deletingMs: 500,
  snapshotMs: 500,
};

export function uniformTimings(ms: number): Timings {
  const t = { ...DEFAULT_TIMINGS };
  for (const k of Object.keys(t) as (keyof Timings)[]) t[k] = ms;
  return t;
}

/** Where a call leads: the status it sets at once, and the status it settles in after `durationKey`. */
export interface Transition {
  through: ApplicationStatus;
  settlesIn: ApplicationStatus;
  durationKey: keyof Timings;
}

export function transitionFor(action: Action, status: ApplicationStatus): Transition | undefined {
  switch (action) {
    case "start":
      return { through: "STARTING", settlesIn: "RUNNING", durationKey: "startingMs" };
    case "stop":
      return { through: "STOPPING", settlesIn: "READY", durationKey: "stoppingMs" };
    case "forceStop":
      return { through: "FORCE_STOPPING", settlesIn: "READY", durationKey: "forceStoppingMs" };
    case "update":
      // A READY application has no job to redeploy: the update is applied in place.
      return status === "RUNNING"
        ? { through: "UPDATING", settlesIn: "RUNNING", durationKey: "updatingMs" }
        : undefined;
    case "delete":
      return { through: "DELETING", settlesIn: "DELETING", durationKey: "deletingMs" };
    case "rollback":
      return { through: "ROLLING_BACK", settlesIn: "RUNNING", durationKey: "rollingBackMs" };
    case "autoscale":
      return { through: "AUTOSCALING", settlesIn: "RUNNING", durationKey: "autoscalingMs" };
    case "createSnapshot":
      return undefined;
  }
}

/** Snapshot statuses: CREATING → READY (DELETING and FAILED exist in the model but are not simulated). */
export type SnapshotStatus = "CREATING" | "READY" | "DELETING" | "FAILED";

export type OperationStatus = "IN_PROGRESS" | "CANCELLED" | "SUCCESSFUL" | "FAILED";
