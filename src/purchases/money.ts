/**
 * Amounts are exact to the cent from the client's JSON text to the DynamoDB Number: the service never
 * computes with them. A JSON number is parsed into the nearest binary double, so what the service carries
 * is the double nearest to a decimal with at most two places; these helpers check the decimal text the
 * client sent and turn the double back into that exact text for storage.
 */
import { MoneyError } from "./errors";

/** Places of an amount, as openapi.yaml (x-decimal-places) and datacontract.yaml (decimal(p,2)) bound them. */
export const AMOUNT_DECIMAL_PLACES = 2;

const JSON_NUMBER = /^-?(0|[1-9]\d*)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * The decimal places a JSON number literal really has, by its text: "299.90" has 1, "1.5e-1" has 2,
 * "0.0100000000000000001" has 19 although it parses to the same double as 0.01.
 */
export function decimalPlaces(literal: string): number {
  const match = JSON_NUMBER.exec(literal.trim());
  if (!match) throw new MoneyError(`"${literal}" is not a JSON number`);
  const fraction = match[2] ?? "";
  let digits = `${match[1]}${fraction}`;
  let scale = fraction.length - Number(match[3] ?? "0");
  if (/^0+$/.test(digits)) return 0;
  while (digits.endsWith("0")) {
    digits = digits.slice(0, -1);
    scale -= 1;
  }
  return Math.max(0, scale);
}

/** An amount with at most two places as whole cents, e.g. 299.9 -> 29990 (exact: the product is rounded). */
export function toCents(amount: number): number {
  return Math.round(amount * 10 ** AMOUNT_DECIMAL_PLACES);
}

/** Whole cents as an amount's text with two places, e.g. 3 -> "0.03". */
export function centsToText(cents: number): string {
  const text = String(cents).padStart(AMOUNT_DECIMAL_PLACES + 1, "0");
  return `${text.slice(0, -AMOUNT_DECIMAL_PLACES)}.${text.slice(-AMOUNT_DECIMAL_PLACES)}`;
}

const DECIMAL_AMOUNT = /^\d+(?:\.\d{1,2})?$/;

/**
 * The exact decimal text of an amount with at most two places, e.g. 299.9 -> "299.9". JavaScript prints
 * the shortest text that reads back as the same double, which for such an amount is the amount itself;
 * anything else (more places, exponent notation, a negative) is refused rather than rounded.
 */
export function amountToDecimalString(amount: number): string {
  const text = String(amount);
  if (!Number.isFinite(amount) || !DECIMAL_AMOUNT.test(text)) {
    throw new MoneyError(`${text} is not an amount with at most ${AMOUNT_DECIMAL_PLACES} decimal places`);
  }
  return text;
}
