// The benchmark's own watch of the FlinkApplications: when each generation of each object was seen
// (the bare-watch floor a controller cannot beat) and which are Ready. The runtime's Informer, with
// nothing behind it.
import { Informer } from "../../src/controller/runtime/informer.js";
import type { KubeTransport } from "../../src/controller/runtime/transport.js";
import type { FlinkApplication } from "../../src/crds/types.generated.js";

export class BenchWatch {
  /** name → generation → epoch ms at which the watch delivered it. */
  private readonly seen = new Map<string, Map<number, number>>();
  private readonly ready = new Set<string>();
  /** name → epoch ms at which it became Ready=True with its generation observed. */
  readonly readyAt = new Map<string, number>();

  private constructor(private readonly informer: Informer<FlinkApplication>) {}

  static async start(transport: KubeTransport, namespace: string): Promise<BenchWatch> {
    let self: BenchWatch | undefined;
    const onChange = (o: FlinkApplication) => self?.record(o);
    const informer = new Informer<FlinkApplication>({
      transport,
      listPath: `/apis/managedflink.dev/v1alpha1/namespaces/${namespace}/flinkapplications`,
      resyncPeriodMs: 0,
      onAdd: onChange,
      onUpdate: onChange,
    });
    self = new BenchWatch(informer);
    await informer.start();
    return self;
  }

  stop(): void {
    this.informer.stop();
  }

  get readyCount(): number {
    return this.ready.size;
  }

  get(name: string): FlinkApplication | undefined {
    return this.informer.list().find((o) => o.metadata.name === name);
  }

  /** Some application with Stalled=True, if any. */
  stalled(): { name: string; reason?: string; message?: string } | undefined {
    for (const o of this.informer.list()) {
      const c = o.status?.conditions?.find((x) => x.type === "Stalled" && x.status === "True");
      if (c) return { name: o.metadata.name!, reason: c.reason, message: c.message };
    }
    return undefined;
  }

  seenAt(name: string, generation: number): number | undefined {
    return this.seen.get(name)?.get(generation);
  }

  private record(o: FlinkApplication): void {
    const name = o.metadata.name!;
    const gen = o.metadata.generation ?? 0;
    let gens = this.seen.get(name);
    if (!gens) {
      gens = new Map();
      this.seen.set(name, gens);
    }
    if (!gens.has(gen)) gens.set(gen, Date.now());
    const ready = o.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
    if (ready && o.status?.observedGeneration === gen) {
      this.ready.add(name);
      if (!this.readyAt.has(name)) this.readyAt.set(name, Date.now());
    } else this.ready.delete(name);
  }
}
