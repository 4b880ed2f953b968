/**
 * Ingesting one message from the purchases queue: check it against the data contract, then store it
 * once. A message that breaks the contract goes to the dead-letter queue with its reason (retrying it
 * would fail the same way); a failure of the table is thrown, so that the queue delivers it again.
 */
import { contractVersion, validatePurchaseMessage } from "../../generated/validators/contract";
import { config } from "../config";
import { toFieldErrors } from "../field-errors";
import { MoneyError } from "../purchases/errors";
import { amountToDecimalString } from "../purchases/money";
import type { PurchaseMessage } from "../purchases/purchase";
import { storePurchase } from "../purchases/purchase-store";
import { deadLetter } from "./dead-letter";

/** A message as the queue delivered it, with its string message attributes. */
export interface IncomingMessage {
  id: string;
  body: string;
  attributes: Record<string, string>;
}

export type IngestOutcome =
  | { outcome: "stored" | "duplicate"; purchaseId: string }
  | { outcome: "dead-lettered"; reason: string };

export type ContractCheck = { ok: true; message: PurchaseMessage } | { ok: false; reason: string };

const major = (version: string) => version.split(".")[0];

/** Checks a message against the data contract this consumer was generated from. */
export function checkContract(message: IncomingMessage): ContractCheck {
  const version = message.attributes[config.schemaVersionAttribute];
  if (version !== undefined && major(version) !== major(contractVersion)) {
    return {
      ok: false,
      reason: `${config.schemaVersionAttribute} ${version} is not supported (this consumer reads ${major(contractVersion)}.x)`,
    };
  }
  let body: unknown;
  try {
    body = JSON.parse(message.body);
  } catch {
    // The parser's message quotes the body; the body travels to the DLQ anyway, the reason stays short.
    return { ok: false, reason: "body: is not valid JSON" };
  }
  if (!validatePurchaseMessage(body)) {
    const errors = toFieldErrors(validatePurchaseMessage.errors, "body", "body");
    return { ok: false, reason: errors.map((error) => `${error.field}: ${error.reason}`).join("; ") };
  }
  try {
    amountToDecimalString(body.total_amount);
  } catch (error) {
    if (error instanceof MoneyError) return { ok: false, reason: `total_amount: ${error.message}` };
    throw error;
  }
  return { ok: true, message: body };
}

export async function ingestMessage(message: IncomingMessage, now: () => Date): Promise<IngestOutcome> {
  const checked = checkContract(message);
  if (!checked.ok) {
    await deadLetter(message, checked.reason);
    return { outcome: "dead-lettered", reason: checked.reason };
  }
  const outcome = await storePurchase(checked.message, now());
  return { outcome, purchaseId: checked.message.purchase_id };
}
