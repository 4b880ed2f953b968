/**
 * The warm-throughput subject, in its own process with every AWS call going to the sink: runs one kind
 * of work when asked over IPC and reports operations and elapsed time. The handlers log to stdout as in
 * Lambda (the parent discards it), so their logging and metrics are part of what is measured.
 *
 * What Lambda or the client would hand over is built before the clock starts: the handlers' events and
 * contexts, and the raw calls' messages (the same shape and size as the handler's). Only the handler,
 * or the raw SDK calls, run while timed.
 */
import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SNSClient } from "@aws-sdk/client-sns";
import { BatchWriteCommand, DynamoDBDocumentClient, NumberValue, PutCommand } from "@aws-sdk/lib-dynamodb";
import { handler as apiHandler } from "../src/api/handler";
import { handler as consumerHandler } from "../src/consumer/handler";
import { apiEvent, lambdaContext, sqsEvent, sqsRecord, validPurchase } from "../test/support/events";
import { rawPublish as publishRaw, purchaseMessage, rawKeyedPost } from "./lib/raw-calls";

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

/** A Lambda context built ahead of its turn, so its clock is given room (the functions' own timeouts are 10 and 30 s). */
function preparedContext() {
  return lambdaContext(600_000);
}

/** A POST /purchases invocation as Lambda would hand it over, with or without an Idempotency-Key. */
function postInvocation(keyed: boolean): () => Promise<void> {
  const event = apiEvent({
    method: "POST",
    path: "/purchases",
    headers: { "content-type": "application/json", ...(keyed ? { "idempotency-key": randomUUID() } : {}) },
    body,
  });
  const context = preparedContext();
  return async () => {
    const result = await apiHandler(event, context);
    if (result.statusCode !== 202) throw new Error(`the API answered ${result.statusCode}: ${result.body}`);
  };
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

/** `operations` prepared inputs, each run once while timed. */
function each<T>(
  { operations, concurrency }: WorkRequest,
  prepare: () => T,
  run: (input: T) => Promise<void>,
): () => Promise<number> {
  const inputs = Array.from({ length: operations }, prepare);
  return async () => {
    await concurrently(operations, concurrency, (index) => run(inputs[index] as T));
    return operations;
  };
}

/** Each work prepares its inputs, then returns what is timed: it resolves with the operations done. */
const works: Record<Work, (request: WorkRequest) => () => Promise<number>> = {
  "api-keyed": (request) =>
    each(
      request,
      () => postInvocation(true),
      (invoke) => invoke(),
    ),
  "raw-api-keyed": (request) => each(request, () => undefined, rawKeyed),
  "api-keyless": (request) =>
    each(
      request,
      () => postInvocation(false),
      (invoke) => invoke(),
    ),
  "raw-api-keyless": (request) =>
    each(
      request,
      () => purchaseMessage(validPurchase()),
      (message) => publishRaw(rawClients, message),
    ),
  // One batch per invocation, as Lambda delivers them; the records of a batch run in parallel.
  consumer: ({ operations }) => {
    const events = Array.from({ length: Math.ceil(operations / BATCH) }, batchEvent);
    const context = preparedContext();
    return async () => {
      for (const event of events) {
        const result = await consumerHandler(event, context);
        if (result.batchItemFailures.length > 0) throw new Error("the consumer reported failures");
      }
      return events.length * BATCH;
    };
  },
  // The same conditional puts, a batch's worth at a time.
  "raw-put": ({ operations, concurrency }) => {
    const batches = Array.from({ length: Math.ceil(operations / concurrency) }, () =>
      Array.from({ length: concurrency }, (_, index) => item(index)),
    );
    return async () => {
      for (const items of batches) {
        await Promise.all(
          items.map((Item) =>
            documents.send(
              new PutCommand({
                TableName: env.PURCHASES_TABLE_NAME,
                Item,
                ConditionExpression: "attribute_not_exists(purchase_id)",
              }),
            ),
          ),
        );
      }
      return batches.length * concurrency;
    };
  },
  // For reference: unconditional BatchWriteItem of 25 items per call.
  "raw-batch-write": ({ operations }) => {
    const batches = Array.from({ length: Math.ceil(operations / BATCH) }, () =>
      Array.from({ length: BATCH }, (_, index) => ({ PutRequest: { Item: item(index) } })),
    );
    return async () => {
      for (const requests of batches) {
        await documents.send(
          new BatchWriteCommand({ RequestItems: { [env.PURCHASES_TABLE_NAME ?? ""]: requests } }),
        );
      }
      return batches.length * BATCH;
    };
  },
};

process.on("message", (message) => {
  const request = message as WorkRequest;
  const run = works[request.work](request);
  const started = process.hrtime.bigint();
  run().then(
    (operations) => process.send?.({ operations, ms: Number(process.hrtime.bigint() - started) / 1e6 }),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
});
process.send?.({ ready: true });
