/**
 * The running local system over HTTP, through the typed client generated from openapi.yaml: a purchase
 * goes in, is published, consumed and stored, and comes back from GET with the same fields; requests
 * the API refuses are answered with a 4xx problem naming the field.
 */
import { type components, createPurchasesClient } from "../../generated/client";
import { validateProblem } from "../../generated/validators/api";
import { LOCAL_CALLER, localToken } from "../../src/local/jwt-authorizer";
import { utcDate, validPurchase } from "../support/events";
import { waitFor } from "../support/wait";

type PurchaseRequest = components["schemas"]["PurchaseRequest"];
type Problem = components["schemas"]["Problem"];

/** An error body the API itself answered: a problem document (API Gateway's own answers are not). */
function problemOf(error: unknown): Problem {
  expect(validateProblem(error)).toBe(true);
  return error as Problem;
}

// A purchase crosses the HTTP server, moto's SNS and SQS, the poller's batching window and DynamoDB.
jest.setTimeout(30_000);

const apiUrl = process.env.API_URL ?? "";
const client = createPurchasesClient(apiUrl);
const request = (overrides: Record<string, unknown> = {}) =>
  validPurchase(overrides) as unknown as PurchaseRequest;

async function readStored(purchaseId: string) {
  return waitFor(`purchase ${purchaseId} to be stored`, async () => {
    const { data, response } = await client.GET("/purchases/{purchase_id}", {
      params: { path: { purchase_id: purchaseId } },
    });
    if (response.status === 404) return undefined;
    expect(response.status).toBe(200);
    return data;
  });
}

describe("a purchase over HTTP", () => {
  it("is accepted with 202 and Location, then stored and read back with the same fields", async () => {
    const body = request({ total_amount: 1499.99, number_of_installments: 12 });
    const { data, response } = await client.POST("/purchases", {
      body,
      params: { header: { "Idempotency-Key": `e2e-${Date.now()}` } },
    });
    expect(response.status).toBe(202);
    expect(data?.status).toBe("accepted");
    expect(response.headers.get("location")).toBe(`/purchases/${data?.purchase_id}`);

    const stored = await readStored(data?.purchase_id ?? "");
    expect(stored).toEqual({ ...data, status: "stored" });
    expect(stored).toMatchObject(body);
  });

  it("is read from the Location the API answered with", async () => {
    const { response } = await client.POST("/purchases", { body: request({ product_id: 4242 }) });
    const location = response.headers.get("location") ?? "";
    const stored = await waitFor("the Location to resolve", async () => {
      const answer = await fetch(new URL(location, apiUrl));
      return answer.status === 200 ? ((await answer.json()) as Record<string, unknown>) : undefined;
    });
    expect(stored.product_id).toBe(4242);
  });

  it("answers a retry with the same Idempotency-Key with the same purchase, and stores it once", async () => {
    const key = `e2e-retry-${Date.now()}`;
    const first = await client.POST("/purchases", {
      body: request(),
      params: { header: { "Idempotency-Key": key } },
    });
    const retry = await client.POST("/purchases", {
      body: request(),
      params: { header: { "Idempotency-Key": key } },
    });
    expect(retry.response.status).toBe(202);
    expect(retry.response.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.data).toEqual(first.data);
    await readStored(first.data?.purchase_id ?? "");

    const conflict = await client.POST("/purchases", {
      body: request({ total_amount: 1 }),
      params: { header: { "Idempotency-Key": key } },
    });
    expect(conflict.response.status).toBe(409);
    expect(problemOf(conflict.error).errors?.[0]?.field).toBe("Idempotency-Key");
  });
});

describe("whose purchase it is", () => {
  /** A client whose requests carry an unsigned token with this subject and these scopes. */
  const as = (sub: string, scope: string) =>
    createPurchasesClient(apiUrl, { headers: { authorization: `Bearer ${localToken({ sub, scope })}` } });
  const alice = as("alice", "purchases:write purchases:read");
  const bob = as("bob", "purchases:write purchases:read");
  const support = as("support-tool", "purchases:read-all");
  const read = (caller: typeof client, purchaseId: string) =>
    caller.GET("/purchases/{purchase_id}", { params: { path: { purchase_id: purchaseId } } });

  it("is read by the caller that created it and by read-all; anyone else gets the 404 of an unknown id", async () => {
    const posted = await alice.POST("/purchases", { body: request() });
    expect(posted.response.status).toBe(202);
    expect(posted.data?.created_by).toBe("alice");
    const purchaseId = posted.data?.purchase_id ?? "";

    const stored = await waitFor("alice's purchase to be stored", async () => {
      const answer = await read(alice, purchaseId);
      return answer.response.status === 200 ? answer.data : undefined;
    });
    expect(stored).toEqual({ ...posted.data, status: "stored" });

    const hidden = await read(bob, purchaseId);
    const unknown = await read(bob, "00000000-0000-4000-8000-000000000000");
    expect(hidden.response.status).toBe(404);
    expect(hidden.response.headers.get("content-type")).toBe("application/problem+json");
    expect(hidden.error).toEqual(unknown.error);
    expect(problemOf(hidden.error).errors?.[0]?.field).toBe("purchase_id");
    // The local caller, without a token, is another caller too.
    expect((await read(client, purchaseId)).response.status).toBe(404);

    const supported = await read(support, purchaseId);
    expect(supported.response.status).toBe(200);
    expect(supported.data).toEqual(stored);
  });

  it("answers the local caller's purchase to a request without a token", async () => {
    const posted = await client.POST("/purchases", { body: request() });
    expect(posted.data?.created_by).toBe(LOCAL_CALLER.sub);
    const stored = await readStored(posted.data?.purchase_id ?? "");
    expect(stored?.created_by).toBe(LOCAL_CALLER.sub);
  });

  it.each([
    ["POST /purchases with only purchases:read", "POST", "/purchases", "purchases:read"],
    [
      "GET of a purchase with only purchases:write",
      "GET",
      "/purchases/00000000-0000-4000-8000-000000000000",
      "purchases:write",
    ],
  ])("refuses %s with the authorizer's 403, before the API", async (_name, method, path, scope) => {
    const response = await fetch(`${apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${localToken({ sub: "carol", scope })}`,
        "content-type": "application/json",
      },
      ...(method === "POST" ? { body: JSON.stringify(request()) } : {}),
    });
    expect(response.status).toBe(403);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toEqual({ message: "Forbidden" });
    expect(response.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
  });

  it("refuses a token it cannot read with the authorizer's 401, and leaves /health open", async () => {
    const headers = { authorization: "Bearer not-a-token" };
    const refused = await fetch(`${apiUrl}/purchases/00000000-0000-4000-8000-000000000000`, { headers });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ message: "Unauthorized" });
    expect((await fetch(`${apiUrl}/health`, { headers })).status).toBe(200);
  });
});

describe("refused requests over HTTP", () => {
  const cases: [string, { given: Record<string, unknown>; status: number; field: string }][] = [
    ["a missing buyer_id", { given: { buyer_id: undefined }, status: 422, field: "buyer_id" }],
    ["a zero amount", { given: { total_amount: 0 }, status: 422, field: "total_amount" }],
    ["an amount with three places", { given: { total_amount: 12.345 }, status: 422, field: "total_amount" }],
    [
      "25 installments",
      { given: { number_of_installments: 25 }, status: 422, field: "number_of_installments" },
    ],
    [
      "a date three days ahead",
      { given: { purchase_date: utcDate(3) }, status: 422, field: "purchase_date" },
    ],
    ["a date in year 0", { given: { purchase_date: "0000-01-01" }, status: 422, field: "purchase_date" }],
    ["a field the API does not know", { given: { coupon: "X" }, status: 422, field: "coupon" }],
  ];

  it.each(cases)("%s gets a 4xx naming the field", async (_name, { given, status, field }) => {
    const { error, response } = await client.POST("/purchases", { body: request(given) });
    expect(response.status).toBe(status);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(problemOf(error).errors?.map((entry) => entry.field)).toContain(field);
  });

  it("malformed JSON gets a 400 naming the body", async () => {
    const { error, response } = await client.POST("/purchases", {
      body: request(),
      bodySerializer: () => '{"buyer_id": 1042,',
    });
    expect(response.status).toBe(400);
    expect(problemOf(error).errors?.[0]).toMatchObject({ field: "body", location: "body" });
  });

  it("a body that is not JSON gets a 415 naming the content type", async () => {
    const { error, response } = await client.POST("/purchases", {
      body: request(),
      bodySerializer: () => "buyer_id=1042",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(response.status).toBe(415);
    expect(problemOf(error).errors?.[0]).toMatchObject({ field: "content-type", location: "header" });
  });

  it("a body over 16 KiB gets a 413", async () => {
    const { response } = await client.POST("/purchases", {
      body: request({ padding: "x".repeat(20_000) }),
    });
    expect(response.status).toBe(413);
  });

  it("an id that is not a UUID gets a 400 naming purchase_id, an unknown one a 404", async () => {
    const malformed = await client.GET("/purchases/{purchase_id}", {
      params: { path: { purchase_id: "42" } },
    });
    expect(malformed.response.status).toBe(400);
    expect(problemOf(malformed.error).errors?.[0]?.field).toBe("purchase_id");
    const unknown = await client.GET("/purchases/{purchase_id}", {
      params: { path: { purchase_id: "00000000-0000-4000-8000-000000000000" } },
    });
    expect(unknown.response.status).toBe(404);
  });

  it("an unknown route gets a 404 problem and a wrong method a 405 problem", async () => {
    const notFound = await fetch(`${apiUrl}/carts`);
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get("content-type")).toBe("application/problem+json");
    const wrongMethod = await fetch(`${apiUrl}/purchases`, { method: "DELETE" });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("POST");
  });
});

describe("the pages", () => {
  it.each([["/docs"], ["/contract"]])("serves %s as HTML", async (path) => {
    const response = await fetch(`${apiUrl}${path}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect((await response.text()).length).toBeGreaterThan(10_000);
  });
});
