/** A purchase as the API receives it, as it travels on the topic, and as the service reports it. */
import type { components } from "../../generated/openapi/types";
import type { PurchaseMessage } from "../../generated/validators/contract";

export type PurchaseRequest = components["schemas"]["PurchaseRequest"];
export type Purchase = components["schemas"]["Purchase"];
export type { PurchaseMessage };

/** The message published for an accepted purchase: the request plus what the API assigned. */
export function toMessage(request: PurchaseRequest, purchaseId: string, receivedAt: string): PurchaseMessage {
  return {
    purchase_id: purchaseId,
    buyer_id: request.buyer_id,
    product_id: request.product_id,
    number_of_installments: request.number_of_installments,
    total_amount: request.total_amount,
    purchase_date: request.purchase_date,
    received_at: receivedAt,
  };
}

/** The purchase as the API reports it, from a published message or a stored item. */
export function toPurchase(message: PurchaseMessage, status: Purchase["status"]): Purchase {
  return {
    purchase_id: message.purchase_id,
    status,
    received_at: message.received_at,
    buyer_id: message.buyer_id,
    product_id: message.product_id,
    number_of_installments: message.number_of_installments,
    total_amount: message.total_amount,
    purchase_date: message.purchase_date,
  };
}
