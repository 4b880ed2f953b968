/** The DynamoDB clients, created once per execution environment and reused by every invocation. */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { traced } from "../tracing";

export const dynamoDbClient = traced(
  new DynamoDBClient({
    // Single-item reads and writes take milliseconds; a bounded attempt keeps the retries (throttling,
    // 5xx) inside the API function's 10 s timeout and the consumer's 30 s.
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 },
  }),
);

export const documentClient = traced(
  DynamoDBDocumentClient.from(dynamoDbClient, {
    // Undefined optional attributes are left out of the item rather than rejected.
    marshallOptions: { removeUndefinedValues: true },
  }),
);
