import { invalidRequest } from "./errors.js";
import type { ApplicationStatus } from "./lifecycle.js";
import type { InjectableFailure } from "./simulated-runtime.js";
import { takeSystemSnapshot } from "./snapshots.js";
import { current, requireStatus, type ServiceDeps } from "./store.js";
import { cancelPending, track } from "./transitions.js";

/**
 * What the admin API can make happen that no AWS call can: failures, a status changed behind the
 * operator's back, automatic scaling. Failures need a runtime that can inject them (the simulated one).
 */
export interface FailureInjection {
  failNext(application: string, kind: InjectableFailure, reason: string): void;
}

export function canInjectFailures(runtime: unknown): runtime is FailureInjection {
  return typeof (runtime as Partial<FailureInjection>).failNext === "function";
}

/** The next start or update of the application fails once the job would be up, with `reason`. */
export function failNext(deps: ServiceDeps, name: string, kind: InjectableFailure, reason: string): void {
  deps.store.app(name);
  if (!canInjectFailures(deps.runtime)) {
    throw invalidRequest(`This emulator's runtime cannot inject a failed ${kind}`);
  }
  deps.runtime.failNext(name, kind, reason);
}

/** Sets a status behind the API's back, as when the job falls over; cancels any pending transition. */
export function forceStatus(deps: ServiceDeps, name: string, status: ApplicationStatus): void {
  const app = deps.store.app(name);
  cancelPending(deps.store, app);
  app.status = status;
}

/**
 * AUTOSCALING then RUNNING with the new CurrentParallelism. Only for applications with AutoScalingEnabled,
 * as the service scales only those (developer guide, "Automatic scaling").
 */
export function autoscale(deps: ServiceDeps, name: string, parallelism: number): void {
  const app = deps.store.app(name);
  const version = current(app);
  const par =
    version.content.ApplicationConfigurationDescription.FlinkApplicationConfigurationDescription
      ?.ParallelismConfigurationDescription;
  if (!par?.AutoScalingEnabled) throw invalidRequest(`Application ${name} does not have AutoScalingEnabled`);
  requireStatus(app, "autoscale", "autoscale");
  takeSystemSnapshot(deps, app, version, "scale");
  app.status = "AUTOSCALING";
  track(deps.store, app, undefined, deps.runtime.rescale(app.name, parallelism), {
    done: () => {
      par.CurrentParallelism = parallelism;
      app.status = "RUNNING";
    },
  });
}
