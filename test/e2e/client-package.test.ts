/**
 * The typed client as client teams get it: `npm run client:pack`'s tarball, installed into a scratch
 * project from the npm cache, type-checks against its declarations and stores a purchase through the
 * running local system.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { apiVersion, CLIENT_PACKAGE, clientTarballName, packClient } from "../../scripts/client-pack";

const run = promisify(execFile);
const ROOT = join(__dirname, "..", "..");
const apiUrl = process.env.API_URL ?? "";

// Packing compiles the client; installing reads openapi-fetch from the npm cache.
jest.setTimeout(120_000);

const USES_THE_TYPES = `
import { createPurchasesClient, type components } from "${CLIENT_PACKAGE}";
const client = createPurchasesClient("http://127.0.0.1:1");
const body: components["schemas"]["PurchaseRequest"] = {
  buyer_id: 1, product_id: 2, number_of_installments: 3, total_amount: 10.5, purchase_date: "2024-11-05",
};
export const ok = client.POST("/purchases", { body });
// @ts-expect-error an operation openapi.yaml does not have
export const unknownPath = client.GET("/orders");
// @ts-expect-error total_amount is a number
export const wrongType = client.POST("/purchases", { body: { ...body, total_amount: "10.50" } });
`;

const STORES_A_PURCHASE = `
const { createPurchasesClient } = require("${CLIENT_PACKAGE}");
const client = createPurchasesClient(process.argv[2]);
(async () => {
  const body = { buyer_id: 7, product_id: 8, number_of_installments: 2, total_amount: 42.1,
    purchase_date: new Date().toISOString().slice(0, 10) };
  const posted = await client.POST("/purchases", { body });
  for (let i = 0; i < 100; i++) {
    const read = await client.GET("/purchases/{purchase_id}", { params: { path: { purchase_id: posted.data.purchase_id } } });
    if (read.data && read.data.status === "stored") {
      console.log(JSON.stringify({ posted: posted.response.status, stored: read.data }));
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error("not stored");
})().catch((error) => { console.error(error); process.exit(1); });
`;

describe(`the ${CLIENT_PACKAGE} package`, () => {
  const work = mkdtempSync(join(tmpdir(), "client-package-"));
  const scratch = join(work, "scratch");
  let tarball = "";

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  beforeAll(async () => {
    tarball = packClient(join(work, "dist"));
    mkdirSync(scratch);
    writeFileSync(join(scratch, "package.json"), JSON.stringify({ name: "scratch", private: true }));
    await run(
      "npm",
      ["install", tarball, "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"],
      { cwd: scratch },
    );
  });

  it("is named and versioned after openapi.yaml, and depends on the pinned openapi-fetch only", () => {
    expect(basename(tarball)).toBe(clientTarballName(apiVersion()));
    const installed = JSON.parse(
      readFileSync(join(scratch, "node_modules", CLIENT_PACKAGE, "package.json"), "utf8"),
    );
    const project = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    expect(installed.version).toBe(apiVersion());
    expect(installed.dependencies).toEqual({ "openapi-fetch": project.devDependencies["openapi-fetch"] });
    const scratchManifest = JSON.parse(readFileSync(join(scratch, "package.json"), "utf8"));
    expect(scratchManifest.dependencies[CLIENT_PACKAGE]).toMatch(/^file:/);
  });

  it("type-checks a caller against its declarations, refusing what openapi.yaml does not allow", async () => {
    writeFileSync(join(scratch, "uses-the-types.ts"), USES_THE_TYPES);
    const tsc = join(ROOT, "node_modules", ".bin", "tsc");
    const args = [
      "--noEmit",
      "--strict",
      "--target",
      "es2022",
      "--module",
      "commonjs",
      "--lib",
      "es2023,dom",
    ];
    await expect(run(tsc, [...args, "uses-the-types.ts"], { cwd: scratch })).resolves.toBeDefined();

    // The same caller without the expectations fails: the declarations do carry the API's types.
    writeFileSync(join(scratch, "breaks.ts"), USES_THE_TYPES.replaceAll("// @ts-expect-error", "//"));
    const failed = await run(tsc, [...args, "breaks.ts"], { cwd: scratch }).catch((error) => error);
    const lines = USES_THE_TYPES.split("\n");
    const expected = lines.flatMap((line, i) => (line.startsWith("// @ts-expect-error") ? [i + 2] : []));
    const reported = [...String(failed.stdout).matchAll(/^breaks\.ts\((\d+),\d+\): error/gm)].map((m) =>
      Number(m[1]),
    );
    expect(reported).toEqual(expected);
  });

  it("stores a purchase through the local API from plain JavaScript", async () => {
    writeFileSync(join(scratch, "stores-a-purchase.js"), STORES_A_PURCHASE);
    const { stdout } = await run(process.execPath, ["stores-a-purchase.js", apiUrl], { cwd: scratch });
    const result = JSON.parse(stdout);
    expect(result.posted).toBe(202);
    expect(result.stored).toMatchObject({ status: "stored", buyer_id: 7, total_amount: 42.1 });
  });
});
