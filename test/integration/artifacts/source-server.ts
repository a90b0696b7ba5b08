import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";

/**
 * Deterministic bytes of any length without holding them: a 64 KiB pseudo-random block repeated, with
 * the block number stamped into its first bytes so no two blocks are equal (a bug that reorders or
 * repeats parts changes the digest).
 */
const blockSize = 64 * 1024;
const baseBlock = (() => {
  const out = Buffer.alloc(blockSize);
  for (let i = 0; i < blockSize / 32; i++)
    createHash("sha256")
      .update(`block-${i}`)
      .digest()
      .copy(out, i * 32);
  return out;
})();

export function generatedStream(size: number): Readable {
  let offset = 0;
  return new Readable({
    // Bounded buffering: the consumer's pace, not the generator's, decides how much is in memory.
    highWaterMark: blockSize,
    read() {
      if (offset >= size) {
        this.push(null);
        return;
      }
      const n = Math.min(blockSize, size - offset);
      const chunk = Buffer.from(baseBlock.subarray(0, n));
      if (n >= 4) chunk.writeUInt32BE((offset / blockSize) >>> 0, 0);
      offset += n;
      this.push(chunk);
    },
  });
}

export async function generatedSha256(size: number): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of generatedStream(size)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

export function sha256Of(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

export type Route =
  | { body: Buffer }
  | { generated: number }
  | { redirect: string; status?: number }
  | { status: number }
  /** Sends headers and `after` bytes of a `size`-byte body, then cuts the connection or stalls. */
  | { partial: number; after: number; ending: "reset" | "stall" };

/** A plain-http artifact server on 127.0.0.1 that counts what reached it. */
export class SourceServer {
  readonly routes = new Map<string, Route>();
  readonly requests: string[] = [];
  connections = 0;
  private constructor(private readonly server: Server) {}

  static async start(): Promise<SourceServer> {
    const server = createServer();
    const source = new SourceServer(server);
    server.on("connection", () => {
      source.connections++;
    });
    server.on("request", (req, res) => source.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return source;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path: string, host = "127.0.0.1"): string {
    return `http://${host}:${this.port}${path}`;
  }

  requestsTo(path: string): number {
    return this.requests.filter((p) => p === path).length;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    this.requests.push(path);
    const route = this.routes.get(path);
    if (!route) {
      res.writeHead(404).end("not found");
    } else if ("redirect" in route) {
      res.writeHead(route.status ?? 302, { location: route.redirect }).end();
    } else if ("body" in route) {
      res.writeHead(200, { "content-length": route.body.length }).end(route.body);
    } else if ("generated" in route) {
      res.writeHead(200, { "content-length": route.generated });
      generatedStream(route.generated).pipe(res);
    } else if ("partial" in route) {
      res.writeHead(200, { "content-length": route.partial });
      res.write(Buffer.alloc(route.after, 7), () => {
        if (route.ending === "reset") res.destroy();
      });
    } else {
      res.writeHead(route.status).end();
    }
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
