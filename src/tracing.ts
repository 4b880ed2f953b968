/**
 * X-Ray tracing of both functions (serverless.yml `provider.tracing`): each AWS SDK client is wrapped
 * where it is created, so that every SNS, SQS and DynamoDB call shows as a subsegment of the invocation.
 *
 * The tracer, and the X-Ray SDK under it, are loaded only where they can trace: in Lambda, unless
 * POWERTOOLS_TRACE_ENABLED is "false" (src/config.ts). Tests, the local runtime and the benchmarks
 * neither load them nor pay for loading them (README, "Seeing a stage run", has what they cost).
 */
import type { Tracer } from "@aws-lambda-powertools/tracer";
import { config } from "./config";

const tracerLoading: Promise<Tracer> | undefined = config.tracingPossible
  ? import("@aws-lambda-powertools/tracer").then(
      // Every outgoing call is an AWS SDK call, traced by captureAWSv3Client: patching https as well
      // would record each of them twice.
      ({ Tracer }) => new Tracer({ captureHTTPsRequests: false }),
    )
  : undefined;

interface SdkClient {
  send(...args: never[]): Promise<unknown>;
}

/**
 * The client, with its calls recorded as X-Ray subsegments when tracing is on. The tracer loads while
 * the function starts; a call made before it has loaded waits for it, so the first request an
 * environment serves is traced too. Wrapping twice clients that share a middleware stack (a DynamoDB
 * document client and its client) records each call once.
 */
export function traced<Client extends SdkClient>(client: Client): Client {
  if (tracerLoading === undefined) return client;
  const ready = tracerLoading.then((tracer) => tracer.captureAWSv3Client(client));
  const send = client.send.bind(client) as (...args: unknown[]) => Promise<unknown>;
  (client as { send: unknown }).send = async (...args: unknown[]) => {
    await ready;
    return send(...args);
  };
  return client;
}
