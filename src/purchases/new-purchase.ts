/** A purchase accepted for the first time: id and reception time assigned, published, reported. */
import { publishPurchase } from "./publisher";
import { type Purchase, type PurchaseRequest, toMessage, toPurchase } from "./purchase";

export interface AcceptedPurchase {
  purchase: Purchase;
  /** True when this answer repeats the first answer for the same Idempotency-Key. */
  replayed: boolean;
}

/**
 * Publishes a purchase under `purchaseId`, owned by `createdBy` when the caller has a subject; throws
 * PublishError when SNS did not take it.
 */
export async function publishNewPurchase(
  request: PurchaseRequest,
  purchaseId: string,
  receivedAt: Date,
  createdBy: string | undefined,
): Promise<AcceptedPurchase> {
  const message = toMessage(request, purchaseId, receivedAt.toISOString(), createdBy);
  await publishPurchase(message);
  return { purchase: toPurchase(message, "accepted"), replayed: false };
}
