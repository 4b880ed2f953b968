/**
 * The AWS calls a keyed POST /purchases makes, made directly with the SDK and nothing else: the baseline
 * the benchmarks compare the handler against (record in progress, publish, complete).
 */
import { randomUUID } from "node:crypto";
import { type DynamoDBClient, PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { SCHEMA_VERSION } from "../../src/purchases/publisher";
import { type PurchaseRequest, toMessage } from "../../src/purchases/purchase";

export interface RawClients {
  sns: SNSClient;
  dynamodb: DynamoDBClient;
  topicArn: string | undefined;
  idempotencyTable: string | undefined;
}

export async function rawPublish(clients: RawClients, message: string): Promise<void> {
  await clients.sns.send(
    new PublishCommand({
      TopicArn: clients.topicArn,
      Message: message,
      MessageAttributes: { schema_version: { DataType: "String", StringValue: SCHEMA_VERSION } },
    }),
  );
}

/** The message the API publishes for `request`: the request plus a new purchase id and reception time. */
export function purchaseMessage(request: Record<string, unknown>): string {
  return JSON.stringify(toMessage(request as PurchaseRequest, randomUUID(), new Date().toISOString()));
}

/** Records the key as in progress, publishes the purchase, completes the record; returns the message. */
export async function rawKeyedPost(
  clients: RawClients,
  request: Record<string, unknown>,
  key: string = randomUUID(),
): Promise<string> {
  const id = `createPurchase#${key}`;
  const now = Math.floor(Date.now() / 1000);
  await clients.dynamodb.send(
    new PutItemCommand({
      TableName: clients.idempotencyTable,
      Item: { id: { S: id }, expiration: { N: String(now + 86400) }, status: { S: "INPROGRESS" } },
      ConditionExpression: "attribute_not_exists(#id) OR #expiry < :now",
      ExpressionAttributeNames: { "#id": "id", "#expiry": "expiration" },
      ExpressionAttributeValues: { ":now": { N: String(now) } },
    }),
  );
  const message = purchaseMessage(request);
  await rawPublish(clients, message);
  await clients.dynamodb.send(
    new UpdateItemCommand({
      TableName: clients.idempotencyTable,
      Key: { id: { S: id } },
      UpdateExpression: "SET #status = :status, #data = :data",
      ExpressionAttributeNames: { "#status": "status", "#data": "data" },
      ExpressionAttributeValues: { ":status": { S: "COMPLETED" }, ":data": { S: message } },
    }),
  );
  return message;
}
