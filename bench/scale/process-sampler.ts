// RSS and CPU time of the operator's Node process from /proc, sampled every 250 ms. The ManagedProcess
// pid is its orphan guard (a shell); the operator is that shell's only child.
import { readFileSync } from "node:fs";

export interface Sample {
  t: number;
  rssBytes: number;
  cpuSeconds: number;
}

const ticksPerSecond = 100; // USER_HZ on Linux

export class ProcessSampler {
  readonly samples: Sample[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;

  private constructor(readonly pid: number) {}

  static async start(guardPid: number): Promise<ProcessSampler> {
    const children = readFileSync(`/proc/${guardPid}/task/${guardPid}/children`, "utf8").trim().split(/\s+/);
    const s = new ProcessSampler(Number(children[0]));
    s.sample();
    s.timer = setInterval(() => s.sample(), 250);
    return s;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  sample(): Sample | undefined {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, "utf8");
      const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      // Fields after the command name (which may contain spaces): utime is the 14th field, stime the 15th.
      const stat = readFileSync(`/proc/${this.pid}/stat`, "utf8");
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const cpuSeconds = (Number(rest[11]) + Number(rest[12])) / ticksPerSecond;
      const s = { t: Date.now(), rssBytes: rssKb * 1024, cpuSeconds };
      this.samples.push(s);
      return s;
    } catch {
      return undefined;
    }
  }

  between(from: number, to: number): Sample[] {
    return this.samples.filter((s) => s.t >= from && s.t < to);
  }

  /** Median and max RSS over [from, to). */
  rss(from = 0, to = Number.POSITIVE_INFINITY): { medianBytes: number; maxBytes: number } {
    const r = this.between(from, to)
      .map((s) => s.rssBytes)
      .sort((a, b) => a - b);
    return { medianBytes: r[Math.floor(r.length / 2)] ?? 0, maxBytes: r.at(-1) ?? 0 };
  }

  cpuBetween(from: number, to: number): number {
    const w = this.between(from, to);
    return w.length < 2 ? 0 : w.at(-1)!.cpuSeconds - w[0]!.cpuSeconds;
  }
}
