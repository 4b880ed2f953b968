/**
 * A purchase body is checked by the validator generated from openapi.yaml (including the earliest
 * purchase_date, a pattern on its year), then by the two rules a JSON Schema cannot state: the places of
 * total_amount as the client wrote them, and the purchase_date tolerance (at most one day after today's
 * UTC date).
 */
import { validatePurchaseRequest } from "../../generated/validators/api";
import { toFieldErrors } from "../field-errors";
import { AMOUNT_DECIMAL_PLACES, decimalPlaces } from "../purchases/money";
import type { PurchaseRequest } from "../purchases/purchase";
import {
  EARLIEST_PURCHASE_DATE,
  isTooFarInTheFuture,
  latestAcceptedPurchaseDate,
} from "../purchases/purchase-date";
import type { FieldError } from "./http";
import { numberLiteral } from "./request-body";

export type ValidatedPurchase = { ok: true; request: PurchaseRequest } | { ok: false; errors: FieldError[] };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function literalHasTooManyPlaces(text: string): boolean {
  const literal = numberLiteral(text, "total_amount");
  if (literal === undefined) return false;
  try {
    return decimalPlaces(literal) > AMOUNT_DECIMAL_PLACES;
  } catch {
    // Not a plain number literal (the member sits inside a string): the schema's checks apply.
    return false;
  }
}

const hasErrorFor = (errors: FieldError[], field: string) => errors.some((error) => error.field === field);

/**
 * The schema's pattern on purchase_date bounds its year: said in words rather than as a regex, and only
 * for a date that is otherwise well formed (a malformed one is already refused as no calendar date).
 */
function earliestDateInWords(errors: FieldError[]): FieldError[] {
  const isPattern = (error: FieldError) =>
    error.field === "purchase_date" && error.reason.startsWith("must match ");
  const malformed = errors.some((error) => error.field === "purchase_date" && !isPattern(error));
  return errors.flatMap((error) => {
    if (!isPattern(error)) return [error];
    return malformed ? [] : [{ ...error, reason: `must be no earlier than ${EARLIEST_PURCHASE_DATE}` }];
  });
}

export function validatePurchaseBody(value: unknown, text: string, now: Date): ValidatedPurchase {
  const errors = validatePurchaseRequest(value)
    ? []
    : earliestDateInWords(toFieldErrors(validatePurchaseRequest.errors, "body", "body"));
  if (isObject(value)) {
    if (
      typeof value.total_amount === "number" &&
      !hasErrorFor(errors, "total_amount") &&
      literalHasTooManyPlaces(text)
    ) {
      errors.push({
        field: "total_amount",
        location: "body",
        reason: `must have at most ${AMOUNT_DECIMAL_PLACES} decimal places`,
      });
    }
    if (
      typeof value.purchase_date === "string" &&
      !hasErrorFor(errors, "purchase_date") &&
      isTooFarInTheFuture(value.purchase_date, now)
    ) {
      errors.push({
        field: "purchase_date",
        location: "body",
        reason: `must be no later than ${latestAcceptedPurchaseDate(now)} (one day after today's UTC date)`,
      });
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, request: value as PurchaseRequest };
}
