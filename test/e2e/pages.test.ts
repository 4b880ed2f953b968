/**
 * The pages for people, in a real browser: Debian's headless Chromium opens /docs and /contract on the
 * local server and must find every operation of openapi.yaml and every field of datacontract.yaml, and on
 * /contract the contract's version and its changelog against the released one in contracts/released/.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { parse } from "yaml";

const root = join(__dirname, "..", "..");
const apiUrl = process.env.API_URL ?? "";
const openapi = parse(readFileSync(join(root, "openapi.yaml"), "utf8"));
const contractText = readFileSync(join(root, "datacontract.yaml"), "utf8");
const contract = parse(contractText);
const releasedText = readFileSync(join(root, "contracts", "released", "datacontract.yaml"), "utf8");
const released = parse(releasedText);

const operations: [string, string, string][] = Object.values(
  openapi.paths as Record<string, Record<string, { operationId: string; summary: string; tags: string[] }>>,
).flatMap((methods) =>
  Object.values(methods).map((op): [string, string, string] => [
    op.operationId,
    op.summary,
    op.tags[0] ?? "",
  ]),
);
const contractFields: [string, string][] = (
  contract.schema as { name: string; properties: { name: string }[] }[]
).flatMap((object) => object.properties.map((p): [string, string] => [object.name, p.name]));

let browser: Browser;

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    // The machine has no network beyond loopback: keep Chromium from reaching for Google's services.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

async function visibleText(path: string): Promise<string> {
  const page = await browser.newPage();
  try {
    const response = await page.goto(`${apiUrl}${path}`, { waitUntil: "load" });
    expect(response?.status()).toBe(200);
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the text a person sees, which is what this test checks.
    return await page.locator("body").innerText();
  } finally {
    await page.close();
  }
}

describe("the API reference at /docs", () => {
  // Redoc shows one tag's operations at a time: open each tag from the sidebar, as a reader would.
  const tags = [...new Set(operations.map(([, , tag]) => tag))];
  const textByTag = new Map<string, string>();
  beforeAll(async () => {
    const page = await browser.newPage();
    try {
      const response = await page.goto(`${apiUrl}/docs`, { waitUntil: "load" });
      expect(response?.status()).toBe(200);
      for (const tag of tags) {
        await page.getByRole("link", { name: tag, exact: true }).first().click();
        await page
          .getByText(operations.find(([, , t]) => t === tag)?.[1] ?? tag)
          .first()
          .waitFor();
        // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the text a person sees, which is what this test checks.
        textByTag.set(tag, await page.locator("body").innerText());
      }
    } finally {
      await page.close();
    }
  }, 60_000);

  it.each(operations)("shows operation %s (%s) under its tag", (_operationId, summary, tag) => {
    expect(textByTag.get(tag)).toContain(summary);
  });
});

describe("the data contract at /contract", () => {
  let text = "";
  beforeAll(async () => {
    text = await visibleText("/contract");
  }, 60_000);

  it.each([...new Set(contractFields.map(([object]) => object))])("shows schema object %s", (object) => {
    expect(text).toContain(object);
  });

  it.each(contractFields)("shows %s.%s", (_object, field) => {
    expect(text).toContain(field);
  });

  it("shows the contract's version and its changelog against the released version", () => {
    expect(text).toContain("Changelog");
    expect(text).toContain(`Version ${contract.version} against the released version ${released.version}`);
    if (contractText === releasedText) {
      expect(text).toContain(`No changes since the released version ${released.version}.`);
    } else {
      expect(text).toMatch(new RegExp(`\\d+ changes? since the released version ${released.version}`));
    }
  });
});
