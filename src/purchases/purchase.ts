/**
 * A purchase as the API receives it, as it travels on the topic, and as the service reports it. Each
 * shape is copied from the other by the field lists generated from the contracts, so a field added to
 * both contracts is carried by regenerating, without an edit here.
 */
import type { components } from "../../generated/openapi/types";
import { messageFields, purchaseFields } from "../../generated/purchase-fields";
import type { PurchaseMessage } from "../../generated/validators/contract";

export type PurchaseRequest = components["schemas"]["PurchaseRequest"];
export type Purchase = components["schemas"]["Purchase"];
export type { PurchaseMessage };

/** The fields of `source` named in `fields`, leaving out those it does not have. */
function project<T>(source: object, fields: readonly string[]): T {
  const values = source as Record<string, unknown>;
  const projected: Record<string, unknown> = {};
  for (const name of fields) if (values[name] !== undefined) projected[name] = values[name];
  return projected as T;
}

/** The message published for an accepted purchase: the request plus what the API assigned. */
export function toMessage(
  request: PurchaseRequest,
  purchaseId: string,
  receivedAt: string,
  createdBy?: string,
): PurchaseMessage {
  return project(
    { ...request, purchase_id: purchaseId, received_at: receivedAt, created_by: createdBy },
    messageFields,
  );
}

/** The purchase as the API reports it, from a published message or a stored item. */
export function toPurchase(message: PurchaseMessage, status: Purchase["status"]): Purchase {
  return project({ ...message, status }, purchaseFields);
}
