/**
 * The warm-throughput subject, in its own process with every AWS call going to the sink: runs one kind
 * of work when asked over IPC and reports operations and elapsed time. The handlers log to stdout as in
 * Lambda (the parent discards it), so their logging and metrics are part of what is measured.
 */
import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SNSClient } from "@aws-sdk/client-sns";
import { BatchWriteCommand, DynamoDBDocumentClient, NumberValue, PutCommand } from "@aws-sdk/lib-dynamodb";
import { handler as apiHandler } from "../src/api/handler";
import { handler as consumerHandler } from "../src/consumer/handler";
import { apiEvent, lambdaContext, sqsEvent, sqsRecord, validPurchase } from "../test/support/events";
import { rawPublish as publishRaw, rawKeyedPost } from "./lib/raw-calls";

export type Work =
  | "api-keyed"
  | "raw-api-keyed"
  | "api-keyless"
  | "raw-api-keyless"
  | "consumer"
  | "raw-put"
  | "raw-batch-write";

export interface WorkRequest {
  work: Work;
  operations: number;
  concurrency: number;
}

export interface WorkResult {
  operations: number;
  ms: number;
}

// The same client settings as src/clients.
const clientSettings = {
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 },
};
const sns = new SNSClient(clientSettings);
const dynamodb = new DynamoDBClient(clientSettings);
const documents = DynamoDBDocumentClient.from(dynamodb);
const env = process.env;
const BATCH = 25;

async function concurrently(
  operations: number,
  concurrency: number,
  operation: (index: number) => Promise<void>,
) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < operations) {
        const index = next;
        next += 1;
        await operation(index);
      }
    }),
  );
}

const body = JSON.stringify(validPurchase());

async function post(key: string | undefined): Promise<void> {
  const result = await apiHandler(
    apiEvent({
      method: "POST",
      path: "/purchases",
      headers: { "content-type": "application/json", ...(key ? { "idempotency-key": key } : {}) },
      body,
    }),
    lambdaContext(),
  );
  if (result.statusCode !== 202) throw new Error(`the API answered ${result.statusCode}: ${result.body}`);
}

const rawClients = {
  sns,
  dynamodb,
  topicArn: env.PURCHASES_TOPIC_ARN,
  idempotencyTable: env.IDEMPOTENCY_TABLE_NAME,
};

/** The AWS calls of a keyed POST, made directly: record in progress, publish, complete. */
async function rawKeyed(): Promise<void> {
  await rawKeyedPost(rawClients, validPurchase());
}

async function rawPublish(message = body): Promise<void> {
  await publishRaw(rawClients, message);
}

function item(index: number): Record<string, unknown> {
  const storedAt = new Date();
  return {
    ...validPurchase(),
    total_amount: NumberValue.from("299.9"),
    purchase_id: randomUUID(),
    received_at: storedAt.toISOString(),
    stored_at: storedAt.toISOString(),
    ingest_hour: storedAt.toISOString().slice(0, 13),
    sequence: index,
  };
}

function batchEvent() {
  return sqsEvent(
    Array.from({ length: BATCH }, () =>
      sqsRecord(
        JSON.stringify({
          ...validPurchase(),
          purchase_id: randomUUID(),
          received_at: new Date().toISOString(),
        }),
      ),
    ),
  );
}

const works: Record<Work, (request: WorkRequest) => Promise<number>> = {
  "api-keyed": async ({ operations, concurrency }) => {
    await concurrently(operations, concurrency, () => post(randomUUID()));
    return operations;
  },
  "raw-api-keyed": async ({ operations, concurrency }) => {
    await concurrently(operations, concurrency, rawKeyed);
    return operations;
  },
  "api-keyless": async ({ operations, concurrency }) => {
    await concurrently(operations, concurrency, () => post(undefined));
    return operations;
  },
  "raw-api-keyless": async ({ operations, concurrency }) => {
    await concurrently(operations, concurrency, () => rawPublish());
    return operations;
  },
  // One batch per invocation, as Lambda delivers them; the records of a batch run in parallel.
  consumer: async ({ operations }) => {
    const batches = Math.ceil(operations / BATCH);
    for (let batch = 0; batch < batches; batch += 1) {
      const result = await consumerHandler(batchEvent(), lambdaContext(30_000));
      if (result.batchItemFailures.length > 0) throw new Error("the consumer reported failures");
    }
    return batches * BATCH;
  },
  // The same conditional puts, a batch's worth at a time.
  "raw-put": async ({ operations, concurrency }) => {
    const batches = Math.ceil(operations / concurrency);
    for (let batch = 0; batch < batches; batch += 1) {
      await Promise.all(
        Array.from({ length: concurrency }, (_, index) =>
          documents.send(
            new PutCommand({
              TableName: env.PURCHASES_TABLE_NAME,
              Item: item(index),
              ConditionExpression: "attribute_not_exists(purchase_id)",
            }),
          ),
        ),
      );
    }
    return batches * concurrency;
  },
  // For reference: unconditional BatchWriteItem of 25 items per call.
  "raw-batch-write": async ({ operations }) => {
    const batches = Math.ceil(operations / BATCH);
    for (let batch = 0; batch < batches; batch += 1) {
      await documents.send(
        new BatchWriteCommand({
          RequestItems: {
            [env.PURCHASES_TABLE_NAME ?? ""]: Array.from({ length: BATCH }, (_, index) => ({
              PutRequest: { Item: item(index) },
            })),
          },
        }),
      );
    }
    return batches * BATCH;
  },
};

process.on("message", (message) => {
  const request = message as WorkRequest;
  const started = process.hrtime.bigint();
  works[request.work](request).then(
    (operations) => process.send?.({ operations, ms: Number(process.hrtime.bigint() - started) / 1e6 }),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
});
process.send?.({ ready: true });
