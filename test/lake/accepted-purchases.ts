/**
 * Purchases the API accepts, as the bronze lines the lake reads: `tsx accepted-purchases.ts COUNT SEED`
 * prints one line of DynamoDB JSON (the incremental export's format) per accepted purchase on stdout,
 * and `{"generated": n, "accepted": n}` on stderr.
 *
 * Candidates are drawn with fast-check across the request's whole domain, weighted to its edges (the
 * least and largest ids, amounts at a cent per installment and around it, 1 and 24 installments, the
 * earliest and the latest dates); the API's own validator decides which are accepted, and the consumer's
 * own mapping turns each into the item it stores.
 */
import { marshall } from "@aws-sdk/util-dynamodb";
import fc from "fast-check";
import { validatePurchaseBody } from "../../src/api/purchase-validation";
import { toMessage } from "../../src/purchases/purchase";
import { EARLIEST_PURCHASE_DATE } from "../../src/purchases/purchase-date";
import { randomPurchaseId } from "../../src/purchases/purchase-id";
import { toItem } from "../../src/purchases/purchase-store";

const [count, seed] = process.argv.slice(2).map(Number);
if (!Number.isInteger(count) || !Number.isInteger(seed)) {
  throw new Error("usage: accepted-purchases.ts COUNT SEED");
}

const MAX_ID = Number.MAX_SAFE_INTEGER;
const MAX_CENTS = 100_000_000;
const DAY_MS = 86_400_000;
const now = new Date();
const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

const id = fc.oneof(fc.constantFrom(1, 2, MAX_ID - 1, MAX_ID), fc.integer({ min: 1, max: MAX_ID }));
const installments = fc.oneof(fc.constantFrom(1, 2, 23, 24), fc.integer({ min: 1, max: 24 }));
const cents = (n: number) =>
  fc.oneof(
    fc.constantFrom(n - 1, n, n + 1, 1, MAX_CENTS - 1, MAX_CENTS, MAX_CENTS + 1),
    fc.integer({ min: 1, max: 100 * n }),
    fc.integer({ min: 1, max: MAX_CENTS }),
  );
const earliest = Date.parse(`${EARLIEST_PURCHASE_DATE}T00:00:00Z`);
const purchaseDate = fc.oneof(
  fc.constantFrom(
    "0000-01-01",
    "1582-10-04",
    isoDate(earliest - DAY_MS),
    EARLIEST_PURCHASE_DATE,
    isoDate(earliest + DAY_MS),
    "2000-02-29",
    "2024-02-29",
    "9999-12-31",
    isoDate(today),
    isoDate(today + DAY_MS),
    isoDate(today + 2 * DAY_MS),
  ),
  fc.integer({ min: earliest - 30 * DAY_MS, max: today + DAY_MS }).map(isoDate),
);
const body = installments.chain((n) =>
  fc.record({
    buyer_id: id,
    product_id: id,
    number_of_installments: fc.constant(n),
    total_amount: cents(n).map((c) => c / 100),
    purchase_date: purchaseDate,
  }),
);

let accepted = 0;
const lines: string[] = [];
for (const candidate of fc.sample(body, { numRuns: count, seed })) {
  const text = JSON.stringify(candidate);
  const validated = validatePurchaseBody(JSON.parse(text), text, now);
  if (!validated.ok) continue;
  accepted += 1;
  const receivedAt = new Date(now.getTime() + accepted);
  // Every third purchase has no owner, as those accepted before owners were stored.
  const createdBy = accepted % 3 === 0 ? undefined : `client-${accepted % 5}`;
  const message = toMessage(validated.request, randomPurchaseId(), receivedAt.toISOString(), createdBy);
  // Stored up to a second later: some cross into the next hour, as the consumer's clock may.
  const image = marshall(toItem(message, new Date(receivedAt.getTime() + (accepted % 1000))), {
    removeUndefinedValues: true,
  });
  lines.push(JSON.stringify({ Keys: { purchase_id: image.purchase_id }, NewImage: image }));
}
process.stdout.write(`${lines.join("\n")}\n`);
process.stderr.write(`${JSON.stringify({ generated: count, accepted })}\n`);
