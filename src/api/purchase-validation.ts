/**
 * A purchase body is checked by the validator generated from openapi.yaml (including the earliest
 * purchase_date, a pattern on its year), then by the rules a JSON Schema cannot state: the places of
 * total_amount as the client wrote them, the purchase_date tolerance (at most one day after today's UTC
 * date), and the least amount of an installment.
 */
import document from "../../generated/openapi/openapi.json";
import { validatePurchaseRequest } from "../../generated/validators/api";
import { type FieldError, toFieldErrors } from "../field-errors";
import { AMOUNT_DECIMAL_PLACES, centsToText, decimalPlaces, toCents } from "../purchases/money";
import type { PurchaseRequest } from "../purchases/purchase";
import {
  EARLIEST_PURCHASE_DATE,
  isTooFarInTheFuture,
  latestAcceptedPurchaseDate,
} from "../purchases/purchase-date";
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

/** The least amount of one installment, in cents (openapi.yaml: PurchaseRequest's x-minimum-installment-amount). */
const MINIMUM_INSTALLMENT_CENTS = toCents(
  document.components.schemas.PurchaseRequest["x-minimum-installment-amount"],
);

/** The two errors of a total that does not cover the least installment amount times the installments. */
function installmentErrors(total: number, installments: number): FieldError[] {
  const totalCents = toCents(total);
  if (totalCents >= MINIMUM_INSTALLMENT_CENTS * installments) return [];
  const why = `(each installment at least ${centsToText(MINIMUM_INSTALLMENT_CENTS)})`;
  const atMost = Math.floor(totalCents / MINIMUM_INSTALLMENT_CENTS);
  return [
    {
      field: "total_amount",
      location: "body",
      reason: `must be at least ${centsToText(MINIMUM_INSTALLMENT_CENTS * installments)} for ${installments} installments ${why}`,
    },
    {
      field: "number_of_installments",
      location: "body",
      reason: `must be at most ${atMost} for a total_amount of ${centsToText(totalCents)} ${why}`,
    },
  ];
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
    if (
      typeof value.total_amount === "number" &&
      typeof value.number_of_installments === "number" &&
      !hasErrorFor(errors, "total_amount") &&
      !hasErrorFor(errors, "number_of_installments")
    ) {
      errors.push(...installmentErrors(value.total_amount, value.number_of_installments));
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, request: value as PurchaseRequest };
}
