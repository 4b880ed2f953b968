/**
 * A small HTTP proxy in front of the emulator that injects the faults AWS clients meet in production:
 * DynamoDB throttling on a share of writes, and an endpoint that cannot be reached at all for a while.
 * Everything else is forwarded byte for byte, so the SDKs speak their real protocols through it.
 */
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface FaultProxy {
  readonly endpoint: string;
  /** Answers this share (0..1) of matching DynamoDB writes with ProvisionedThroughputExceededException. */
  throttleWrites(share: number): void;
  /** Refuses every request (the connection is reset) until up() is called. */
  down(): void;
  up(): void;
  readonly stats: { forwarded: number; throttled: number; refused: number };
  close(): Promise<void>;
}

const WRITE_TARGETS = ["DynamoDB_20120810.BatchWriteItem", "DynamoDB_20120810.PutItem"];

export async function startFaultProxy(target: string, seed = 1): Promise<FaultProxy> {
  const upstream = new URL(target);
  let throttleShare = 0;
  let isDown = false;
  const stats = { forwarded: 0, throttled: 0, refused: 0 };
  const sockets = new Set<Socket>();
  // A seeded generator, so that a failing run can be replayed with the same faults.
  let state = seed >>> 0 || 1;
  const random = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };

  const forward = (incoming: IncomingMessage, outgoing: ServerResponse) => {
    const target = String(incoming.headers["x-amz-target"] ?? "");
    if (throttleShare > 0 && WRITE_TARGETS.includes(target) && random() < throttleShare) {
      stats.throttled += 1;
      incoming.resume();
      outgoing.writeHead(400, { "content-type": "application/x-amz-json-1.0" });
      outgoing.end(
        JSON.stringify({
          __type: "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
          message: "Injected throttling: the level of configured provisioned throughput was exceeded",
        }),
      );
      return;
    }
    stats.forwarded += 1;
    const upstreamRequest = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (upstreamResponse) => {
        outgoing.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
        upstreamResponse.pipe(outgoing);
      },
    );
    upstreamRequest.on("error", () => outgoing.destroy());
    incoming.pipe(upstreamRequest);
  };

  const server: Server = createServer((incoming, outgoing) => {
    if (isDown) {
      stats.refused += 1;
      incoming.socket.destroy();
      return;
    }
    forward(incoming, outgoing);
  });
  server.on("connection", (socket) => {
    if (isDown) {
      stats.refused += 1;
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats,
    throttleWrites: (share) => {
      throttleShare = share;
    },
    down: () => {
      isDown = true;
      for (const socket of sockets) socket.destroy();
    },
    up: () => {
      isDown = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
