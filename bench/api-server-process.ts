/**
 * The local HTTP server (src/local/api-server.ts) in its own process, pointed at the sink, with either
 * the API handler or, as the baseline, a handler that makes the same AWS calls directly and answers 202.
 */
import { randomUUID } from "node:crypto";
import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { type ApiHandler, startApiServer } from "../src/local/api-server";

const clientSettings = {
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 },
};

function rawHandler(): ApiHandler {
  const sns = new SNSClient(clientSettings);
  const dynamodb = new DynamoDBClient(clientSettings);
  const env = process.env;
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const id = `createPurchase#${event.headers["idempotency-key"] ?? randomUUID()}`;
    const now = Math.floor(Date.now() / 1000);
    await dynamodb.send(
      new PutItemCommand({
        TableName: env.IDEMPOTENCY_TABLE_NAME,
        Item: { id: { S: id }, expiration: { N: String(now + 86400) }, status: { S: "INPROGRESS" } },
        ConditionExpression: "attribute_not_exists(#id) OR #expiry < :now",
        ExpressionAttributeNames: { "#id": "id", "#expiry": "expiration" },
        ExpressionAttributeValues: { ":now": { N: String(now) } },
      }),
    );
    const purchase = {
      ...JSON.parse(event.body ?? "{}"),
      purchase_id: randomUUID(),
      received_at: new Date().toISOString(),
    };
    const message = JSON.stringify(purchase);
    await sns.send(
      new PublishCommand({
        TopicArn: env.PURCHASES_TOPIC_ARN,
        Message: message,
        MessageAttributes: { schema_version: { DataType: "String", StringValue: "1.0.0" } },
      }),
    );
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: env.IDEMPOTENCY_TABLE_NAME,
        Key: { id: { S: id } },
        UpdateExpression: "SET #status = :status, #data = :data",
        ExpressionAttributeNames: { "#status": "status", "#data": "data" },
        ExpressionAttributeValues: { ":status": { S: "COMPLETED" }, ":data": { S: message } },
      }),
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
