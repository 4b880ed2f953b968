/** Routing by operationId, GET /purchases/{purchase_id}, and the guarantee that no input yields a 5xx. */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import openapi from "../../../generated/openapi/openapi.json";
import { validateHealth, validateProblem, validatePurchase } from "../../../generated/validators/api";
import { handler } from "../../../src/api/handler";
import { apiEvent, lambdaContext, validPurchase } from "../../support/events";

const sns = mockClient(SNSClient);
const documents = mockClient(DynamoDBDocumentClient);
const dynamodb = mockClient(DynamoDBClient);

beforeEach(() => {
  sns.reset();
  documents.reset();
  dynamodb.reset();
  sns.on(PublishCommand).resolves({ MessageId: "message-1" });
});

const call = (
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: string; caller?: string; scopes?: string[] } = {},
) => handler(apiEvent({ method, path, ...init }), lambdaContext());
const body = (result: { body?: string }) => JSON.parse(result.body ?? "{}");

const ID = "8d0f3a4e-6c8b-4c36-9d5e-3f1c2b7a9e10";

describe("routing", () => {
  it("answers GET /health with the API version", async () => {
    const result = await call("GET", "/health");
    expect(result.statusCode).toBe(200);
    expect(validateHealth(body(result))).toBe(true);
    expect(body(result)).toEqual({ status: "ok", version: openapi.info.version });
  });

  it.each([
    ["GET", "/nowhere"],
    ["POST", "/purchases/extra/segments"],
    ["GET", "/"],
  ])("answers %s %s with a 404 problem naming the path", async (method, path) => {
    const result = await call(method, path);
    expect(result.statusCode).toBe(404);
    expect(result.headers?.["content-type"]).toBe("application/problem+json");
    expect(validateProblem(body(result))).toBe(true);
    expect(body(result).errors[0]).toMatchObject({ field: "path", location: "path" });
  });

  it.each([
    ["DELETE", "/purchases", "POST"],
    ["GET", "/purchases", "POST"],
    ["PUT", `/purchases/${ID}`, "GET"],
    ["POST", "/health", "GET"],
  ])("answers %s %s with a 405 problem and Allow: %s", async (method, path, allowed) => {
    const result = await call(method, path);
    expect(result.statusCode).toBe(405);
    expect(result.headers?.allow).toBe(allowed);
    expect(validateProblem(body(result))).toBe(true);
    expect(body(result).errors[0].reason).toContain(method);
  });
});

describe("GET /purchases/{purchase_id}", () => {
  const stored = {
    purchase_id: ID,
    buyer_id: 1042,
    product_id: 77,
    number_of_installments: 3,
    total_amount: 299.9,
    purchase_date: "2024-11-05",
    received_at: "2024-11-05T13:45:12.345Z",
    created_by: "alice",
    stored_at: "2024-11-05T13:45:12.912Z",
    ingest_hour: "2024-11-05T13",
  };
  const alice = { caller: "alice", scopes: ["purchases:read"] };

  it("reads the item with a consistent read and answers 200 with status stored", async () => {
    documents.on(GetCommand).resolves({ Item: stored });
    const result = await call("GET", `/purchases/${ID}`, alice);

    expect(result.statusCode).toBe(200);
    expect(validatePurchase(body(result))).toBe(true);
    const { stored_at: _s, ingest_hour: _h, ...fields } = stored;
    expect(body(result)).toEqual({ ...fields, status: "stored" });
    expect(documents.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
      TableName: process.env.PURCHASES_TABLE_NAME,
      Key: { purchase_id: ID },
      ConsistentRead: true,
    });
  });

  it("looks up an upper-case id as the lower-case id it was stored under", async () => {
    documents.on(GetCommand).resolves({ Item: stored });
    expect((await call("GET", `/purchases/${ID.toUpperCase()}`, alice)).statusCode).toBe(200);
    expect(documents.commandCalls(GetCommand)[0]?.args[0].input.Key).toEqual({ purchase_id: ID });
  });

  it("answers 404 naming purchase_id until the purchase is stored", async () => {
    documents.on(GetCommand).resolves({});
    const result = await call("GET", `/purchases/${ID}`);
    expect(result.statusCode).toBe(404);
    expect(body(result).errors).toEqual([
      { field: "purchase_id", location: "path", reason: "no stored purchase has this id" },
    ]);
  });

  it.each([
    ["another caller", { caller: "bob", scopes: ["purchases:read"] }, stored],
    ["a caller whose subject differs only in case", { caller: "ALICE", scopes: ["purchases:read"] }, stored],
    ["no caller", {}, stored],
    ["the owner, for a purchase stored without an owner", alice, { ...stored, created_by: undefined }],
  ])("answers %s the same 404 as an unknown id", async (_name, who, item) => {
    documents.on(GetCommand).resolves({});
    const unknown = await call("GET", `/purchases/${ID}`, who);
    documents.on(GetCommand).resolves({ Item: item });
    const hidden = await call("GET", `/purchases/${ID}`, who);
    expect(hidden.statusCode).toBe(404);
    expect(hidden.headers).toEqual(unknown.headers);
    expect(hidden.body).toBe(unknown.body);
  });

  it.each([
    ["another caller's", stored],
    ["an ownerless", { ...stored, created_by: undefined }],
  ])("answers %s purchase to a token with purchases:read-all", async (_name, item) => {
    documents.on(GetCommand).resolves({ Item: item });
    const result = await call("GET", `/purchases/${ID}`, {
      caller: "support-tool",
      scopes: ["purchases:read-all"],
    });
    expect(result.statusCode).toBe(200);
    expect(validatePurchase(body(result))).toBe(true);
    expect(body(result).created_by).toBe(item.created_by);
  });

  it("answers 503 with Retry-After when the table cannot be read", async () => {
    documents.on(GetCommand).rejects(Object.assign(new Error("throttled"), { name: "ThrottlingException" }));
    const result = await call("GET", `/purchases/${ID}`);
    expect(result.statusCode).toBe(503);
    expect(result.headers?.["retry-after"]).toBe("5");
  });
});

describe("no input produces a 5xx", () => {
  const json = { "content-type": "application/json" };
  const inputs: [
    string,
    { method: string; path: string; headers?: Record<string, string>; body?: string },
  ][] = [
    [
      "deeply nested JSON",
      { method: "POST", path: "/purchases", headers: json, body: "[".repeat(5000) + "]".repeat(5000) },
    ],
    ["a number where the object goes", { method: "POST", path: "/purchases", headers: json, body: "1e400" }],
    [
      "a huge exponent amount",
      {
        method: "POST",
        path: "/purchases",
        headers: json,
        body: JSON.stringify(validPurchase()).replace("299.9", "1e400"),
      },
    ],
    [
      "unicode in every field",
      {
        method: "POST",
        path: "/purchases",
        headers: json,
        body: JSON.stringify({
          buyer_id: "ß",
          product_id: "💥",
          number_of_installments: "\u0000",
          total_amount: "€",
          purchase_date: "２０２４-01-01",
        }),
      },
    ],
    [
      "a __proto__ member",
      {
        method: "POST",
        path: "/purchases",
        headers: json,
        body: `{"__proto__":{"admin":true},${JSON.stringify(validPurchase()).slice(1)}`,
      },
    ],
    [
      "duplicate members",
      {
        method: "POST",
        path: "/purchases",
        headers: json,
        body: `{"total_amount":1.001,${JSON.stringify(validPurchase()).slice(1)}`,
      },
    ],
    ["a GET with a body", { method: "GET", path: "/health", headers: json, body: "{" }],
    ["an odd method", { method: "BREW", path: "/purchases" }],
    ["a path with encoded slashes", { method: "GET", path: "/purchases/..%2F..%2Fetc%2Fpasswd" }],
    ["a very long path", { method: "GET", path: `/purchases/${"a".repeat(10_000)}` }],
    [
      "a content type with odd parameters",
      {
        method: "POST",
        path: "/purchases",
        headers: { "content-type": "application/json; charset; =;" },
        body: "{}",
      },
    ],
    [
      "an empty Idempotency-Key",
      {
        method: "POST",
        path: "/purchases",
        headers: { ...json, "idempotency-key": "" },
        body: JSON.stringify(validPurchase()),
      },
    ],
  ];

  it.each(inputs)("%s", async (_name, input) => {
    const result = await call(input.method, input.path, {
      ...(input.headers ? { headers: input.headers } : {}),
      ...(input.body === undefined ? {} : { body: input.body }),
    });
    const status = result.statusCode ?? 0;
    expect(status).toBeLessThan(500);
    if (status >= 400) expect(validateProblem(body(result))).toBe(true);
  });
});
