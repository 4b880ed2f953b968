/**
 * openapi.yaml documents the bounds: a purchase_date is no earlier than 2000-01-01 (its pattern, which the
 * generated validator checks) and at most one day after the server's current UTC date, which covers every
 * time zone ahead of UTC.
 */
const DAY_MS = 24 * 60 * 60 * 1000;

/** The earliest purchase_date openapi.yaml's pattern accepts: the shop sold nothing before 2000. */
export const EARLIEST_PURCHASE_DATE = "2000-01-01";

/** The latest purchase_date accepted at `now` (YYYY-MM-DD). */
export function latestAcceptedPurchaseDate(now: Date): string {
  return new Date(now.getTime() + DAY_MS).toISOString().slice(0, 10);
}

/** True when `purchaseDate` (YYYY-MM-DD) is later than the tolerance allows at `now`. */
export function isTooFarInTheFuture(purchaseDate: string, now: Date): boolean {
  // ISO dates of the same length compare as strings in calendar order.
  return purchaseDate > latestAcceptedPurchaseDate(now);
}
