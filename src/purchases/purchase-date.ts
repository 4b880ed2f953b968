/**
 * openapi.yaml documents the tolerance: a purchase_date may be at most one day after the server's current
 * UTC date, which covers every time zone ahead of UTC.
 */
const DAY_MS = 24 * 60 * 60 * 1000;

/** The latest purchase_date accepted at `now` (YYYY-MM-DD). */
export function latestAcceptedPurchaseDate(now: Date): string {
  return new Date(now.getTime() + DAY_MS).toISOString().slice(0, 10);
}

/** True when `purchaseDate` (YYYY-MM-DD) is later than the tolerance allows at `now`. */
export function isTooFarInTheFuture(purchaseDate: string, now: Date): boolean {
  // ISO dates of the same length compare as strings in calendar order.
  return purchaseDate > latestAcceptedPurchaseDate(now);
}
