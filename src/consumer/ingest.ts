/**
 * Ingesting one message from the purchases queue: check it against the data contract, then store it
 * once. A message that breaks the contract goes to the dead-letter queue with its reason (retrying it
 * would fail the same way); a failure of the table is thrown, so that the queue delivers it again.
 */
import { contractVersion, validatePurchaseMessage } from "../../generated/validators/contract";
import { config } from "../config";
import { toFieldErrors } from "../field-errors";
import { MoneyError, UnstorableItemError } from "../purchases/errors";
import { amountToDecimalString } from "../purchases/money";
import type { PurchaseMessage } from "../purchases/purchase";
import { storePurchase } from "../purchases/purchase-store";
import { deadLetter } from "./dead-letter";
import { type Upcast, upcasts } from "./upcasts";

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

/** The contract's major version this consumer was generated from. */
export const CONTRACT_MAJOR = Number(contractVersion.split(".")[0]);

const SEMANTIC_VERSION = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * How a message of this version is read: as it is (the current major, of any minor: fields this consumer
 * does not know yet are kept), through the upcast of the previous major, or not at all. A message without
 * the attribute is read as the current version.
 */
function readerFor(
  version: string | undefined,
): { ok: true; upcast?: Upcast } | { ok: false; reason: string } {
  if (version === undefined) return { ok: true };
  const attribute = config.schemaVersionAttribute;
  const major = SEMANTIC_VERSION.exec(version)?.[1];
  if (major === undefined)
    return { ok: false, reason: `${attribute} ${version} is not a version (MAJOR.MINOR.PATCH)` };
  if (Number(major) === CONTRACT_MAJOR) return { ok: true };
  const upcast = upcasts[Number(major)];
  if (upcast) return { ok: true, upcast };
  const readable = [CONTRACT_MAJOR, ...Object.keys(upcasts).map(Number)]
    .sort((a, b) => a - b)
    .map((m) => `${m}.x`);
  return {
    ok: false,
    reason: `${attribute} ${version} is not supported (this consumer reads ${readable.join(", ")})`,
  };
}

/** Checks a message against the data contract this consumer was generated from. */
export function checkContract(message: IncomingMessage): ContractCheck {
  const reader = readerFor(message.attributes[config.schemaVersionAttribute]);
  if (!reader.ok) return reader;
  let body: unknown;
  try {
    body = JSON.parse(message.body);
  } catch {
    // The parser's message quotes the body; the body travels to the DLQ anyway, the reason stays short.
    return { ok: false, reason: "body: is not valid JSON" };
  }
  if (reader.upcast && isObject(body)) body = reader.upcast(body);
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
  try {
    const outcome = await storePurchase(checked.message, now());
    return { outcome, purchaseId: checked.message.purchase_id };
  } catch (error) {
    if (!(error instanceof UnstorableItemError)) throw error;
    const reason = `body: cannot be stored: ${error.message}`;
    await deadLetter(message, reason);
    return { outcome: "dead-lettered", reason };
  }
}
