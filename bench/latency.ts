/**
 * Latency of POST /purchases (with an Idempotency-Key) through the local HTTP server, every AWS call
 * answered at once by the sink, at concurrency 1, 16 and 64 (autocannon). The baseline is the same
 * server with a handler that makes the same AWS calls directly. This measures the function and the
 * HTTP adapter on this machine, not the service: moto (and its SNS-to-SQS delivery, which slows as the
 * queue grows) is not involved.
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import autocannon from "autocannon";
import { validPurchase } from "../test/support/events";
import { sinkEnvironment } from "./lib/environment";
import { startHelper } from "./lib/processes";
import { table } from "./lib/report";

const CONCURRENCY = [1, 16, 64];

interface Figures {
  p50: number;
  p99: number;
  rps: number;
  errors: number;
}

async function measure(url: string, connections: number, seconds: number): Promise<Figures> {
  const body = JSON.stringify(validPurchase());
  const result = await autocannon({
    url: `${url}/purchases`,
    connections,
    duration: seconds,
    requests: [
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        // A new key per request: every request takes the full path (record, publish, complete).
        setupRequest: (request) => ({
          ...request,
          headers: { ...request.headers, "idempotency-key": randomUUID() },
        }),
      },
    ],
  });
  return {
    p50: result.latency.p50,
    p99: result.latency.p99,
    rps: result.requests.average,
    errors: result.non2xx + result.errors + result.timeouts,
  };
}

export async function latency(sinkEndpoint: string, seconds: number): Promise<string> {
  const rows: string[][] = [];
  for (const variant of ["handler", "raw"] as const) {
    const server = await startHelper<{ url: string }>(join(__dirname, "api-server-process.ts"), [variant], {
      ...sinkEnvironment(sinkEndpoint),
      POWERTOOLS_LOG_LEVEL: "INFO",
    });
    try {
      await measure(server.ready.url, 8, 2);
      for (const connections of CONCURRENCY) {
        const figures = await measure(server.ready.url, connections, seconds);
        rows.push([
          variant === "handler" ? "API handler" : "raw AWS calls (baseline)",
          String(connections),
          `${figures.p50} ms`,
          `${figures.p99} ms`,
          `${figures.rps.toFixed(0)}`,
          String(figures.errors),
        ]);
      }
    } finally {
      await server.stop();
    }
  }
  return [
    `POST /purchases through the local HTTP server, ${seconds} s per row`,
    table(["server handler", "concurrency", "p50", "p99", "requests/s", "non-2xx/errors"], rows),
  ].join("\n");
}
