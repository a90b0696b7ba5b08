import type { OperationStatus } from "./lifecycle.js";
import {
  type Application,
  type OperationRecord,
  type PendingTransition,
  type Store,
  shortId,
} from "./store.js";

/** Records an IN_PROGRESS operation (StartApplication, UpdateApplication, …) on the application. */
export function startOperation(
  store: Store,
  app: Application,
  operation: string,
  change?: { from: number; to: number },
): OperationRecord {
  const op: OperationRecord = {
    OperationId: shortId("op"),
    Operation: operation,
    StartTime: store.now(),
    OperationStatus: "IN_PROGRESS",
  };
  if (change) {
    op.ApplicationVersionChangeDetails = {
      ApplicationVersionUpdatedFrom: change.from,
      ApplicationVersionUpdatedTo: change.to,
    };
  }
  app.operations.push(op);
  return op;
}

export function finishOperation(
  store: Store,
  op: OperationRecord,
  status: OperationStatus,
  failure?: OperationRecord["OperationFailureDetails"],
): void {
  op.OperationStatus = status;
  op.EndTime = store.now();
  if (failure) op.OperationFailureDetails = failure;
}

export interface Outcome {
  done(): void;
  /** Without it, a failure ends in READY with the operation FAILED: nothing is known to run any more. */
  failed?(reason: string): void;
}

/**
 * Makes `work` the application's transition in flight. When it settles, the outcome runs, unless another
 * call replaced or cancelled the transition first; then the result is ignored.
 */
export function track(
  store: Store,
  app: Application,
  operation: OperationRecord | undefined,
  work: Promise<void>,
  outcome: Outcome,
): void {
  const pending: PendingTransition = operation ? { operation } : {};
  app.pending = pending;
  const settle = (then: () => void) => {
    if (app.pending !== pending) return;
    app.pending = undefined;
    then();
  };
  work.then(
    () => settle(() => outcome.done()),
    (err: unknown) =>
      settle(() => {
        const reason = errorString(err instanceof Error ? err.message : String(err));
        if (outcome.failed) return outcome.failed(reason);
        app.status = "READY";
        if (operation) finishOperation(store, operation, "FAILED", { ErrorInfo: { ErrorString: reason } });
      }),
  );
}

/** A force stop, rollback, delete or forced status ends the transition in flight; its operation is cancelled. */
export function cancelPending(store: Store, app: Application): void {
  const op = app.pending?.operation;
  if (op?.OperationStatus === "IN_PROGRESS") finishOperation(store, op, "CANCELLED");
  app.pending = undefined;
}

/** The model's ErrorString is 1-512 characters: longer failure texts (Flink's) are cut, marked with "…". */
export function errorString(text: string): string {
  const t = text.trim() || "unknown error";
  return t.length <= 512 ? t : `${t.slice(0, 511)}…`;
}
