// client-go's workqueue metric semantics, observed through a real WorkQueue: adds count keys that
// became dirty, depth counts dirty keys no worker holds yet, every delayed add is a retry, and the
// in-flight gauges are read at scrape time.
import { describe, expect, it } from "vitest";
import { createMetrics } from "../../../src/controller/runtime/metrics.js";
import { WorkQueue } from "../../../src/controller/runtime/queue.js";

const labels = 'name="q",controller="q"';

/** The value of one series in the exposition text, e.g. sample(text, `workqueue_depth{${labels}}`). */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe("work queue metrics", () => {
  it("count adds of new keys, depth of keys waiting, and time queued and worked", async () => {
    const m = createMetrics({ defaultMetrics: false });
    const release = gate();
    const handled: string[] = [];
    const q = new WorkQueue({
      concurrency: 1,
      metrics: m.workqueue("q"),
      handler: async (key) => {
        handled.push(key);
        await release.opened;
        return {};
      },
    });
    q.add("a");
    q.add("a"); // already dirty: merged, not an add
    q.add("b");
    let text = await m.registry.metrics();
    expect(sample(text, `workqueue_adds_total{${labels}}`)).toBe(2);
    expect(sample(text, `workqueue_depth{${labels}}`)).toBe(2);
    expect(sample(text, `workqueue_longest_running_processor_seconds{${labels}}`)).toBe(0);

    q.start(); // one worker takes "a"; "b" waits
    q.add("a"); // dirty again while processing: an add, and waiting for its turn
    text = await m.registry.metrics();
    expect(sample(text, `workqueue_adds_total{${labels}}`)).toBe(3);
    expect(sample(text, `workqueue_depth{${labels}}`)).toBe(2);
    expect(sample(text, `workqueue_queue_duration_seconds_count{${labels}}`)).toBe(1);
    const longest = sample(text, `workqueue_longest_running_processor_seconds{${labels}}`)!;
    expect(longest).toBeGreaterThan(0);
    // One processor in flight: its age is all the unfinished work (both read at the same scrape).
    expect(sample(text, `workqueue_unfinished_work_seconds{${labels}}`)).toBeCloseTo(longest, 2);

    release.open();
    await expect.poll(() => handled, { timeout: 5_000 }).toEqual(["a", "b", "a"]);
    await q.shutdown();
    text = await m.registry.metrics();
    expect(sample(text, `workqueue_depth{${labels}}`)).toBe(0);
    expect(sample(text, `workqueue_queue_duration_seconds_count{${labels}}`)).toBe(3);
    expect(sample(text, `workqueue_work_duration_seconds_count{${labels}}`)).toBe(3);
    expect(sample(text, `workqueue_unfinished_work_seconds{${labels}}`)).toBe(0);
    expect(sample(text, `workqueue_retries_total{${labels}}`)).toBe(0);
  });

  it("count every delayed add as a retry: failure backoff and requeue-after alike", async () => {
    const m = createMetrics({ defaultMetrics: false });
    let calls = 0;
    const q = new WorkQueue({
      concurrency: 1,
      metrics: m.workqueue("q"),
      baseDelayMs: 1,
      jitterFraction: 0,
      handler: async () => {
        calls++;
        if (calls === 1) throw new Error("transient");
        return calls === 2 ? { requeueAfterMs: 1 } : {};
      },
    });
    q.start();
    q.add("a");
    await expect.poll(() => calls, { timeout: 5_000 }).toBe(3);
    await q.shutdown();
    const text = await m.registry.metrics();
    expect(sample(text, `workqueue_retries_total{${labels}}`)).toBe(2);
    expect(sample(text, `workqueue_adds_total{${labels}}`)).toBe(3);
  });

  it("drop the keys a shut-down queue discarded from the depth", async () => {
    const m = createMetrics({ defaultMetrics: false });
    const q = new WorkQueue({ concurrency: 1, metrics: m.workqueue("q"), handler: async () => ({}) });
    q.add("a");
    q.add("b");
    await q.shutdown();
    expect(sample(await m.registry.metrics(), `workqueue_depth{${labels}}`)).toBe(0);
  });
});

describe("controller metrics", () => {
  it("start every result at 0, report the worker limit, and count active workers", async () => {
    const m = createMetrics({ defaultMetrics: false });
    const c = m.controller("flinkapplication", 4);
    const ctl = 'controller="flinkapplication"';
    let text = await m.registry.metrics();
    for (const result of ["success", "error", "requeue", "requeue_after"]) {
      expect(sample(text, `controller_runtime_reconcile_total{${ctl},result="${result}"}`)).toBe(0);
    }
    expect(sample(text, `controller_runtime_reconcile_errors_total{${ctl}}`)).toBe(0);
    expect(sample(text, `controller_runtime_max_concurrent_reconciles{${ctl}}`)).toBe(4);
    c.workerStarted();
    c.workerStarted();
    c.workerFinished();
    text = await m.registry.metrics();
    expect(sample(text, `controller_runtime_active_workers{${ctl}}`)).toBe(1);
    c.observeReconcile("error", 0.3, "ThrottlingException");
    text = await m.registry.metrics();
    expect(sample(text, `controller_runtime_reconcile_errors_total{${ctl}}`)).toBe(1);
    expect(sample(text, `controller_runtime_reconcile_time_seconds_bucket{le="0.3",${ctl}}`)).toBe(1);
    expect(sample(text, `controller_runtime_reconcile_time_seconds_bucket{le="0.25",${ctl}}`)).toBe(0);
  });
});
