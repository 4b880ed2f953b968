/**
 * The ingestion path against the real moto server: the API handler publishes to SNS, SNS delivers to
 * the queue, the local poller feeds the consumer, the consumer writes DynamoDB; contract breaches reach
 * the DLQ with their reason, redelivery leaves one item, and failed records are redriven by the queue.
 */
import "../support/quiet-handlers";
import { DynamoDBClient, GetItemCommand, QueryCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { contractVersion } from "../../generated/validators/contract";
import { handler as apiLambda } from "../../src/api/handler";
import { handler as consumerLambda } from "../../src/consumer/handler";
import { asFunction } from "../../src/local/aws-call-log";
import { type QueuePoller, startQueuePoller } from "../../src/local/queue-poller";
import type { LocalStack } from "../../src/local/stack";
import { apiEvent, lambdaContext, validPurchase } from "../support/events";
import { waitFor } from "../support/wait";

// The previous major of the data contract, as the consumer would read it through an upcast written for a
// major bump: it named the amount `amount` and sent it in cents. datacontract.yaml is at its first major,
// so the consumer ships no upcast yet; this one stands in for the one a major bump adds.
jest.mock("../../src/consumer/upcasts", () => {
  const { contractVersion } = jest.requireActual("../../generated/validators/contract");
  const previous = Number(String(contractVersion).split(".")[0]) - 1;
  return {
    upcasts: {
      [previous]: ({ amount, ...rest }: Record<string, unknown>) => ({
        ...rest,
        total_amount: Number(amount) / 100,
      }),
    },
  };
});

// Messages travel through moto's SNS, SQS and DynamoDB, and redrive takes maxReceiveCount visibility timeouts.
jest.setTimeout(60_000);

// Each function's AWS calls are recorded as its own when AWS_CALL_LOG_DIR is set.
const apiHandler = asFunction("api", apiLambda);
const consumerHandler = asFunction("consumer", consumerLambda);
const stack = JSON.parse(process.env.LOCAL_STACK_JSON ?? "{}") as LocalStack;
const sns = new SNSClient({});
const sqs = new SQSClient({});
const dynamodb = new DynamoDBClient({});

afterAll(() => {
  for (const client of [sns, sqs, dynamodb]) client.destroy();
});

/** The callers, as the JWT authorizer passes them on: a client, and a support tool that reads every purchase. */
const client = { caller: "integration-client", scopes: ["purchases:write", "purchases:read"] };
const support = { caller: "support-tool", scopes: ["purchases:read-all"] };

const post = (body: unknown, key?: string) =>
  apiHandler(
    apiEvent({
      method: "POST",
      path: "/purchases",
      headers: { "content-type": "application/json", ...(key ? { "idempotency-key": key } : {}) },
      body: JSON.stringify(body),
      ...client,
    }),
    lambdaContext(),
  );
const get = (id: string, who: { caller: string; scopes: string[] } = client) =>
  apiHandler(apiEvent({ method: "GET", path: `/purchases/${id}`, ...who }), lambdaContext());

/** Receives what the queue holds; `consume` deletes it, otherwise it stays visible for the next look. */
async function receiveAll(queueUrl: string, { consume }: { consume: boolean }): Promise<Message[]> {
  const messages: Message[] = [];
  for (let round = 0; round < 10; round += 1) {
    const output = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: round === 0 ? 1 : 0,
        VisibilityTimeout: consume ? 30 : 0,
        MessageAttributeNames: ["All"],
      }),
    );
    if (!output.Messages?.length) break;
    messages.push(...output.Messages);
    if (consume) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: output.Messages.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
          })),
        }),
      );
    }
  }
  return messages;
}

/** Empties a queue (PurgeQueue may run once a minute only). */
async function drain(queueUrl: string): Promise<void> {
  await receiveAll(queueUrl, { consume: true });
}

async function queueIsDrained(queueUrl: string): Promise<true | undefined> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return Attributes?.ApproximateNumberOfMessages === "0" &&
    Attributes.ApproximateNumberOfMessagesNotVisible === "0"
    ? true
    : undefined;
}

async function storedItem(purchaseId: string) {
  const { Item } = await dynamodb.send(
    new GetItemCommand({
      TableName: stack.names.purchasesTable,
      Key: { purchase_id: { S: purchaseId } },
      ConsistentRead: true,
    }),
  );
  return Item;
}

/** DLQ messages whose body contains `marker`, left visible for the next look. */
async function deadLetters(marker: string): Promise<Message[] | undefined> {
  const found = (await receiveAll(stack.dlqUrl, { consume: false })).filter((message) =>
    message.Body?.includes(marker),
  );
  return found.length > 0 ? found : undefined;
}

function purchaseMessage(purchaseId: string, overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    purchase_id: purchaseId,
    buyer_id: 7,
    product_id: 8,
    number_of_installments: 2,
    total_amount: 19.99,
    purchase_date: "2024-11-05",
    received_at: "2024-11-05T13:45:12.345Z",
    ...overrides,
  });
}

describe("publishing (no consumer running)", () => {
  beforeAll(() => drain(stack.queueUrl));
  afterAll(() => drain(stack.queueUrl));

  it("puts one message per purchase on the queue, carrying the purchase and the contract version", async () => {
    const result = await post(validPurchase(), "integration-publish-1");
    expect(result.statusCode).toBe(202);
    const purchase = JSON.parse(result.body ?? "{}");

    const messages = await waitFor("the published message", async () => {
      const received = await receiveAll(stack.queueUrl, { consume: true });
      return received.length > 0 ? received : undefined;
    });
    expect(messages).toHaveLength(1);
    const [message] = messages;
    expect(JSON.parse(message?.Body ?? "{}")).toEqual({
      purchase_id: purchase.purchase_id,
      received_at: purchase.received_at,
      created_by: client.caller,
      ...validPurchase(),
    });
    expect(message?.MessageAttributes?.[stack.settings.schemaVersionAttribute]).toEqual({
      DataType: "String",
      StringValue: contractVersion,
    });
  });

  it("publishes once for a retried key, and once after SNS failed and recovered", async () => {
    await drain(stack.queueUrl);
    const first = await post(validPurchase({ product_id: 501 }), "integration-replay-1");
    const replay = await post(validPurchase({ product_id: 501 }), "integration-replay-1");
    expect(replay.headers?.["idempotent-replayed"]).toBe("true");
    expect(replay.body).toBe(first.body);

    // SNS refuses the publish (the topic is unknown to it) and then recovers.
    const topicArn = process.env.PURCHASES_TOPIC_ARN;
    process.env.PURCHASES_TOPIC_ARN = `${topicArn}-unavailable`;
    const refused = await post(validPurchase({ product_id: 502 }), "integration-replay-2");
    process.env.PURCHASES_TOPIC_ARN = topicArn;
    expect(refused.statusCode).toBe(503);
    expect(refused.headers?.["retry-after"]).toBeDefined();
    const recovered = await post(validPurchase({ product_id: 502 }), "integration-replay-2");
    expect(recovered.statusCode).toBe(202);
    expect(recovered.headers?.["idempotent-replayed"]).toBe("false");

    const messages = await receiveAll(stack.queueUrl, { consume: true });
    const products = messages.map((message) => JSON.parse(message.Body ?? "{}").product_id).sort();
    expect(products).toEqual([501, 502]);
  });
});

describe("consuming (the local poller feeds the consumer)", () => {
  let poller: QueuePoller;
  const consumerErrors: unknown[] = [];

  beforeAll(async () => {
    await drain(stack.queueUrl);
    poller = startQueuePoller({
      client: sqs,
      queueUrl: stack.queueUrl,
      queueArn: stack.queueArn,
      region: stack.region,
      handler: consumerHandler,
      batchSize: stack.settings.consumerBatchSize,
      batchWindowMs: 200,
      visibilityTimeoutSeconds: 1,
      timeoutMs: 30_000,
      onError: (error) => consumerErrors.push(error),
    });
  });
  afterAll(() => poller.stop());

  it("stores an accepted purchase, which GET then returns with status stored", async () => {
    const result = await post(validPurchase({ total_amount: 1234.5 }), "integration-consume-1");
    const purchase = JSON.parse(result.body ?? "{}");

    const read = await waitFor("the stored purchase", async () => {
      const response = await get(purchase.purchase_id);
      return response.statusCode === 200 ? JSON.parse(response.body ?? "{}") : undefined;
    });
    expect(read).toEqual({ ...purchase, status: "stored" });

    const item = await storedItem(purchase.purchase_id);
    expect(item?.total_amount).toEqual({ N: "1234.5" });
    expect(item?.stored_at?.S).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(item?.ingest_hour?.S).toBe(item?.stored_at?.S?.slice(0, 13));

    // Locally the lake reads an hour with a scan filtered on ingest_hour (dags/lake/bronze.py).
    const hour = await dynamodb.send(
      new ScanCommand({
        TableName: stack.names.purchasesTable,
        FilterExpression: "ingest_hour = :hour",
        ExpressionAttributeValues: { ":hour": { S: item?.ingest_hour?.S ?? "" } },
      }),
    );
    expect(hour.Items?.map((found) => found.purchase_id?.S)).toContain(purchase.purchase_id);
  });

  it("stores a redelivered message once and keeps the first stored_at", async () => {
    const purchaseId = "0b8e7c1a-5d2f-4e3b-9a6c-7f1e2d3c4b5a";
    const body = purchaseMessage(purchaseId);
    await sqs.send(new SendMessageCommand({ QueueUrl: stack.queueUrl, MessageBody: body }));
    const first = await waitFor("the first delivery to be stored", () => storedItem(purchaseId));

    await sqs.send(new SendMessageCommand({ QueueUrl: stack.queueUrl, MessageBody: body }));
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: stack.queueUrl,
        MessageBody: purchaseMessage(purchaseId, { received_at: "2024-11-05T13:45:13.000Z" }),
      }),
    );
    await waitFor("the queue to drain", () => queueIsDrained(stack.queueUrl));

    const after = await storedItem(purchaseId);
    expect(after).toEqual(first);
    const all = await dynamodb.send(
      new QueryCommand({
        TableName: stack.names.purchasesTable,
        KeyConditionExpression: "purchase_id = :id",
        ExpressionAttributeValues: { ":id": { S: purchaseId } },
      }),
    );
    expect(all.Count).toBe(1);
  });

  // Only the consumer's forwarding adds the failure attributes; a redrive by the queue would carry none.
  it("forwards a message that breaks the contract to the DLQ with its reason", async () => {
    const marker = "4c0ffee0-0000-4000-8000-00000000dead";
    await sns.send(
      new PublishCommand({
        TopicArn: stack.purchasesTopicArn,
        Message: purchaseMessage(marker, { total_amount: 0, number_of_installments: 99 }),
        MessageAttributes: { schema_version: { DataType: "String", StringValue: contractVersion } },
      }),
    );
    const [dead] = await waitFor("the poison message in the DLQ", () => deadLetters(marker));
    const attributes = dead?.MessageAttributes ?? {};
    expect(attributes.failure_kind?.StringValue).toBe("contract-violation");
    expect(attributes.failure_reason?.StringValue).toBe(
      "number_of_installments: must be at most 24; total_amount: must be greater than 0",
    );
    expect(attributes.schema_version?.StringValue).toBe(contractVersion);
    expect(await storedItem(marker)).toBeUndefined();
    await waitFor("the queue to drain", () => queueIsDrained(stack.queueUrl));
  });

  it("reads two versions in flight: an older major, a newer minor, no version; dead-letters an unknown major", async () => {
    const [major, minor] = contractVersion.split(".").map(Number) as [number, number];
    const publish = (body: string, version?: string) =>
      sns.send(
        new PublishCommand({
          TopicArn: stack.purchasesTopicArn,
          Message: body,
          MessageAttributes: version
            ? { schema_version: { DataType: "String", StringValue: version } }
            : undefined,
        }),
      );
    const ids = {
      olderMajor: "5a1e0000-0000-4000-8000-000000000001",
      newerMinor: "5a1e0000-0000-4000-8000-000000000002",
      noVersion: "5a1e0000-0000-4000-8000-000000000003",
      unknownMajor: "5a1e0000-0000-4000-8000-000000000004",
    };
    const { total_amount: _amount, ...older } = JSON.parse(purchaseMessage(ids.olderMajor));
    await publish(JSON.stringify({ ...older, amount: 1999 }), `${major - 1}.2.0`);
    await publish(purchaseMessage(ids.newerMinor, { coupon_code: "SPRING-24" }), `${major}.${minor + 1}.0`);
    await publish(purchaseMessage(ids.noVersion));
    await publish(purchaseMessage(ids.unknownMajor), `${major + 1}.0.0`);

    const upcast = await waitFor("the older major's purchase", () => storedItem(ids.olderMajor));
    expect(upcast.total_amount).toEqual({ N: "19.99" });
    expect(upcast.amount).toBeUndefined();
    const newer = await waitFor("the newer minor's purchase", () => storedItem(ids.newerMinor));
    expect(newer.coupon_code).toEqual({ S: "SPRING-24" });
    // The API reports what its own contract knows: the field stays in the table for the lake. Published
    // without an owner, the purchase is read by the support tool.
    const read = JSON.parse((await get(ids.newerMinor, support)).body ?? "{}");
    expect(read).toMatchObject({ purchase_id: ids.newerMinor, status: "stored" });
    expect(read.coupon_code).toBeUndefined();
    await waitFor("the purchase without a version", () => storedItem(ids.noVersion));

    const [dead] = await waitFor("the unknown major in the DLQ", () => deadLetters(ids.unknownMajor));
    expect(dead?.MessageAttributes?.failure_reason?.StringValue).toBe(
      `schema_version ${major + 1}.0.0 is not supported (this consumer reads ${major - 1}.x, ${major}.x)`,
    );
    expect(await storedItem(ids.unknownMajor)).toBeUndefined();
    await waitFor("the queue to drain", () => queueIsDrained(stack.queueUrl));
  });

  it("has met no poller or consumer error", () => {
    expect(consumerErrors).toEqual([]);
  });
});

describe("the local event source mapping", () => {
  it("deletes only the records the handler did not report, so the queue redrives a failing one to the DLQ", async () => {
    await drain(stack.queueUrl);
    const marker = "always-fails-c3d4e5f6";
    const received: string[] = [];
    const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
      for (const record of event.Records) received.push(record.body);
      return {
        batchItemFailures: event.Records.filter((record) => record.body.includes(marker)).map((record) => ({
          itemIdentifier: record.messageId,
        })),
      };
    };
    const poller = startQueuePoller({
      client: sqs,
      queueUrl: stack.queueUrl,
      queueArn: stack.queueArn,
      region: stack.region,
      handler,
      batchSize: 10,
      batchWindowMs: 100,
      visibilityTimeoutSeconds: 1,
      timeoutMs: 30_000,
    });
    try {
      await sqs.send(new SendMessageCommand({ QueueUrl: stack.queueUrl, MessageBody: `{"ok":"c3d4e5f6"}` }));
      await sqs.send(new SendMessageCommand({ QueueUrl: stack.queueUrl, MessageBody: `{"${marker}":1}` }));
      const [redriven] = await waitFor("the failing message in the DLQ", () => deadLetters(marker), 30_000);
      expect(redriven?.MessageAttributes?.failure_reason).toBeUndefined();
      await waitFor("the queue to drain", () => queueIsDrained(stack.queueUrl));
    } finally {
      await poller.stop();
    }
    expect(received.filter((body) => body.includes(marker))).toHaveLength(stack.settings.maxReceiveCount);
    expect(received.filter((body) => body.includes('"ok"'))).toHaveLength(1);
  });
});
