import { isTooFarInTheFuture, latestAcceptedPurchaseDate } from "../../../src/purchases/purchase-date";

describe("the purchase_date tolerance (one day after today's UTC date)", () => {
  it.each([
    ["2024-11-05T00:00:00.000Z", "2024-11-06"],
    ["2024-11-05T23:59:59.999Z", "2024-11-06"],
    ["2024-02-28T12:00:00.000Z", "2024-02-29"],
    ["2024-12-31T18:00:00.000Z", "2025-01-01"],
  ])("at %s the latest accepted date is %s", (now, latest) => {
    expect(latestAcceptedPurchaseDate(new Date(now))).toBe(latest);
  });

  it.each([
    ["2024-11-05", false],
    ["2024-11-06", false],
    ["2024-11-07", true],
    ["2025-01-01", true],
    ["2023-11-07", false],
  ])("%s is too far ahead: %s", (date, tooFar) => {
    expect(isTooFarInTheFuture(date, new Date("2024-11-05T23:30:00Z"))).toBe(tooFar);
  });
});
