/**
 * The local HTTP server (src/local/api-server.ts) in its own process, pointed at the sink, with either
 * the API handler or, as the baseline, a handler that makes the same AWS calls directly and answers 202.
 */
import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SNSClient } from "@aws-sdk/client-sns";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { type ApiHandler, startApiServer } from "../src/local/api-server";
import { rawKeyedPost } from "./lib/raw-calls";

const clientSettings = {
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 },
};

function rawHandler(): ApiHandler {
  const sns = new SNSClient(clientSettings);
  const dynamodb = new DynamoDBClient(clientSettings);
  const env = process.env;
  const clients = {
    sns,
    dynamodb,
    topicArn: env.PURCHASES_TOPIC_ARN,
    idempotencyTable: env.IDEMPOTENCY_TABLE_NAME,
  };
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const message = await rawKeyedPost(
      clients,
      JSON.parse(event.body ?? "{}"),
      event.headers["idempotency-key"] ?? randomUUID(),
    );
    return { statusCode: 202, headers: { "content-type": "application/json" }, body: message };
  };
}

async function main(): Promise<void> {
  const variant = process.argv[2];
  const handler = variant === "raw" ? rawHandler() : (await import("../src/api/handler")).handler;
  const server = await startApiServer({ handler, port: 0 });
  process.send?.({ url: server.url });
  process.on("SIGTERM", () => void server.stop().then(() => process.exit(0)));
}

void main();
