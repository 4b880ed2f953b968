/**
 * The functions as they are deployed: the API and consumer bundles built with serverless.yml's esbuild
 * options, each loaded by a fresh Node process and invoked against the moto server. A purchase posted to
 * the API bundle, stored by the consumer bundle, is read back through the API bundle; bad requests get
 * their problem documents. The build's metafile shows that openapi-backend's router gets the
 * platform-based helpers (src/api/router-deps) and that no other module relies on them.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BUNDLE_RUNNER_SCRIPT,
  type BuiltBundle,
  buildFunction,
  deploymentOptions,
  parseBundleRun,
} from "../support/deployment-build";
import { apiEvent, sqsEvent, sqsRecord, validPurchase } from "../support/events";

jest.setTimeout(120_000);

const work = mkdtempSync(join(tmpdir(), "purchases-bundles-"));
const built: Record<string, BuiltBundle> = {};

/** Invokes a bundle's handler with each event in turn, in one fresh Node process, as Lambda would. */
function invoke(name: string, events: unknown[]): Record<string, unknown>[] {
  const eventsFile = join(work, `${name}-${Date.now()}.json`);
  writeFileSync(eventsFile, JSON.stringify(events));
  const { NODE_OPTIONS: _, ...env } = process.env;
  const output = execFileSync(
    process.execPath,
    [join(work, "invoke.js"), built[name]?.entry ?? name, eventsFile],
    {
      env: { ...env, POWERTOOLS_LOG_LEVEL: "ERROR", NODE_NO_WARNINGS: "1" },
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 64 * 1024 * 1024,
    },
  ).toString();
  return parseBundleRun(output).results;
}

const body = (response: Record<string, unknown> | undefined) =>
  JSON.parse(String(response?.body ?? "null")) as Record<string, unknown>;
const headers = (response: Record<string, unknown> | undefined) =>
  (response?.headers ?? {}) as Record<string, string>;

beforeAll(async () => {
  writeFileSync(join(work, "invoke.js"), BUNDLE_RUNNER_SCRIPT);
  const { options } = deploymentOptions();
  for (const [name, entry] of [
    ["api", "src/api/handler.ts"],
    ["consumer", "src/consumer/handler.ts"],
  ] as const) {
    built[name] = await buildFunction(options, entry, join(work, name));
  }
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the deployment bundles", () => {
  it("give openapi-backend's router the platform helpers instead of lodash and qs, and nothing else uses them", () => {
    for (const [name, { metafile }] of Object.entries(built)) {
      // The metafile's paths are relative to the build's working folder, the repository.
      const inputs = Object.keys(metafile.inputs);
      expect({ name, packages: inputs.filter((path) => /node_modules\/(lodash|qs)\//.test(path)) }).toEqual({
        name,
        packages: [],
      });
      const importers = Object.entries(metafile.inputs)
        .filter(([, input]) => input.imports.some((imported) => imported.path.includes("router-deps")))
        .map(([path]) => path);
      expect(importers.every((path) => path.endsWith("node_modules/openapi-backend/router.js"))).toBe(true);
      if (name === "api") expect(importers).toHaveLength(1);
    }
  });

  it("accept a purchase, store it from its message and answer it on GET, against the emulator", () => {
    const purchase = validPurchase({ buyer_id: 55_001, total_amount: 123.45 });
    const key = `bundle-${Date.now()}`;
    const caller = { caller: "bundle-client", scopes: ["purchases:write", "purchases:read"] };
    const post = apiEvent({
      method: "POST",
      path: "/purchases",
      headers: { "content-type": "application/json", "idempotency-key": key },
      body: JSON.stringify(purchase),
      ...caller,
    });
    const [created, replayed] = invoke("api", [post, post]);
    expect(created?.statusCode).toBe(202);
    const accepted = body(created);
    expect(accepted).toMatchObject(purchase);
    expect(replayed?.statusCode).toBe(202);
    expect(body(replayed).purchase_id).toBe(accepted.purchase_id);

    // The message the consumer receives is the accepted purchase (the topic's raw delivery). A message
    // that breaks the contract beside it is forwarded to the dead-letter queue (the SQS client is loaded
    // only then), so neither is reported as failed.
    const poison = sqsRecord(JSON.stringify({ ...accepted, purchase_id: "not-a-uuid" }));
    const [batch] = invoke("consumer", [sqsEvent([sqsRecord(JSON.stringify(accepted)), poison])]);
    expect(batch).toEqual({ batchItemFailures: [] });

    const [found, missing, others] = invoke("api", [
      apiEvent({ method: "GET", path: `/purchases/${String(accepted.purchase_id)}`, ...caller }),
      apiEvent({ method: "GET", path: "/purchases/00000000-0000-4000-8000-000000000000", ...caller }),
      apiEvent({
        method: "GET",
        path: `/purchases/${String(accepted.purchase_id)}`,
        caller: "another-client",
      }),
    ]);
    expect(found?.statusCode).toBe(200);
    expect(body(found)).toMatchObject({
      ...purchase,
      purchase_id: accepted.purchase_id,
      created_by: "bundle-client",
    });
    expect(missing?.statusCode).toBe(404);
    expect(others?.statusCode).toBe(404);
    expect(others?.body).toBe(missing?.body);
  });

  it("answer bad requests with problem documents that name the field", () => {
    const [invalid, notAllowed, unknown] = invoke("api", [
      apiEvent({
        method: "POST",
        path: "/purchases",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(validPurchase({ number_of_installments: 0 })),
      }),
      apiEvent({ method: "DELETE", path: "/purchases" }),
      apiEvent({ method: "GET", path: "/nowhere" }),
    ]);
    expect(invalid?.statusCode).toBe(422);
    expect(headers(invalid)["content-type"]).toBe("application/problem+json");
    expect(body(invalid).errors).toEqual([
      expect.objectContaining({ field: "number_of_installments", location: "body" }),
    ]);
    expect(notAllowed?.statusCode).toBe(405);
    expect(headers(notAllowed).allow).toBe("POST");
    expect(unknown?.statusCode).toBe(404);
  });
});
