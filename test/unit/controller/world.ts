// One FlinkApplication against the fakes, driven pass by pass: the shared setup of the day-2 tests
// (reconcile, restart, scheduled snapshots, ConfigMap properties).
import { expect } from "vitest";
import type { ConfigMapLike } from "../../../src/controller/properties-from.js";
import type { ReconcilerOptions } from "../../../src/controller/reconciler.js";
import type { FlinkApplication } from "../../../src/crds/types.generated.js";
import { FakeKube, FakeManagedFlink, flinkApp, reconcilerFor } from "./fakes.js";

export function world(
  obj: FlinkApplication = flinkApp(),
  clock = { now: new Date("2026-11-29T12:00:00Z") },
  /** ConfigMaps by namespace/name, as the operator's watch would hold them. */
  configMaps = new Map<string, ConfigMapLike>(),
  options: Partial<ReconcilerOptions> = {},
) {
  const aws = new FakeManagedFlink();
  const kube = new FakeKube(obj);
  const reconciler = reconcilerFor(aws, kube, {
    now: () => clock.now,
    configMaps: (ns, name) => configMaps.get(`${ns}/${name}`),
    ...options,
  });
  const reconcile = () => reconciler.reconcile(kube.obj);
  const condition = (type: string) => kube.obj.status?.conditions?.find((c) => c.type === type);
  /** Reconciles, settling AWS in between, until Ready=True (or gives up after `max` passes). */
  const ready = () =>
    condition("Ready")?.status === "True" &&
    condition("Ready")?.observedGeneration === kube.obj.metadata.generation;
  const untilReady = async (max = 12) => {
    for (let i = 0; i < max && !ready(); i++) {
      await reconcile();
      aws.settle();
    }
    expect(condition("Ready")).toMatchObject({
      status: "True",
      observedGeneration: kube.obj.metadata.generation,
    });
  };
  /** A spec change, as the API server makes it: the generation moves. */
  const bump = (spec: Partial<FlinkApplication["spec"]>) => {
    const m = kube.obj.metadata;
    kube.obj = {
      ...kube.obj,
      metadata: { ...m, generation: m.generation! + 1 },
      spec: { ...kube.obj.spec, ...spec },
    };
  };
  const writes = () => aws.calls.filter((c) => !c.startsWith("Describe") && !c.startsWith("List"));
  return { aws, kube, clock, configMaps, reconcile, condition, untilReady, bump, writes };
}
