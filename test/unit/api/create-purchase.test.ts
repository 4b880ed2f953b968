/**
 * POST /purchases with the SDK stubbed: what is published, the answer, and the Idempotency-Key paths
 * (replay, conflict, in progress, publish failure) over the real Powertools idempotency utility and an
 * in-memory table that honours its conditional writes.
 */
import { DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { validateProblem, validatePurchase } from "../../../generated/validators/api";
import { contractVersion, validatePurchaseMessage } from "../../../generated/validators/contract";
import { handler } from "../../../src/api/handler";
import * as observability from "../../../src/observability";
import { apiEvent, lambdaContext, validPurchase } from "../../support/events";
import { FakeIdempotencyTable } from "../../support/fake-idempotency-table";

const sns = mockClient(SNSClient);
const dynamodb = mockClient(DynamoDBClient);
let table: FakeIdempotencyTable;

beforeEach(() => {
  sns.reset();
  dynamodb.reset();
  table = new FakeIdempotencyTable();
  table.install(dynamodb);
  sns.on(PublishCommand).resolves({ MessageId: "message-1" });
});

afterEach(() => jest.restoreAllMocks());

function post(body: unknown, headers: Record<string, string> = {}, caller?: string) {
  return handler(
    apiEvent({
      method: "POST",
      path: "/purchases",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
      ...(caller ? { caller } : {}),
    }),
    lambdaContext(),
  );
}

const published = () =>
  sns
    .commandCalls(PublishCommand)
    .map((call) => JSON.parse(call.args[0].input.Message ?? "{}") as Record<string, unknown>);

describe("POST /purchases", () => {
  it("publishes the purchase with its id and the contract version, then answers 202 with Location", async () => {
    const request = validPurchase();
    const result = await post(request);

    expect(result.statusCode).toBe(202);
    const purchase = JSON.parse(result.body ?? "{}");
    expect(validatePurchase(purchase)).toBe(true);
    expect(purchase).toMatchObject({ ...request, status: "accepted" });
    expect(result.headers?.location).toBe(`/purchases/${purchase.purchase_id}`);
    expect(result.headers?.["idempotent-replayed"]).toBe("false");

    const calls = sns.commandCalls(PublishCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input?.TopicArn).toBe(process.env.PURCHASES_TOPIC_ARN);
    expect(input?.MessageAttributes).toEqual({
      schema_version: { DataType: "String", StringValue: contractVersion },
    });
    const message = JSON.parse(input?.Message ?? "{}");
    expect(validatePurchaseMessage(message)).toBe(true);
    expect(message).toEqual({
      ...request,
      purchase_id: purchase.purchase_id,
      received_at: purchase.received_at,
    });
  });

  it.each([
    ["without an Idempotency-Key", {}],
    ["with an Idempotency-Key", { "idempotency-key": "cart-owner" }],
  ])("publishes and answers the caller's subject as created_by, %s", async (_name, headers) => {
    const result = await post(validPurchase(), headers, "alice");
    expect(result.statusCode).toBe(202);
    expect(JSON.parse(result.body ?? "{}").created_by).toBe("alice");
    const [message] = published();
    expect(validatePurchaseMessage(message)).toBe(true);
    expect(message?.created_by).toBe("alice");
  });

  it("publishes no created_by for a request without a caller", async () => {
    await post(validPurchase());
    expect(published()[0]).not.toHaveProperty("created_by");
  });

  it("publishes the amount as the number the client sent, without float noise", async () => {
    await post(
      '{"buyer_id":1,"product_id":2,"number_of_installments":3,"total_amount":0.30,"purchase_date":"2024-11-05"}',
    );
    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input.Message).toContain('"total_amount":0.3,');
  });

  it("without an Idempotency-Key, gives each request its own purchase and touches no idempotency record", async () => {
    const first = JSON.parse((await post(validPurchase())).body ?? "{}");
    const second = JSON.parse((await post(validPurchase())).body ?? "{}");
    expect(first.purchase_id).not.toBe(second.purchase_id);
    expect(published()).toHaveLength(2);
    expect(table.puts).toBe(0);
  });

  it("answers 503 with Retry-After and publishes nothing accepted when SNS fails", async () => {
    const rejected = jest.spyOn(observability.metrics, "addMetric");
    sns
      .on(PublishCommand)
      .rejects(Object.assign(new Error("Service unavailable"), { name: "InternalErrorException" }));
    const result = await post(validPurchase(), { "idempotency-key": "order-1" });

    expect(result.statusCode).toBe(503);
    expect(result.headers?.["retry-after"]).toBe("5");
    const problem = JSON.parse(result.body ?? "{}");
    expect(validateProblem(problem)).toBe(true);
    expect(problem.type).toBe("/problems/service-unavailable");
    expect(rejected).toHaveBeenCalledWith("PublishFailed", "Count", 1);
    // The in-progress record was removed, so the key is free for the retry.
    expect(table.deletes).toBe(1);
    expect(table.items.size).toBe(0);
  });

  it("answers 503 when SNS answers without a message id", async () => {
    sns.on(PublishCommand).resolves({});
    expect((await post(validPurchase())).statusCode).toBe(503);
  });
});

describe("Idempotency-Key", () => {
  it("replays the first answer for the same key and body, and publishes nothing new", async () => {
    const first = await post(validPurchase(), { "idempotency-key": "order-42" });
    const second = await post(validPurchase(), { "idempotency-key": "order-42" });

    expect(second.statusCode).toBe(202);
    expect(JSON.parse(second.body ?? "{}")).toEqual(JSON.parse(first.body ?? "{}"));
    expect(second.headers?.["idempotent-replayed"]).toBe("true");
    expect(second.headers?.location).toBe(first.headers?.location);
    expect(published()).toHaveLength(1);
  });

  it("treats the same body with its fields in another order as the same request", async () => {
    const request = validPurchase();
    const reordered = Object.fromEntries(Object.entries(request).reverse());
    await post(request, { "idempotency-key": "order-43" });
    const second = await post(reordered, { "idempotency-key": "order-43" });
    expect(second.headers?.["idempotent-replayed"]).toBe("true");
    expect(published()).toHaveLength(1);
  });

  it("answers 409 naming the header when the key comes back with a different body", async () => {
    await post(validPurchase(), { "idempotency-key": "order-44" });
    const result = await post(validPurchase({ total_amount: 10 }), { "idempotency-key": "order-44" });

    expect(result.statusCode).toBe(409);
    const problem = JSON.parse(result.body ?? "{}");
    expect(problem.type).toBe("/problems/idempotency-key-reused");
    expect(problem.errors).toEqual([
      {
        field: "Idempotency-Key",
        location: "header",
        reason: "was used with a different body within the last 24 hours",
      },
    ]);
    expect(published()).toHaveLength(1);
  });

  it("answers 409 with Retry-After while the first request with the key is still running", async () => {
    let release: () => void = () => undefined;
    sns
      .on(PublishCommand)
      .callsFake(() => new Promise((resolve) => (release = () => resolve({ MessageId: "message-slow" }))));
    const first = post(validPurchase(), { "idempotency-key": "order-45" });
    // The first request holds the key from its in-progress record until SNS answers.
    for (let wait = 0; wait < 200 && sns.commandCalls(PublishCommand).length === 0; wait += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const second = await post(validPurchase(), { "idempotency-key": "order-45" });
    release();

    expect(second.statusCode).toBe(409);
    expect(second.headers?.["retry-after"]).toBe("2");
    expect(JSON.parse(second.body ?? "{}").type).toBe("/problems/idempotency-key-in-progress");
    expect((await first).statusCode).toBe(202);
    expect(published()).toHaveLength(1);
  });

  it("after a publish failure, a retry with the same key publishes once and with the same purchase id", async () => {
    // SNS took the first message but its answer was lost: the client sees a 503 and retries.
    sns
      .on(PublishCommand)
      .rejectsOnce(Object.assign(new Error("socket hang up"), { name: "TimeoutError" }))
      .resolves({ MessageId: "message-2" });
    const failed = await post(validPurchase(), { "idempotency-key": "order-46" });
    const retried = await post(validPurchase(), { "idempotency-key": "order-46" });
    const again = await post(validPurchase(), { "idempotency-key": "order-46" });

    expect(failed.statusCode).toBe(503);
    expect(retried.statusCode).toBe(202);
    expect(again.headers?.["idempotent-replayed"]).toBe("true");
    const ids = published().map((message) => message.purchase_id);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(1);
    expect(JSON.parse(retried.body ?? "{}").purchase_id).toBe(ids[0]);
  });

  it("keeps the keys of different callers apart", async () => {
    const alice = await post(validPurchase(), { "idempotency-key": "cart-1" }, "alice");
    const bob = await post(validPurchase(), { "idempotency-key": "cart-1" }, "bob");
    expect(bob.headers?.["idempotent-replayed"]).toBe("false");
    expect(JSON.parse(alice.body ?? "{}").purchase_id).not.toBe(JSON.parse(bob.body ?? "{}").purchase_id);
    expect(published()).toHaveLength(2);
  });

  it("answers 503 without publishing when the idempotency table is unavailable", async () => {
    dynamodb.reset();
    dynamodb.rejects(
      Object.assign(new Error("Rate exceeded"), { name: "ProvisionedThroughputExceededException" }),
    );
    const result = await post(validPurchase(), { "idempotency-key": "order-47" });
    expect(result.statusCode).toBe(503);
    expect(result.headers?.["retry-after"]).toBe("5");
    expect(published()).toHaveLength(0);
  });

  it("after a publish whose outcome could not be recorded, answers 503 without claiming nothing was accepted, and the retry converges", async () => {
    // SNS took the message, then completing the idempotency record failed.
    dynamodb
      .on(UpdateItemCommand)
      .rejectsOnce(
        Object.assign(new Error("Rate exceeded"), { name: "ProvisionedThroughputExceededException" }),
      );
    const failed = await post(validPurchase(), { "idempotency-key": "order-49" });
    expect(failed.statusCode).toBe(503);
    const problem = JSON.parse(failed.body ?? "{}");
    expect(validateProblem(problem)).toBe(true);
    expect(problem.detail).not.toMatch(/nothing was accepted/);
    expect(problem.detail).toMatch(/same Idempotency-Key/);

    // Until the first invocation's time is up, the key reads as in progress: the client is told to wait.
    const early = await post(validPurchase(), { "idempotency-key": "order-49" });
    expect(early.statusCode).toBe(409);
    expect(early.headers?.["retry-after"]).toBeDefined();

    const later = Date.now() + 60_000;
    jest.spyOn(Date, "now").mockReturnValue(later);
    const retried = await post(validPurchase(), { "idempotency-key": "order-49" });
    expect(retried.statusCode).toBe(202);
    const ids = new Set(published().map((message) => message.purchase_id));
    expect(ids).toEqual(new Set([JSON.parse(retried.body ?? "{}").purchase_id]));
  });

  it("stores the record under the configured TTL, keyed by `id`", async () => {
    const before = Math.floor(Date.now() / 1000);
    await post(validPurchase(), { "idempotency-key": "order-48" });
    const [record] = [...table.items.values()];
    expect(record?.id?.S).toMatch(/^createPurchase#/);
    expect(record?.status?.S).toBe("COMPLETED");
    const expiration = Number(record?.expiration?.N);
    expect(expiration).toBeGreaterThanOrEqual(before + 86_400);
    expect(expiration).toBeLessThanOrEqual(before + 86_400 + 5);
  });
});

describe("logs", () => {
  /** The JSON log lines the handler prints while `run` runs, at INFO level. */
  async function logLinesOf(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
    const lines: string[] = [];
    const write = jest.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const level = observability.logger.getLevelName();
    observability.logger.setLogLevel("INFO");
    try {
      await run();
    } finally {
      observability.logger.setLogLevel(level);
      write.mockRestore();
    }
    return lines.flatMap((chunk) =>
      chunk
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line)),
    );
  }

  const send = (event: ReturnType<typeof apiEvent>) => () => handler(event, lambdaContext());

  it("carries the gateway's request id on every line of its request, and only of its request", async () => {
    const accepted = apiEvent({
      method: "POST",
      path: "/purchases",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(validPurchase()),
    });
    const refused = apiEvent({
      method: "POST",
      path: "/purchases",
      headers: { "content-type": "application/json" },
      body: "{",
    });

    const first = await logLinesOf(send(accepted));
    const second = await logLinesOf(send(refused));

    expect(first.map((line) => [line.message, line.request_id])).toEqual([
      ["purchase accepted", accepted.requestContext.requestId],
    ]);
    expect(second.map((line) => [line.message, line.request_id])).toEqual([
      ["request rejected", refused.requestContext.requestId],
    ]);
  });

  it("carries no request id once its request is answered", async () => {
    await post(validPurchase());
    const lines = await logLinesOf(async () => observability.logger.info("between requests"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toHaveProperty("request_id");
  });
});
