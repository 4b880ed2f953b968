/**
 * openapi.yaml documents the bounds: a purchase_date is no earlier than 2000-01-01 (datacontract.yaml's
 * minimum; openapi.yaml states it as a pattern on the year, which the generated validator checks and
 * generated clients understand) and at most one day after the server's current UTC date, which covers
 * every time zone ahead of UTC.
 */
import contractSchema from "../../generated/contract/purchases.schema.json";

const DAY_MS = 24 * 60 * 60 * 1000;

/** The earliest purchase_date: the shop sold nothing before it. */
export const EARLIEST_PURCHASE_DATE: string = contractSchema.properties.purchase_date.formatMinimum;

/** The latest purchase_date accepted at `now` (YYYY-MM-DD). */
export function latestAcceptedPurchaseDate(now: Date): string {
  return new Date(now.getTime() + DAY_MS).toISOString().slice(0, 10);
}

/** True when `purchaseDate` (YYYY-MM-DD) is later than the tolerance allows at `now`. */
export function isTooFarInTheFuture(purchaseDate: string, now: Date): boolean {
  // ISO dates of the same length compare as strings in calendar order.
  return purchaseDate > latestAcceptedPurchaseDate(now);
}
