import { kinesisRequest } from "../../../src/localstack/pipeline.js";
/**
 * Just enough of the Kinesis JSON protocol (x-amz-json-1.1, target Kinesis_20131202.*) to drive moto's
 * Kinesis from tests; the project has no Kinesis SDK client. moto does not check signatures, and reads
 * the region from the Authorization header's credential scope.
 */
export class KinesisTestClient {
  constructor(
    readonly endpoint: string,
    readonly region = "us-east-1",
  ) {}

  async createStream(name: string, shards: number): Promise<void> {
    await this.call("CreateStream", { StreamName: name, ShardCount: shards });
  }

  async shardIds(name: string): Promise<string[]> {
    const r = await this.call<{ Shards: { ShardId: string }[] }>("ListShards", { StreamName: name });
    return r.Shards.map((s) => s.ShardId);
  }

  /** Puts one record; `explicitHashKey` picks the shard (a 2-shard stream splits the range at 2^127). */
  async put(name: string, data: unknown, partitionKey: string, explicitHashKey?: string): Promise<void> {
    await this.call("PutRecord", {
      StreamName: name,
      PartitionKey: partitionKey,
      Data: Buffer.from(JSON.stringify(data)).toString("base64"),
      ...(explicitHashKey ? { ExplicitHashKey: explicitHashKey } : {}),
    });
  }

  /** Every record in the stream so far, parsed as JSON, read from the start of each shard. */
  async readAll<T>(name: string): Promise<T[]> {
    const out: T[] = [];
    for (const shardId of await this.shardIds(name)) {
      let { ShardIterator: iterator } = await this.call<{ ShardIterator: string }>("GetShardIterator", {
        StreamName: name,
        ShardId: shardId,
        ShardIteratorType: "TRIM_HORIZON",
      });
      for (;;) {
        const r = await this.call<{
          Records: { Data: string }[];
          NextShardIterator: string;
          MillisBehindLatest: number;
        }>("GetRecords", { ShardIterator: iterator });
        for (const rec of r.Records)
          out.push(JSON.parse(Buffer.from(rec.Data, "base64").toString("utf8")) as T);
        if (r.Records.length === 0 || !r.NextShardIterator) break;
        iterator = r.NextShardIterator;
      }
    }
    return out;
  }

  private call<T = unknown>(action: string, body: unknown): Promise<T> {
    return kinesisRequest<T>(this.endpoint, this.region, action, body);
  }
}
