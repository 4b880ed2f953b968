/**
 * The purchases table: one item per purchase_id. The consumer writes each purchase once, with a put
 * that only succeeds when no item has the id yet, so a redelivered message neither adds an item nor
 * changes the stored one (its stored_at and ingest_hour stay those of the first write). The API reads
 * with strongly consistent reads, so a purchase is visible as soon as the write returned.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { GetCommand, NumberValue, PutCommand } from "@aws-sdk/lib-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { documentClient } from "../clients/dynamodb";
import { config } from "../config";
import { PurchaseStoreError, UnstorableItemError } from "./errors";
import { amountToDecimalString } from "./money";
import type { PurchaseMessage } from "./purchase";

/** A purchase as stored: the message's fields, when and in which UTC hour it was stored. */
export interface StoredPurchase extends PurchaseMessage {
  stored_at: string;
  ingest_hour: string;
}

export type StoreOutcome = "stored" | "duplicate";

/** The UTC hour of an instant as the lake's partition key, e.g. 2024-11-05T13. */
export function ingestHour(at: Date): string {
  return at.toISOString().slice(0, 13);
}

/**
 * The table item of a purchase stored at `storedAt`: every field of the message, those of a newer minor
 * version of the contract included (a tolerant reader: the lake and a newer API read them), the amount as
 * its exact decimal text, and when and in which UTC hour it was stored (the fields the consumer assigns).
 */
export function toItem(message: PurchaseMessage, storedAt: Date): Record<string, unknown> {
  return {
    ...message,
    total_amount: NumberValue.from(amountToDecimalString(message.total_amount)),
    stored_at: storedAt.toISOString(),
    ingest_hour: ingestHour(storedAt),
  };
}

/**
 * Stores a purchase unless one with its id is stored already. Throws UnstorableItemError when DynamoDB
 * cannot hold the item whatever the retries (a number beyond its precision, an empty attribute name,
 * nesting too deep: fields of a newer minor this consumer keeps as sent), PurchaseStoreError when
 * DynamoDB fails.
 */
export async function storePurchase(message: PurchaseMessage, storedAt: Date): Promise<StoreOutcome> {
  const item = toItem(message, storedAt);
  try {
    marshall(item, documentClient.config.translateConfig?.marshallOptions);
  } catch (error) {
    throw new UnstorableItemError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  const command = new PutCommand({
    TableName: config.purchasesTableName,
    Item: item,
    ConditionExpression: "attribute_not_exists(purchase_id)",
  });
  try {
    await documentClient.send(command);
    return "stored";
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return "duplicate";
    // DynamoDB refuses the item itself (its SDK exports no class for this error): the same item is
    // refused on every retry.
    if (error instanceof Error && error.name === "ValidationException") {
      throw new UnstorableItemError(error.message, { cause: error });
    }
    throw new PurchaseStoreError(`storing purchase ${message.purchase_id} failed`, { cause: error });
  }
}

/** The stored purchase with this id, or undefined while none is stored. */
export async function readPurchase(purchaseId: string): Promise<StoredPurchase | undefined> {
  const command = new GetCommand({
    TableName: config.purchasesTableName,
    Key: { purchase_id: purchaseId },
    ConsistentRead: true,
  });
  try {
    const output = await documentClient.send(command);
    return output.Item as StoredPurchase | undefined;
  } catch (error) {
    throw new PurchaseStoreError(`reading purchase ${purchaseId} failed`, { cause: error });
  }
}
