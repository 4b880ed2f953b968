/**
 * Baseline of the consumer's warm invocations: the AWS calls a batch makes, one conditional put per
 * record, all at once as the consumer runs its records, through the consumer's own document client.
 */
import { NumberValue, PutCommand } from "@aws-sdk/lib-dynamodb";
import { documentClient } from "../../src/clients/dynamodb";
import type { PurchaseMessage } from "../../src/purchases/purchase";

/** The item the consumer stores for `message`, built before the clock starts. */
export function item(message: PurchaseMessage, storedAt: Date): Record<string, unknown> {
  return {
    ...message,
    total_amount: NumberValue.from(String(message.total_amount)),
    stored_at: storedAt.toISOString(),
    ingest_hour: storedAt.toISOString().slice(0, 13),
  };
}

export async function putAll(items: Record<string, unknown>[], tableName: string): Promise<void> {
  await Promise.all(
    items.map((Item) =>
      documentClient.send(
        new PutCommand({
          TableName: tableName,
          Item,
          ConditionExpression: "attribute_not_exists(purchase_id)",
        }),
      ),
    ),
  );
}
