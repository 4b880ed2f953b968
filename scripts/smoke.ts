/**
 * `npm run smoke -- --stage <stage>`: one purchase through a deployed stage. Reads the API's URL from
 * the stack's outputs, gets an access token from the stage's identity provider (OAuth2 client
 * credentials), POSTs the request example of openapi.yaml dated today, then reads the purchase back
 * until the consumer has stored it. Exits non-zero, naming the step, when any step fails.
 *
 * Settings (the stage's GitHub environment holds them): SMOKE_TOKEN_URL, SMOKE_CLIENT_ID,
 * SMOKE_CLIENT_SECRET, and SMOKE_SCOPE to ask for other scopes than those the two operations require.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { type components, createPurchasesClient } from "../generated/client";
import openapi from "../generated/openapi/openapi.json";
import { ReleaseError, requireOutput, stackOutputs, stageArgument } from "./release/stack-outputs";

type PurchaseRequest = components["schemas"]["PurchaseRequest"];
type Fetch = typeof fetch;

export interface SmokeSettings {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope: string;
}

interface SecuredOperation {
  security?: Record<string, string[]>[];
}

/**
 * The scopes the check needs, from openapi.yaml: the first security requirement of each operation it
 * calls (for the read, the one that reads the caller's own purchases), space-separated as OAuth2 asks.
 */
export function smokeScopes(): string {
  const operations: SecuredOperation[] = [
    openapi.paths["/purchases"].post,
    openapi.paths["/purchases/{purchase_id}"].get,
  ];
  const scopes = operations.flatMap((operation) => Object.values(operation.security?.[0] ?? {}).flat());
  return [...new Set(scopes)].join(" ");
}

/** The settings from the environment; names every missing variable. */
export function smokeSettings(env: NodeJS.ProcessEnv): SmokeSettings {
  const names = ["SMOKE_TOKEN_URL", "SMOKE_CLIENT_ID", "SMOKE_CLIENT_SECRET"] as const;
  const missing = names.filter((name) => !env[name]);
  if (missing.length > 0) throw new ReleaseError(`missing environment variables: ${missing.join(", ")}`);
  return {
    tokenUrl: env.SMOKE_TOKEN_URL as string,
    clientId: env.SMOKE_CLIENT_ID as string,
    clientSecret: env.SMOKE_CLIENT_SECRET as string,
    scope: env.SMOKE_SCOPE || smokeScopes(),
  };
}

/** An access token by the client-credentials grant (RFC 6749 4.4), the client authenticated by HTTP Basic. */
export async function fetchAccessToken(settings: SmokeSettings, fetchImpl: Fetch = fetch): Promise<string> {
  const form = new URLSearchParams({ grant_type: "client_credentials", scope: settings.scope });
  // RFC 6749 2.3.1: the id and secret are form-encoded before they are joined.
  const basic = Buffer.from(
    `${encodeURIComponent(settings.clientId)}:${encodeURIComponent(settings.clientSecret)}`,
  ).toString("base64");
  const response = await fetchImpl(settings.tokenUrl, {
    method: "POST",
    headers: {
      authorization: `Basic ${basic}`,
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
    },
    body: form.toString(),
  });
  const text = await response.text();
  if (!response.ok) {
    throw new ReleaseError(`token endpoint answered ${response.status}: ${text.slice(0, 200)}`);
  }
  const body = JSON.parse(text) as { access_token?: unknown; token_type?: unknown };
  if (typeof body.access_token !== "string" || body.access_token === "") {
    throw new ReleaseError("token endpoint answered without an access_token");
  }
  if (typeof body.token_type === "string" && body.token_type.toLowerCase() !== "bearer") {
    throw new ReleaseError(`token endpoint answered a ${body.token_type} token, not a bearer token`);
  }
  return body.access_token;
}

/** The request example of openapi.yaml, dated today (UTC): the API accepts no date far from today. */
export function smokePurchase(today: Date): PurchaseRequest {
  const example =
    openapi.paths["/purchases"].post.requestBody.content["application/json"].examples.single.value;
  return { ...example, purchase_date: today.toISOString().slice(0, 10) };
}

export interface SmokeRun {
  apiUrl: string;
  token: string;
  idempotencyKey: string;
  fetchImpl?: Fetch;
  /** How long the consumer may take to store the purchase. */
  timeoutMs?: number;
  pollIntervalMs?: number;
  now?: () => Date;
}

export interface SmokeResult {
  purchaseId: string;
  reads: number;
  storedAfterMs: number;
}

export async function smokeCheck(run: SmokeRun): Promise<SmokeResult> {
  const { timeoutMs = 60_000, pollIntervalMs = 2_000, now = () => new Date() } = run;
  const client = createPurchasesClient(run.apiUrl, {
    headers: { authorization: `Bearer ${run.token}` },
    ...(run.fetchImpl ? { fetch: run.fetchImpl } : {}),
  });
  const started = now().getTime();
  const posted = await client.POST("/purchases", {
    body: smokePurchase(now()),
    params: { header: { "Idempotency-Key": run.idempotencyKey } },
  });
  if (posted.response.status !== 202 || !posted.data) {
    throw new ReleaseError(
      `POST /purchases answered ${posted.response.status}: ${JSON.stringify(posted.error ?? posted.data)}`,
    );
  }
  const purchaseId = posted.data.purchase_id;
  for (let reads = 1; ; reads++) {
    const read = await client.GET("/purchases/{purchase_id}", {
      params: { path: { purchase_id: purchaseId } },
    });
    const status = read.response.status;
    if (status === 200 && read.data?.status === "stored") {
      return { purchaseId, reads, storedAfterMs: now().getTime() - started };
    }
    if (status !== 200 && status !== 404) {
      throw new ReleaseError(
        `GET /purchases/${purchaseId} answered ${status}: ${JSON.stringify(read.error)}`,
      );
    }
    if (now().getTime() - started + pollIntervalMs > timeoutMs) {
      throw new ReleaseError(`purchase ${purchaseId} was not stored within ${timeoutMs} ms (${reads} reads)`);
    }
    await sleep(pollIntervalMs);
  }
}

async function main(): Promise<void> {
  const stage = stageArgument(process.argv.slice(2));
  const settings = smokeSettings(process.env);
  const apiUrl = requireOutput(await stackOutputs(stage), "HttpApiUrl", stage);
  const token = await fetchAccessToken(settings);
  const run = process.env.GITHUB_RUN_ID
    ? `${process.env.GITHUB_RUN_ID}-${process.env.GITHUB_RUN_ATTEMPT ?? 1}`
    : Date.now();
  const idempotencyKey = `smoke-${stage}-${run}`;
  console.log(`smoke check of ${stage} at ${apiUrl}`);
  const result = await smokeCheck({ apiUrl, token, idempotencyKey });
  console.log(
    `purchase ${result.purchaseId} stored after ${result.storedAfterMs} ms (${result.reads} reads)`,
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`smoke check failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
