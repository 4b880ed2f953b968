/** Every refused request names the field, where it was sent and why (table-driven, one row per rule). */
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { validateProblem } from "../../../generated/validators/api";
import { handler } from "../../../src/api/handler";
import { apiEvent, lambdaContext, utcDate, validPurchase } from "../../support/events";

const sns = mockClient(SNSClient);

beforeEach(() => {
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: "message-1" });
});

const JSON_TYPE = { "content-type": "application/json" };

interface Given {
  body?: string | Buffer;
  headers?: Record<string, string>;
  method?: string;
  path?: string;
}
interface Want {
  status: number;
  field: string;
  location: "body" | "header" | "path" | "query";
  reason: string | RegExp;
}

const withBody = (overrides: Record<string, unknown>) => JSON.stringify(validPurchase(overrides));
const without = (field: string) => {
  const body = validPurchase();
  delete body[field];
  return JSON.stringify(body);
};

const cases: [string, { given: Given; want: Want }][] = [
  // buyer_id / product_id
  [
    "buyer_id missing",
    {
      given: { body: without("buyer_id") },
      want: { status: 422, field: "buyer_id", location: "body", reason: "is required" },
    },
  ],
  [
    "buyer_id a string",
    {
      given: { body: withBody({ buyer_id: "1042" }) },
      want: { status: 422, field: "buyer_id", location: "body", reason: "must be an integer" },
    },
  ],
  [
    "buyer_id a fraction",
    {
      given: { body: withBody({ buyer_id: 1.5 }) },
      want: { status: 422, field: "buyer_id", location: "body", reason: "must be an integer" },
    },
  ],
  [
    "buyer_id zero",
    {
      given: { body: withBody({ buyer_id: 0 }) },
      want: { status: 422, field: "buyer_id", location: "body", reason: "must be at least 1" },
    },
  ],
  [
    "buyer_id beyond a safe integer",
    {
      given: {
        body: '{"buyer_id":9007199254740993,"product_id":77,"number_of_installments":3,"total_amount":299.9,"purchase_date":"2024-11-05"}',
      },
      want: { status: 422, field: "buyer_id", location: "body", reason: "must be at most 9007199254740991" },
    },
  ],
  [
    "product_id missing",
    {
      given: { body: without("product_id") },
      want: { status: 422, field: "product_id", location: "body", reason: "is required" },
    },
  ],
  [
    "product_id negative",
    {
      given: { body: withBody({ product_id: -7 }) },
      want: { status: 422, field: "product_id", location: "body", reason: "must be at least 1" },
    },
  ],
  // number_of_installments
  [
    "installments missing",
    {
      given: { body: without("number_of_installments") },
      want: { status: 422, field: "number_of_installments", location: "body", reason: "is required" },
    },
  ],
  [
    "installments zero",
    {
      given: { body: withBody({ number_of_installments: 0 }) },
      want: { status: 422, field: "number_of_installments", location: "body", reason: "must be at least 1" },
    },
  ],
  [
    "installments 25",
    {
      given: { body: withBody({ number_of_installments: 25 }) },
      want: { status: 422, field: "number_of_installments", location: "body", reason: "must be at most 24" },
    },
  ],
  [
    "installments a string",
    {
      given: { body: withBody({ number_of_installments: "3" }) },
      want: { status: 422, field: "number_of_installments", location: "body", reason: "must be an integer" },
    },
  ],
  // total_amount
  [
    "amount missing",
    {
      given: { body: without("total_amount") },
      want: { status: 422, field: "total_amount", location: "body", reason: "is required" },
    },
  ],
  [
    "amount zero",
    {
      given: { body: withBody({ total_amount: 0 }) },
      want: { status: 422, field: "total_amount", location: "body", reason: "must be greater than 0" },
    },
  ],
  [
    "amount negative",
    {
      given: { body: withBody({ total_amount: -10 }) },
      want: { status: 422, field: "total_amount", location: "body", reason: "must be greater than 0" },
    },
  ],
  [
    "amount above the cap",
    {
      given: { body: withBody({ total_amount: 1000000.01 }) },
      want: { status: 422, field: "total_amount", location: "body", reason: "must be at most 1000000" },
    },
  ],
  [
    "amount with three places",
    {
      given: { body: withBody({ total_amount: 10.001 }) },
      want: {
        status: 422,
        field: "total_amount",
        location: "body",
        reason: "must have at most 2 decimal places",
      },
    },
  ],
  [
    "amount whose extra places vanish in a double",
    {
      given: {
        body: '{"buyer_id":1,"product_id":1,"number_of_installments":1,"total_amount":0.0100000000000000001,"purchase_date":"2024-11-05"}',
      },
      want: {
        status: 422,
        field: "total_amount",
        location: "body",
        reason: "must have at most 2 decimal places",
      },
    },
  ],
  [
    "amount in exponent form with three places",
    {
      given: {
        body: '{"buyer_id":1,"product_id":1,"number_of_installments":1,"total_amount":1.5e-3,"purchase_date":"2024-11-05"}',
      },
      want: {
        status: 422,
        field: "total_amount",
        location: "body",
        reason: "must have at most 2 decimal places",
      },
    },
  ],
  [
    "amount as a string",
    {
      given: { body: withBody({ total_amount: "299.90" }) },
      want: { status: 422, field: "total_amount", location: "body", reason: "must be a number" },
    },
  ],
  // purchase_date
  [
    "date missing",
    {
      given: { body: without("purchase_date") },
      want: { status: 422, field: "purchase_date", location: "body", reason: "is required" },
    },
  ],
  [
    "date not in the calendar",
    {
      given: { body: withBody({ purchase_date: "2024-02-30" }) },
      want: {
        status: 422,
        field: "purchase_date",
        location: "body",
        reason: "is not a calendar date (YYYY-MM-DD)",
      },
    },
  ],
  [
    "date in another format",
    {
      given: { body: withBody({ purchase_date: "05/11/2024" }) },
      want: {
        status: 422,
        field: "purchase_date",
        location: "body",
        reason: "is not a calendar date (YYYY-MM-DD)",
      },
    },
  ],
  [
    "date in year 0, which most languages cannot hold",
    {
      given: { body: withBody({ purchase_date: "0000-01-01" }) },
      want: {
        status: 422,
        field: "purchase_date",
        location: "body",
        reason: "must be no earlier than 2000-01-01",
      },
    },
  ],
  [
    "date the day before 2000",
    {
      given: { body: withBody({ purchase_date: "1999-12-31" }) },
      want: {
        status: 422,
        field: "purchase_date",
        location: "body",
        reason: "must be no earlier than 2000-01-01",
      },
    },
  ],
  [
    "date with a five-digit year",
    {
      given: { body: withBody({ purchase_date: "20240-11-05" }) },
      want: {
        status: 422,
        field: "purchase_date",
        location: "body",
        reason: "is not a calendar date (YYYY-MM-DD)",
      },
    },
  ],
  [
    "date two days ahead",
    {
      given: { body: withBody({ purchase_date: utcDate(2) }) },
      want: {
        status: 422,
        field: "purchase_date",
        location: "body",
        reason: /^must be no later than \d{4}-\d{2}-\d{2} \(one day after today's UTC date\)$/,
      },
    },
  ],
  // the body as a whole
  [
    "an unknown field",
    {
      given: { body: withBody({ discount: 5 }) },
      want: { status: 422, field: "discount", location: "body", reason: "is not a known field" },
    },
  ],
  [
    "a JSON array",
    {
      given: { body: "[]" },
      want: { status: 422, field: "body", location: "body", reason: "must be a JSON object" },
    },
  ],
  [
    "JSON null",
    {
      given: { body: "null" },
      want: { status: 422, field: "body", location: "body", reason: "must be a JSON object" },
    },
  ],
  [
    "malformed JSON",
    {
      given: { body: '{"buyer_id": 1,' },
      want: { status: 400, field: "body", location: "body", reason: /^is not valid JSON: / },
    },
  ],
  [
    "an empty body",
    { given: { body: "" }, want: { status: 400, field: "body", location: "body", reason: "is required" } },
  ],
  [
    "bytes that are not UTF-8",
    {
      given: { body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) },
      want: { status: 400, field: "body", location: "body", reason: "is not valid UTF-8" },
    },
  ],
  [
    "a body over 16 KiB",
    {
      given: { body: JSON.stringify({ ...validPurchase(), padding: "x".repeat(16 * 1024) }) },
      want: { status: 413, field: "body", location: "body", reason: "is larger than 16384 bytes" },
    },
  ],
  // headers
  [
    "text/plain",
    {
      given: { headers: { "content-type": "text/plain" }, body: withBody({}) },
      want: { status: 415, field: "content-type", location: "header", reason: "must be application/json" },
    },
  ],
  [
    "no content type",
    {
      given: { headers: {}, body: withBody({}) },
      want: {
        status: 415,
        field: "content-type",
        location: "header",
        reason: "is missing; it must be application/json",
      },
    },
  ],
  [
    "JSON in Latin-1",
    {
      given: { headers: { "content-type": "application/json; charset=iso-8859-1" }, body: withBody({}) },
      want: {
        status: 415,
        field: "content-type",
        location: "header",
        reason: "must be application/json in UTF-8 (charset=utf-8)",
      },
    },
  ],
  [
    "Idempotency-Key with a space",
    {
      given: { headers: { ...JSON_TYPE, "idempotency-key": "order 1" }, body: withBody({}) },
      want: {
        status: 400,
        field: "Idempotency-Key",
        location: "header",
        reason: "must match ^[A-Za-z0-9._:-]+$",
      },
    },
  ],
  [
    "Idempotency-Key too long",
    {
      given: { headers: { ...JSON_TYPE, "idempotency-key": "k".repeat(129) }, body: withBody({}) },
      want: {
        status: 400,
        field: "Idempotency-Key",
        location: "header",
        reason: "must be at most 128 characters long",
      },
    },
  ],
  // path
  [
    "purchase_id not a UUID",
    {
      given: { method: "GET", path: "/purchases/not-a-uuid" },
      want: { status: 400, field: "purchase_id", location: "path", reason: "is not a UUID" },
    },
  ],
  [
    "purchase_id badly percent-encoded",
    {
      given: { method: "GET", path: "/purchases/%E0%A4%A" },
      want: { status: 400, field: "path", location: "path", reason: "is not valid percent-encoding" },
    },
  ],
];

describe("refused requests", () => {
  it.each(cases)("%s", async (_name, { given, want }) => {
    const result = await handler(
      apiEvent({
        method: given.method ?? "POST",
        path: given.path ?? "/purchases",
        headers: given.headers ?? JSON_TYPE,
        ...(given.body === undefined ? {} : { body: given.body }),
      }),
      lambdaContext(),
    );
    expect(result.statusCode).toBe(want.status);
    expect(result.headers?.["content-type"]).toBe("application/problem+json");
    const problem = JSON.parse(result.body ?? "{}");
    expect(validateProblem(problem)).toBe(true);
    expect(problem.status).toBe(want.status);
    const error = problem.errors.find((entry: { field: string }) => entry.field === want.field);
    expect(error).toBeDefined();
    expect(error.location).toBe(want.location);
    if (typeof want.reason === "string") expect(error.reason).toBe(want.reason);
    else expect(error.reason).toMatch(want.reason);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it("lists every invalid field of one request", async () => {
    const body = JSON.stringify({
      buyer_id: 0,
      product_id: "x",
      number_of_installments: 30,
      total_amount: 0.001,
    });
    const result = await handler(
      apiEvent({ method: "POST", path: "/purchases", headers: JSON_TYPE, body }),
      lambdaContext(),
    );
    const fields = JSON.parse(result.body ?? "{}").errors.map((error: { field: string }) => error.field);
    expect(new Set(fields)).toEqual(
      new Set(["buyer_id", "product_id", "number_of_installments", "total_amount", "purchase_date"]),
    );
  });
});

const accepted: [string, { given: Record<string, unknown> | string }][] = [
  ["the smallest amount, in one installment", { given: { total_amount: 0.01, number_of_installments: 1 } }],
  ["the largest amount", { given: { total_amount: 1000000 } }],
  ["24 installments", { given: { number_of_installments: 24 } }],
  ["a purchase dated tomorrow (UTC)", { given: { purchase_date: utcDate(1) } }],
  ["a purchase dated years ago", { given: { purchase_date: "2019-02-28" } }],
  ["the earliest date, 2000-01-01", { given: { purchase_date: "2000-01-01" } }],
  ["a leap day", { given: { purchase_date: "2024-02-29" } }],
  [
    "an amount written with a trailing zero",
    {
      given: `{"buyer_id":1,"product_id":1,"number_of_installments":1,"total_amount":299.90,"purchase_date":"${utcDate()}"}`,
    },
  ],
  [
    "an amount in exponent form",
    {
      given: `{"buyer_id":1,"product_id":1,"number_of_installments":1,"total_amount":2.999e2,"purchase_date":"${utcDate()}"}`,
    },
  ],
];

describe("accepted boundaries", () => {
  it.each(accepted)("%s", async (_name, { given }) => {
    const body = typeof given === "string" ? given : withBody(given);
    const result = await handler(
      apiEvent({ method: "POST", path: "/purchases", headers: JSON_TYPE, body }),
      lambdaContext(),
    );
    expect(result.statusCode).toBe(202);
  });
});

// Each installment is at least 0.01 (openapi.yaml: PurchaseRequest's x-minimum-installment-amount).
const EACH_CENT = "(each installment at least 0.01)";
const installmentCases: [
  string,
  {
    given: { total_amount: number; number_of_installments: number };
    want: { total_amount: string; number_of_installments: string } | "accepted";
  },
][] = [
  ["0.01 in 1 installment", { given: { total_amount: 0.01, number_of_installments: 1 }, want: "accepted" }],
  ["0.03 in 3 installments", { given: { total_amount: 0.03, number_of_installments: 3 }, want: "accepted" }],
  [
    "0.24 in 24 installments",
    { given: { total_amount: 0.24, number_of_installments: 24 }, want: "accepted" },
  ],
  ["0.3 in 24 installments", { given: { total_amount: 0.3, number_of_installments: 24 }, want: "accepted" }],
  [
    "0.01 in 3 installments",
    {
      given: { total_amount: 0.01, number_of_installments: 3 },
      want: {
        total_amount: `must be at least 0.03 for 3 installments ${EACH_CENT}`,
        number_of_installments: `must be at most 1 for a total_amount of 0.01 ${EACH_CENT}`,
      },
    },
  ],
  [
    "0.02 in 3 installments, though 0.02 / 3 rounds to 0.01",
    {
      given: { total_amount: 0.02, number_of_installments: 3 },
      want: {
        total_amount: `must be at least 0.03 for 3 installments ${EACH_CENT}`,
        number_of_installments: `must be at most 2 for a total_amount of 0.02 ${EACH_CENT}`,
      },
    },
  ],
  [
    "0.23 in 24 installments",
    {
      given: { total_amount: 0.23, number_of_installments: 24 },
      want: {
        total_amount: `must be at least 0.24 for 24 installments ${EACH_CENT}`,
        number_of_installments: `must be at most 23 for a total_amount of 0.23 ${EACH_CENT}`,
      },
    },
  ],
  [
    "0.1 in 11 installments (0.1 * 100 is not whole in binary)",
    {
      given: { total_amount: 0.1, number_of_installments: 11 },
      want: {
        total_amount: `must be at least 0.11 for 11 installments ${EACH_CENT}`,
        number_of_installments: `must be at most 10 for a total_amount of 0.10 ${EACH_CENT}`,
      },
    },
  ],
];

describe("each installment is at least 0.01", () => {
  it.each(installmentCases)("%s", async (_name, { given, want }) => {
    const result = await handler(
      apiEvent({ method: "POST", path: "/purchases", headers: JSON_TYPE, body: withBody(given) }),
      lambdaContext(),
    );
    if (want === "accepted") {
      expect(result.statusCode).toBe(202);
      return;
    }
    expect(result.statusCode).toBe(422);
    const problem = JSON.parse(result.body ?? "{}");
    expect(validateProblem(problem)).toBe(true);
    expect(problem.errors).toEqual([
      { field: "total_amount", location: "body", reason: want.total_amount },
      { field: "number_of_installments", location: "body", reason: want.number_of_installments },
    ]);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it("is not checked while either field is invalid on its own", async () => {
    const body = withBody({ total_amount: 0.001, number_of_installments: 3 });
    const result = await handler(
      apiEvent({ method: "POST", path: "/purchases", headers: JSON_TYPE, body }),
      lambdaContext(),
    );
    const fields = JSON.parse(result.body ?? "{}").errors.map((error: { field: string }) => error.field);
    expect(fields).toEqual(["total_amount"]);
  });
});
