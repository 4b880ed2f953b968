/** The SQS client, created once per execution environment and reused by every invocation. */
import { SQSClient } from "@aws-sdk/client-sqs";
import { traced } from "../tracing";

export const sqsClient = traced(
  new SQSClient({
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 },
  }),
);
