/**
 * The consumer with the SDK stubbed: partial batch failure (one bad record never fails its neighbours),
 * the item written, duplicates counted as success, contract breaches forwarded to the DLQ with their reason.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient, NumberValue, PutCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { contractVersion } from "../../../generated/validators/contract";
import { handler } from "../../../src/consumer/handler";
import { CONTRACT_MAJOR } from "../../../src/consumer/ingest";
import { lambdaContext, sqsEvent, sqsRecord } from "../../support/events";

const documents = mockClient(DynamoDBDocumentClient);
const dynamodb = mockClient(DynamoDBClient);
const sqs = mockClient(SQSClient);

beforeEach(() => {
  documents.reset();
  dynamodb.reset();
  sqs.reset();
  documents.on(PutCommand).resolves({});
  sqs.on(SendMessageCommand).resolves({ MessageId: "dead-letter-1" });
});

let sequence = 0;
function message(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  sequence += 1;
  return {
    purchase_id: `8d0f3a4e-6c8b-4c36-9d5e-${String(sequence).padStart(12, "0")}`,
    buyer_id: 1042,
    product_id: 77,
    number_of_installments: 3,
    total_amount: 299.9,
    purchase_date: "2024-11-05",
    received_at: "2024-11-05T13:45:12.345Z",
    ...overrides,
  };
}

const putItems = () => documents.commandCalls(PutCommand).map((call) => call.args[0].input);

describe("consumer", () => {
  it("stores each purchase once, keyed by purchase_id, with stored_at and ingest_hour", async () => {
    const body = message();
    const before = new Date();
    const result = await handler(sqsEvent([sqsRecord(JSON.stringify(body))]), lambdaContext());

    expect(result.batchItemFailures).toEqual([]);
    const [put] = putItems();
    expect(put?.TableName).toBe(process.env.PURCHASES_TABLE_NAME);
    expect(put?.ConditionExpression).toBe("attribute_not_exists(purchase_id)");
    const item = put?.Item ?? {};
    const storedAt = new Date(String(item.stored_at));
    expect(storedAt.getTime()).toBeGreaterThanOrEqual(before.getTime());
    expect(item.ingest_hour).toBe(String(item.stored_at).slice(0, 13));
    expect(item.ingest_hour).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}$/);
    expect(item.total_amount).toEqual(NumberValue.from("299.9"));
    const { total_amount: _amount, ...rest } = body;
    expect(item).toMatchObject(rest);
  });

  it("writes the amount as its exact decimal text", async () => {
    const amounts = [0.01, 0.1, 0.3, 19.99, 1000000, 123456.78];
    await handler(
      sqsEvent(amounts.map((total_amount) => sqsRecord(JSON.stringify(message({ total_amount }))))),
      lambdaContext(),
    );
    const written = putItems().map((put) => String(put.Item?.total_amount));
    expect(written.sort()).toEqual(["0.01", "0.1", "0.3", "1000000", "123456.78", "19.99"].sort());
  });

  it("keeps the fields of a newer minor version as sent, and sets the ones the consumer assigns itself", async () => {
    const newer = `${CONTRACT_MAJOR}.${Number(contractVersion.split(".")[1]) + 1}.0`;
    const body = message({
      stored_at: "1999-01-01T00:00:00Z",
      coupon_code: "SPRING-24",
      gift: { wrap: true },
    });
    const result = await handler(
      sqsEvent([sqsRecord(JSON.stringify(body), { schema_version: newer })]),
      lambdaContext(),
    );
    expect(result.batchItemFailures).toEqual([]);
    const item = putItems()[0]?.Item ?? {};
    expect(item.coupon_code).toBe("SPRING-24");
    expect(item.gift).toEqual({ wrap: true });
    expect(item.stored_at).not.toBe("1999-01-01T00:00:00Z");
  });

  it.each([
    ["a number beyond DynamoDB's precision", { rate: 1e200 }, undefined],
    [
      "a field DynamoDB refuses",
      { "": 1 },
      Object.assign(new Error("Empty attribute name"), { name: "ValidationException" }),
    ],
  ])("dead-letters, with its reason, a newer minor's message with %s", async (_name, extra, refusal) => {
    if (refusal) documents.on(PutCommand).rejects(refusal);
    const newer = `${CONTRACT_MAJOR}.${Number(contractVersion.split(".")[1]) + 1}.0`;
    const record = sqsRecord(JSON.stringify(message(extra)), { schema_version: newer });
    const result = await handler(sqsEvent([record]), lambdaContext());
    expect(result.batchItemFailures).toEqual([]);
    const sent = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(sent?.MessageBody).toBe(record.body);
    expect(sent?.MessageAttributes?.failure_reason?.StringValue).toMatch(/^body: cannot be stored: ./);
  });

  it("reads a message without a version attribute as the current version", async () => {
    const result = await handler(sqsEvent([sqsRecord(JSON.stringify(message()), {})]), lambdaContext());
    expect(result.batchItemFailures).toEqual([]);
    expect(putItems()).toHaveLength(1);
  });

  it("counts a redelivered purchase (the put's condition fails) as a success", async () => {
    documents
      .on(PutCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {} }),
      );
    const result = await handler(sqsEvent([sqsRecord(JSON.stringify(message()))]), lambdaContext());
    expect(result.batchItemFailures).toEqual([]);
  });

  it("reports only the record whose write failed, so SQS retries just that one", async () => {
    const records = [message(), message(), message()].map((body) => sqsRecord(JSON.stringify(body)));
    const throttled = JSON.parse(records[1]?.body ?? "{}").purchase_id;
    documents
      .on(PutCommand)
      .callsFake((input: { Item: { purchase_id: string } }) =>
        input.Item.purchase_id === throttled
          ? Promise.reject(
              Object.assign(new Error("Rate exceeded"), { name: "ProvisionedThroughputExceededException" }),
            )
          : Promise.resolve({}),
      );
    const result = await handler(sqsEvent(records), lambdaContext());
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: records[1]?.messageId }]);
    expect(putItems()).toHaveLength(3);
  });

  it("forwards a message that breaks the contract to the DLQ with its reason, and reports it as handled", async () => {
    const good = sqsRecord(JSON.stringify(message()));
    const poison = sqsRecord(JSON.stringify(message({ total_amount: -1, purchase_date: "2024-02-30" })));
    const result = await handler(sqsEvent([good, poison]), lambdaContext());

    expect(result.batchItemFailures).toEqual([]);
    expect(putItems()).toHaveLength(1);
    const [sent] = sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
    expect(sent?.QueueUrl).toBe(process.env.DLQ_URL);
    expect(sent?.MessageBody).toBe(poison.body);
    const attributes = sent?.MessageAttributes ?? {};
    expect(attributes.failure_kind?.StringValue).toBe("contract-violation");
    expect(attributes.failure_reason?.StringValue).toBe(
      "total_amount: must be greater than 0; purchase_date: is not a calendar date (YYYY-MM-DD)",
    );
    expect(attributes.source_message_id?.StringValue).toBe(poison.messageId);
    expect(attributes.schema_version?.StringValue).toBe(contractVersion);
  });

  it.each([
    ["a body that is not JSON", "{not json", { schema_version: contractVersion }, "body: is not valid JSON"],
    [
      "a missing purchase_id",
      JSON.stringify({ ...message(), purchase_id: undefined }),
      { schema_version: contractVersion },
      "purchase_id: is required",
    ],
    [
      "an upper-case purchase_id",
      JSON.stringify(message({ purchase_id: "8D0F3A4E-6C8B-4C36-9D5E-3F1C2B7A9E10" })),
      { schema_version: contractVersion },
      "purchase_id: must match",
    ],
    [
      "an amount with three places",
      JSON.stringify(message({ total_amount: 1.005 })),
      { schema_version: contractVersion },
      "total_amount: must have at most 2 decimal places",
    ],
    [
      "a purchase dated before the contract's earliest date",
      JSON.stringify(message({ purchase_date: "1999-12-31" })),
      { schema_version: contractVersion },
      "purchase_date: must be no earlier than 2000-01-01",
    ],
    [
      "a newer major version",
      JSON.stringify(message()),
      { schema_version: `${CONTRACT_MAJOR + 1}.0.0` },
      `schema_version ${CONTRACT_MAJOR + 1}.0.0 is not supported (this consumer reads ${CONTRACT_MAJOR}.x)`,
    ],
    [
      "an older major version without an upcast",
      JSON.stringify(message()),
      { schema_version: `${CONTRACT_MAJOR - 1}.4.0` },
      `schema_version ${CONTRACT_MAJOR - 1}.4.0 is not supported`,
    ],
    [
      "a version attribute that is not a version",
      JSON.stringify(message()),
      { schema_version: "one" },
      "schema_version one is not a version (MAJOR.MINOR.PATCH)",
    ],
  ])("dead-letters %s", async (_name, body, attributes, reason) => {
    const result = await handler(sqsEvent([sqsRecord(body, attributes)]), lambdaContext());
    expect(result.batchItemFailures).toEqual([]);
    expect(putItems()).toHaveLength(0);
    const sent = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(sent?.MessageAttributes?.failure_reason?.StringValue).toContain(reason);
  });

  it("keeps a contract-breaking message on the queue when the DLQ cannot be reached", async () => {
    sqs.on(SendMessageCommand).rejects(Object.assign(new Error("unreachable"), { name: "TimeoutError" }));
    const poison = sqsRecord("{not json");
    const good = sqsRecord(JSON.stringify(message()));
    const result = await handler(sqsEvent([poison, good]), lambdaContext());
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: poison.messageId }]);
    expect(putItems()).toHaveLength(1);
  });

  it("fails the whole batch (so SQS retries it all) only when every record failed", async () => {
    documents.on(PutCommand).rejects(Object.assign(new Error("timeout"), { name: "TimeoutError" }));
    await expect(
      handler(sqsEvent([sqsRecord(JSON.stringify(message()))]), lambdaContext()),
    ).rejects.toThrow();
  });
});
