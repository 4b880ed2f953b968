/**
 * Drives the running API through the TypeScript client openapi-generator made of openapi.yaml
 * (typescript-fetch), type-checked and run by the e2e test with the tsconfig scripts/generate-clients.sh
 * writes, which maps `purchases-client` to the generated code.
 *
 *   tsx --tsconfig OUTDIR/tsconfig.json test/e2e/clients/typescript-client.ts API_URL
 *
 * Each case calls the API through the generated client and records what came back as the generated
 * model it was read into; the JSON list on stdout is checked by test/e2e/generated-clients.test.ts.
 */
import {
  Configuration,
  HealthFromJSON,
  HealthToJSON,
  instanceOfFieldError,
  instanceOfHealth,
  instanceOfProblem,
  instanceOfPurchase,
  OperationsApi,
  ProblemFromJSON,
  ProblemToJSON,
  type Purchase,
  type PurchaseRequest,
  PurchasesApi,
  PurchaseToJSON,
  ResponseError,
} from "purchases-client";

const apiUrl = process.argv[2] ?? "";

interface Result {
  case: string;
  status: number;
  model: "Purchase" | "Health" | "Problem";
  value: unknown;
  headers: Record<string, string>;
}
const results: Result[] = [];

const config = (basePath = apiUrl) => new Configuration({ basePath });
const purchases = new PurchasesApi(config());

function headersOf(response: Response): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of ["location", "allow"]) {
    const value = response.headers.get(name);
    if (value !== null) kept[name] = value;
  }
  return kept;
}

function utcDate(days = 0): Date {
  // typescript-fetch serializes a date in local time: local midnight of the UTC day.
  const utc = new Date(Date.now() + days * 86_400_000);
  return new Date(utc.getUTCFullYear(), utc.getUTCMonth(), utc.getUTCDate());
}

function purchase(overrides: Partial<PurchaseRequest> = {}): PurchaseRequest {
  return {
    buyerId: 1042,
    productId: 77,
    numberOfInstallments: 3,
    totalAmount: 299.9,
    purchaseDate: utcDate(),
    ...overrides,
  };
}

/** A refusal read into the generated Problem model, or a failure naming what did not fit. */
async function problemOf(name: string, error: unknown): Promise<Result> {
  if (!(error instanceof ResponseError)) throw error;
  const body: unknown = await error.response.json();
  const fits =
    typeof body === "object" &&
    body !== null &&
    instanceOfProblem(body) &&
    (ProblemFromJSON(body).errors ?? []).every((entry) => instanceOfFieldError(entry));
  if (!fits) throw new Error(`${name}: ${error.response.status} is not a Problem: ${JSON.stringify(body)}`);
  return {
    case: name,
    status: error.response.status,
    model: "Problem",
    value: ProblemToJSON(ProblemFromJSON(body)),
    headers: headersOf(error.response),
  };
}

async function purchaseCall(
  name: string,
  send: () => Promise<{ raw: Response; value(): Promise<Purchase> }>,
): Promise<Purchase | undefined> {
  try {
    const answer = await send();
    const json: unknown = await answer.raw.clone().json();
    if (typeof json !== "object" || json === null || !instanceOfPurchase(json)) {
      throw new Error(`${name}: ${answer.raw.status} is not a Purchase: ${JSON.stringify(json)}`);
    }
    const value = await answer.value();
    if (Number.isNaN(value.purchaseDate.getTime()) || Number.isNaN(value.receivedAt.getTime())) {
      throw new Error(`${name}: the Purchase's dates could not be read: ${JSON.stringify(json)}`);
    }
    results.push({
      case: name,
      status: answer.raw.status,
      model: "Purchase",
      // The model's JSON leaves out what the API assigns (readOnly): it is a request body's shape.
      value: {
        ...PurchaseToJSON(value),
        purchase_id: value.purchaseId,
        status: value.status,
        received_at: value.receivedAt.toISOString(),
      },
      headers: headersOf(answer.raw),
    });
    return value;
  } catch (error) {
    results.push(await problemOf(name, error));
    return undefined;
  }
}

async function errorCall(name: string, send: () => Promise<unknown>): Promise<void> {
  try {
    await send();
    throw new Error(`${name}: answered with a success`);
  } catch (error) {
    results.push(await problemOf(name, error));
  }
}

async function main(): Promise<void> {
  const health = await new OperationsApi(config()).getHealthRaw();
  const healthJson: unknown = await health.raw.clone().json();
  if (typeof healthJson !== "object" || healthJson === null || !instanceOfHealth(healthJson)) {
    throw new Error(`health is not a Health: ${JSON.stringify(healthJson)}`);
  }
  results.push({
    case: "health",
    status: health.raw.status,
    model: "Health",
    value: HealthToJSON(HealthFromJSON(healthJson)),
    headers: {},
  });

  const key = `ts-client-${Date.now()}`;
  const created = await purchaseCall("create", () =>
    purchases.createPurchaseRaw({ purchaseRequest: purchase({ productId: 4444 }), idempotencyKey: key }),
  );
  await purchaseCall("replay", () =>
    purchases.createPurchaseRaw({ purchaseRequest: purchase({ productId: 4444 }), idempotencyKey: key }),
  );
  await errorCall("conflict", () =>
    purchases.createPurchase({ purchaseRequest: purchase({ totalAmount: 1 }), idempotencyKey: key }),
  );

  // Until the consumer has stored it, the purchase is a 404 problem; then a stored Purchase.
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const stored = await purchases.getPurchaseRaw({ purchaseId: created?.purchaseId ?? "" });
      await purchaseCall("read", async () => stored);
      break;
    } catch (error) {
      const notYet = await problemOf("read", error);
      if (notYet.status !== 404 || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  await errorCall("date after tomorrow", () =>
    purchases.createPurchase({ purchaseRequest: purchase({ purchaseDate: utcDate(3) }) }),
  );
  // The generated TypeScript models check no schema rule: the API refuses what the client sends.
  const yearZero = new Date(0);
  yearZero.setFullYear(0, 0, 1);
  yearZero.setHours(0, 0, 0, 0);
  await errorCall("date in year 0", () =>
    purchases.createPurchase({ purchaseRequest: purchase({ purchaseDate: yearZero }) }),
  );
  await errorCall("malformed key", () =>
    purchases.createPurchase({ purchaseRequest: purchase(), idempotencyKey: "order 1" }),
  );
  await errorCall("malformed id", () => purchases.getPurchase({ purchaseId: "42" }));
  await errorCall("unknown id", () =>
    purchases.getPurchase({ purchaseId: "00000000-0000-4000-8000-000000000000" }),
  );
  await errorCall("charset not utf-8", () =>
    purchases.createPurchase({ purchaseRequest: purchase() }, async ({ init }) => ({
      headers: {
        ...(init.headers as Record<string, string>),
        "Content-Type": "application/json; charset=iso-8859-1",
      },
    })),
  );
  // A wrong server URL: a path with no operation, and a path that exists only with another method.
  await errorCall("unknown route", () => new OperationsApi(config(`${apiUrl}/v2`)).getHealth());
  await errorCall("wrong method", () =>
    new PurchasesApi(config(`${apiUrl}/purchases`)).createPurchase({ purchaseRequest: purchase() }),
  );
  // The client's middleware sees the request as it will be sent: the padded body is no PurchaseRequest.
  const padded = purchases.withMiddleware({
    pre: async ({ url, init }) => ({
      url,
      init: {
        ...init,
        body: JSON.stringify({ ...JSON.parse(String(init.body)), padding: "x".repeat(20_000) }),
      },
    }),
  });
  await errorCall("body over 16 KiB", () => padded.createPurchase({ purchaseRequest: purchase() }));

  process.stdout.write(JSON.stringify(results));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
