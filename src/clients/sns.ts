/** The SNS client, created once per execution environment and reused by every invocation. */
import { SNSClient } from "@aws-sdk/client-sns";
import { traced } from "../tracing";

export const snsClient = traced(
  new SNSClient({
    // A publish normally takes tens of milliseconds. Bounding each attempt keeps three attempts and their
    // back-off well inside the API function's 10 s timeout, so a hung endpoint ends in a 503 the client
    // can retry rather than in a gateway timeout.
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 },
  }),
);
