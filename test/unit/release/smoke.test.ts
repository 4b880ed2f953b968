/**
 * The smoke check of a deployed stage, offline: the token request, the purchase it sends and the reads
 * until stored, against a fake fetch that plays the token endpoint and the API.
 */
import openapi from "../../../generated/openapi/openapi.json";
import { validatePurchaseRequest } from "../../../generated/validators/api";
import { ReleaseError } from "../../../scripts/release/stack-outputs";
import {
  fetchAccessToken,
  smokeCheck,
  smokePurchase,
  smokeScopes,
  smokeSettings,
} from "../../../scripts/smoke";

interface Seen {
  url: string;
  method: string;
  headers: Headers;
  body: string;
}

/** A fetch that records each request and answers with the next response for its path. */
function fakeFetch(answers: Record<string, Array<() => Response>>) {
  const seen: Seen[] = [];
  const impl = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    seen.push({
      url: request.url,
      method: request.method,
      headers: request.headers,
      body: await request.text(),
    });
    const queue = answers[`${request.method} ${new URL(request.url).pathname}`];
    const next = queue?.shift();
    if (!next) throw new Error(`unexpected ${request.method} ${request.url}`);
    return next();
  };
  return { impl: impl as typeof fetch, seen };
}

const json = (status: number, body: unknown) => () =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

const settings = {
  tokenUrl: "https://idp.example/oauth2/token",
  clientId: "smoke client",
  clientSecret: "s3cr:et",
  scope: "a b",
};

describe("smokeSettings", () => {
  it("names every missing variable", () => {
    expect(() => smokeSettings({ SMOKE_CLIENT_ID: "x" })).toThrow(
      new ReleaseError("missing environment variables: SMOKE_TOKEN_URL, SMOKE_CLIENT_SECRET"),
    );
  });

  it("asks for the scopes the API requires of its two calls, unless SMOKE_SCOPE names others", () => {
    const env = { SMOKE_TOKEN_URL: "u", SMOKE_CLIENT_ID: "i", SMOKE_CLIENT_SECRET: "s" };
    expect(smokeSettings(env)).toEqual({
      tokenUrl: "u",
      clientId: "i",
      clientSecret: "s",
      scope: smokeScopes(),
    });
    expect(smokeSettings({ ...env, SMOKE_SCOPE: "" }).scope).toBe(smokeScopes());
    expect(smokeSettings({ ...env, SMOKE_SCOPE: "purchases/write" }).scope).toBe("purchases/write");
  });

  it("needs write to send the purchase and read for its own, not read-all", () => {
    expect(smokeScopes().split(" ").sort()).toEqual(["purchases:read", "purchases:write"]);
  });
});

describe("fetchAccessToken", () => {
  it("asks for client credentials with HTTP Basic of the form-encoded id and secret", async () => {
    const fake = fakeFetch({
      "POST /oauth2/token": [json(200, { access_token: "tok", token_type: "Bearer", expires_in: 3600 })],
    });
    await expect(fetchAccessToken(settings, fake.impl)).resolves.toBe("tok");
    const [request] = fake.seen;
    expect(request?.headers.get("content-type")).toBe("application/x-www-form-urlencoded");
    const basic = request?.headers.get("authorization")?.replace(/^Basic /, "") ?? "";
    expect(Buffer.from(basic, "base64").toString()).toBe("smoke%20client:s3cr%3Aet");
    expect(Object.fromEntries(new URLSearchParams(request?.body))).toEqual({
      grant_type: "client_credentials",
      scope: "a b",
    });
  });

  it.each([
    ["a refusal", json(401, { error: "invalid_client" }), "token endpoint answered 401"],
    ["no token", json(200, { token_type: "Bearer" }), "without an access_token"],
    ["another token type", json(200, { access_token: "t", token_type: "mac" }), "not a bearer token"],
  ])("fails on %s", async (_name, answer, message) => {
    const fake = fakeFetch({ "POST /oauth2/token": [answer] });
    await expect(fetchAccessToken(settings, fake.impl)).rejects.toThrow(message);
  });
});

describe("smokePurchase", () => {
  it("is openapi.yaml's request example, dated the given day, and valid", () => {
    const purchase = smokePurchase(new Date("2026-12-03T23:59:00Z"));
    const example =
      openapi.paths["/purchases"].post.requestBody.content["application/json"].examples.single.value;
    expect(purchase).toEqual({ ...example, purchase_date: "2026-12-03" });
    expect(validatePurchaseRequest(purchase)).toBe(true);
  });
});

describe("smokeCheck", () => {
  const accepted = { purchase_id: "8d0f3a4e-6c8b-4c36-9d5e-3f1c2b7a9e10", status: "accepted" };
  const base = {
    apiUrl: "https://api.example/",
    token: "tok",
    idempotencyKey: "smoke-dev-1",
    pollIntervalMs: 0,
  };

  it("posts one purchase with the token and key, then reads it until stored", async () => {
    const path = `GET /purchases/${accepted.purchase_id}`;
    const fake = fakeFetch({
      "POST /purchases": [json(202, accepted)],
      [path]: [
        json(404, { title: "Not Found" }),
        json(200, accepted),
        json(200, { ...accepted, status: "stored" }),
      ],
    });
    const result = await smokeCheck({ ...base, fetchImpl: fake.impl });
    expect(result).toMatchObject({ purchaseId: accepted.purchase_id, reads: 3 });
    expect(fake.seen.map((r) => `${r.method} ${r.url}`)).toEqual([
      "POST https://api.example/purchases",
      ...Array(3).fill(`GET https://api.example/purchases/${accepted.purchase_id}`),
    ]);
    for (const request of fake.seen) expect(request.headers.get("authorization")).toBe("Bearer tok");
    expect(fake.seen[0]?.headers.get("idempotency-key")).toBe("smoke-dev-1");
    expect(JSON.parse(fake.seen[0]?.body ?? "")).toMatchObject({ buyer_id: 1042 });
  });

  it("fails when the API refuses the purchase", async () => {
    const fake = fakeFetch({ "POST /purchases": [json(401, { message: "Unauthorized" })] });
    await expect(smokeCheck({ ...base, fetchImpl: fake.impl })).rejects.toThrow(
      "POST /purchases answered 401",
    );
  });

  it("fails on an unexpected answer while reading", async () => {
    const fake = fakeFetch({
      "POST /purchases": [json(202, accepted)],
      [`GET /purchases/${accepted.purchase_id}`]: [json(500, { title: "boom" })],
    });
    await expect(smokeCheck({ ...base, fetchImpl: fake.impl })).rejects.toThrow("answered 500");
  });

  it("gives up when the purchase is not stored in time", async () => {
    let clock = 0;
    const now = () => {
      clock += 400;
      return new Date(clock);
    };
    const fake = fakeFetch({
      "POST /purchases": [json(202, accepted)],
      [`GET /purchases/${accepted.purchase_id}`]: Array.from({ length: 10 }, () => json(404, {})),
    });
    await expect(
      smokeCheck({ ...base, fetchImpl: fake.impl, now, timeoutMs: 2_000, pollIntervalMs: 1 }),
    ).rejects.toThrow(/not stored within 2000 ms \(\d reads\)/);
  });
});
