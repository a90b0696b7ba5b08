// Every AWS call the emulator received, read incrementally with GET /_emulator/calls?after=<seq>: the
// wire's own record of what the operator sent and when (the emulator stamps a call on arrival).
export interface Call {
  /** Epoch ms of arrival at the emulator. */
  t: number;
  op: string;
  app?: string;
  error?: string;
}

interface Recorded {
  operation: string;
  input?: { ApplicationName?: string; ResourceARN?: string };
  error?: string;
  at: string;
  seq: number;
}

export const readOps = new Set([
  "DescribeApplication",
  "ListTagsForResource",
  "DescribeApplicationSnapshot",
  "DescribeApplicationOperation",
  "DescribeApplicationVersion",
  "ListApplications",
]);

export class CallRecorder {
  readonly calls: Call[] = [];
  private seq = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private polling = false;

  constructor(private readonly endpoint: string) {}

  start(): void {
    this.timer = setInterval(() => void this.poll(), 200);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Reads whatever arrived since the last poll; call before using `calls` for a window just ended. */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const res = await fetch(`${this.endpoint}/_emulator/calls?after=${this.seq}`);
      const batch = (await res.json()) as Recorded[];
      for (const c of batch) {
        if (c.seq !== this.seq + 1 && this.seq > 0)
          throw new Error(`missed calls ${this.seq + 1}..${c.seq - 1}`);
        this.seq = c.seq;
        const app = c.input?.ApplicationName ?? c.input?.ResourceARN?.split("/").pop();
        this.calls.push({ t: Date.parse(c.at), op: c.operation, app, error: c.error });
      }
    } finally {
      this.polling = false;
    }
  }

  between(from: number, to: number): Call[] {
    return this.calls.filter((c) => c.t >= from && c.t < to);
  }

  /** The most calls that arrived within one calendar second, over [from, to). */
  peakPerSecond(from = 0, to = Number.POSITIVE_INFINITY): { peak: number; at: string } {
    const perSecond = new Map<number, number>();
    for (const c of this.between(from, to)) {
      const s = Math.floor(c.t / 1000);
      perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
    }
    let peak = 0;
    let at = 0;
    for (const [s, n] of perSecond) if (n > peak) [peak, at] = [n, s];
    return { peak, at: at ? new Date(at * 1000).toISOString() : "" };
  }

  /** The most calls within any sliding 1,000 ms window over [from, to): the budget's own measure. */
  peakSliding(from = 0, to = Number.POSITIVE_INFINITY): number {
    const ts = this.between(from, to)
      .map((c) => c.t)
      .sort((a, b) => a - b);
    let peak = 0;
    let j = 0;
    for (let i = 0; i < ts.length; i++) {
      while (ts[i]! - ts[j]! >= 1000) j++;
      peak = Math.max(peak, i - j + 1);
    }
    return peak;
  }

  firstWriteAfter(app: string, t: number): Call | undefined {
    return this.calls.find((c) => c.t >= t && c.app === app && !readOps.has(c.op));
  }
}
