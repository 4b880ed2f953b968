/** Baseline of the consumer bundle: only constructs the DynamoDB document client (and writes once). */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";

const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));

export const handler = async () =>
  client.send(new PutCommand({ TableName: process.env.PURCHASES_TABLE_NAME, Item: { purchase_id: "bare" } }));
