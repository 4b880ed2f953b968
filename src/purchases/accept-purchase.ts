/**
 * Accepting a purchase: assign its id and reception time, publish it, report it. A purchase is accepted
 * only once SNS has confirmed the publish; any failure before that leaves nothing accepted.
 */

import { type AcceptedPurchase, publishNewPurchase } from "./new-purchase";
import type { PurchaseRequest } from "./purchase";
import { randomPurchaseId } from "./purchase-id";

export type { AcceptedPurchase };

export interface AcceptPurchaseInput {
  request: PurchaseRequest;
  /** Who sent it (the JWT subject), stored as its owner; keys of different callers never collide. */
  caller: string | undefined;
  /** The client's Idempotency-Key, when it sent one. */
  idempotencyKey?: string;
  /** When the request arrived. */
  receivedAt: Date;
  /** Time left before the function is stopped; bounds how long a key stays "in progress". */
  remainingTimeMs: () => number;
}

// Loaded on first use, with the DynamoDB client: a request without a key does not pay for it.
let idempotency: Promise<typeof import("./idempotency")> | undefined;

export async function acceptPurchase(input: AcceptPurchaseInput): Promise<AcceptedPurchase> {
  const { idempotencyKey } = input;
  if (idempotencyKey === undefined) {
    return publishNewPurchase(input.request, randomPurchaseId(), input.receivedAt, input.caller);
  }
  idempotency ??= import("./idempotency");
  const { acceptOnce } = await idempotency;
  return acceptOnce({ ...input, idempotencyKey });
}
