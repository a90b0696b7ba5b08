// Which watch events are worth a reconcile. The operator's own status writes come back as MODIFIED
// events; reconciling on them would turn every status change into another pass (issue 14 saw an
// update loop fed this way). Like controller-runtime's GenerationChangedPredicate, with the metadata
// that asks for action added: deletion, finalizers, annotations (adopt) and labels.
import type { FlinkApplication } from "../crds/types.generated.js";
import { sameJson } from "./status.js";

export function needsReconcile(obj: FlinkApplication, old: FlinkApplication): boolean {
  const a = obj.metadata;
  const b = old.metadata;
  return (
    a.generation !== b.generation ||
    String(a.deletionTimestamp ?? "") !== String(b.deletionTimestamp ?? "") ||
    !sameJson(a.finalizers ?? [], b.finalizers ?? []) ||
    !sameJson(a.annotations ?? {}, b.annotations ?? {}) ||
    !sameJson(a.labels ?? {}, b.labels ?? {})
  );
}
