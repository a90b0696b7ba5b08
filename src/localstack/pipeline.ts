/**
 * The seed's pipeline on the local stack (`npm run local`): the example's input and output Kinesis
 * streams on moto, a generator of user events, and a tail of the results the job writes. Kinesis is
 * spoken as its JSON protocol (x-amz-json-1.1), which moto serves on the S3 server's port; moto checks no
 * signature and reads the region from the credential scope.
 */
export interface PipelineStreams {
  input: string;
  output: string;
}

export interface EngagementResult {
  userId: string;
  windowStart: number;
  windowEnd?: number;
  eventCount: number;
}

export class LocalKinesis {
  constructor(
    readonly endpoint: string,
    readonly region: string,
  ) {}

  /** Creates the stream unless it exists, and waits until it is ACTIVE. */
  async ensureStream(name: string, shards: number): Promise<void> {
    await this.call("CreateStream", { StreamName: name, ShardCount: shards }).catch((err: Error) => {
      if (!/ResourceInUseException/.test(err.message)) throw err;
    });
  }

  async putEvents(name: string, events: { userId: string }[]): Promise<void> {
    if (events.length === 0) return;
    await this.call("PutRecords", {
      StreamName: name,
      // A random partition key spreads events over every shard: with one key per user, a few users
      // would leave shards idle and hold the job's watermark back for its idleness timeout.
      Records: events.map((e) => ({
        PartitionKey: `${e.userId}-${Math.floor(Math.random() * 1e9)}`,
        Data: Buffer.from(JSON.stringify(e)).toString("base64"),
      })),
    });
  }

  /** Iterators at the tip of every shard: what a tail reads from. */
  async latestIterators(name: string): Promise<string[]> {
    const { Shards } = await this.call<{ Shards: { ShardId: string }[] }>("ListShards", { StreamName: name });
    return Promise.all(
      Shards.map(async (s) => {
        const r = await this.call<{ ShardIterator: string }>("GetShardIterator", {
          StreamName: name,
          ShardId: s.ShardId,
          ShardIteratorType: "LATEST",
        });
        return r.ShardIterator;
      }),
    );
  }

  /** One GetRecords per shard; returns the records read and the next iterators. */
  async readFrom<T>(iterators: string[]): Promise<{ records: T[]; next: string[] }> {
    const records: T[] = [];
    const next: string[] = [];
    for (const it of iterators) {
      const r = await this.call<{ Records: { Data: string }[]; NextShardIterator?: string }>("GetRecords", {
        ShardIterator: it,
      });
      for (const rec of r.Records) {
        try {
          records.push(JSON.parse(Buffer.from(rec.Data, "base64").toString("utf8")) as T);
        } catch {
          // Not JSON: not one of the job's results.
        }
      }
      if (r.NextShardIterator) next.push(r.NextShardIterator);
    }
    return { records, next };
  }

  private call<T = unknown>(action: string, body: unknown): Promise<T> {
    return kinesisRequest<T>(this.endpoint, this.region, action, body);
  }
}

/**
 * One call of Kinesis' JSON 1.1 protocol. Local servers (moto) check the signature's shape, not its value;
 * our SDK packages have no Kinesis client at the version the others are at.
 */
export async function kinesisRequest<T = unknown>(
  endpoint: string,
  region: string,
  action: string,
  body: unknown,
): Promise<T> {
  const res = await fetch(endpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": `Kinesis_20131202.${action}`,
      authorization: `AWS4-HMAC-SHA256 Credential=local/20260101/${region}/kinesis/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`Kinesis ${action}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : {}) as T;
}

const EVENT_TYPES = ["page_view", "click", "scroll", "purchase"] as const;

/** `count` user events of the seed's shape, timestamped now, over `users` users. */
export function userEvents(count: number, users: number, now: number, random = Math.random) {
  return Array.from({ length: count }, () => ({
    userId: `user-${1 + Math.floor(random() * users)}`,
    eventType: EVENT_TYPES[Math.floor(random() * EVENT_TYPES.length)]!,
    timestamp: now,
  }));
}

export interface RunningPipeline {
  eventsIn: () => number;
  windowsOut: () => number;
  stop(): void;
}

/**
 * Writes `perSecond` events a second to the input stream and tails the output stream, calling
 * `onResult` for every window the job writes. Errors are reported and retried on the next tick.
 */
export function runPipeline(
  kinesis: LocalKinesis,
  streams: PipelineStreams,
  opts: { perSecond: number; users: number; onResult(r: EngagementResult): void; onError(e: Error): void },
): RunningPipeline {
  let eventsIn = 0;
  let windowsOut = 0;
  let iterators: string[] | undefined;
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const batch = userEvents(opts.perSecond, opts.users, Date.now());
      await kinesis.putEvents(streams.input, batch);
      eventsIn += batch.length;
      iterators ??= await kinesis.latestIterators(streams.output);
      const { records, next } = await kinesis.readFrom<EngagementResult>(iterators);
      iterators = next;
      for (const r of records) {
        windowsOut++;
        opts.onResult(r);
      }
    } catch (err) {
      iterators = undefined;
      opts.onError(err as Error);
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), 1000);
  return {
    eventsIn: () => eventsIn,
    windowsOut: () => windowsOut,
    stop: () => clearInterval(timer),
  };
}

/** Stands for the local Kinesis endpoint in the overlay file. */
export const ENDPOINT_PLACEHOLDER = ["$", "{KINESIS_ENDPOINT}"].join("");

/**
 * What the local run adds to the example's runtime properties, beside the production manifest
 * (examples/local/engagement-metrics.local.yaml): the local Kinesis endpoint and credentials for it.
 */
export function localProperties(
  production: Record<string, Record<string, string>> | undefined,
  overlay: Record<string, Record<string, string>>,
  kinesisEndpoint: string,
): Record<string, Record<string, string>> {
  const merged: Record<string, Record<string, string>> = structuredClone(production ?? {});
  for (const [group, props] of Object.entries(overlay)) {
    merged[group] = {
      ...merged[group],
      ...Object.fromEntries(
        Object.entries(props).map(([k, v]) => [k, v.replace(ENDPOINT_PLACEHOLDER, kinesisEndpoint)]),
      ),
    };
  }
  return merged;
}
