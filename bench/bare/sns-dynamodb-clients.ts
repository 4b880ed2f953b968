/**
 * Reference for the API bundle: only the SDK clients the API needs, SNS (publish) and the DynamoDB
 * document client (the idempotency record and GET), constructed once; the handler publishes once.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";

const sns = new SNSClient({});
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));

/** Never called by the benchmark; keeps the commands the API sends in the bundle. */
export const commands = { GetCommand, PutCommand, documents };

export const handler = async () =>
  sns.send(new PublishCommand({ TopicArn: process.env.PURCHASES_TOPIC_ARN, Message: '{"bare":true}' }));
