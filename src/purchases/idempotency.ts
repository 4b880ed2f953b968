/**
 * Idempotency-Key handling with Powertools' idempotency utility over the idempotency table (key `id`,
 * TTL `expiration`):
 * 1. a conditional put records the key as INPROGRESS (it fails when a live record exists);
 * 2. the purchase is published;
 * 3. the record is completed with the answer, which later retries get back for 24 hours.
 * When the publish fails the utility deletes the INPROGRESS record, so a retry once the fault clears
 * publishes; when even that delete fails, the record expires with the invocation's remaining time.
 * The record keeps a hash of the body: the same key with another body is refused.
 *
 * The purchase id is derived from caller, key and body (see purchase-id.ts): if the publish reached SNS
 * but the function saw a failure, or died before step 3, the retry publishes the same id again and the
 * consumer stores the purchase once.
 */
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyUnknownError,
  IdempotencyValidationError,
  makeIdempotent,
} from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import { dynamoDbClient } from "../clients/dynamodb";
import { config } from "../config";
import type { AcceptPurchaseInput } from "./accept-purchase";
import { IdempotencyKeyInProgressError, IdempotencyKeyReusedError, IdempotencyStoreError } from "./errors";
import { type AcceptedPurchase, publishNewPurchase } from "./new-purchase";
import type { PurchaseRequest } from "./purchase";
import { canonicalJson, keyedPurchaseId } from "./purchase-id";

interface KeyedRequest {
  /** The caller's subject, or NO_SUBJECT: the scope of the key. */
  caller: string;
  createdBy: string | undefined;
  key: string;
  request: PurchaseRequest;
  receivedAt: string;
}

/** What the utility needs of the Lambda context: the time left, to bound the INPROGRESS state. */
interface RemainingTime {
  getRemainingTimeInMillis(): number;
}

/** The scope of the keys of callers without a subject (no deployed route lets one through). */
const NO_SUBJECT = "anonymous";

const persistenceStore = new DynamoDBPersistenceLayer({
  tableName: config.idempotencyTableName,
  awsSdkV3Client: dynamoDbClient,
  keyAttr: "id",
  expiryAttr: "expiration",
});

const idempotencyConfig = new IdempotencyConfig({
  // The key is scoped to the caller; the body is checked so that a key reused for another purchase is refused.
  eventKeyJmesPath: "[caller, key]",
  payloadValidationJmesPath: "request",
  expiresAfterSeconds: config.idempotencyTtlSeconds,
  hashFunction: "sha256",
  responseHook: (response) => ({ ...(response as unknown as AcceptedPurchase), replayed: true }),
});

const publishOnce = makeIdempotent(
  async (keyed: KeyedRequest, _context: RemainingTime): Promise<AcceptedPurchase> => {
    const purchaseId = keyedPurchaseId(keyed.caller, keyed.key, canonicalJson(keyed.request));
    return publishNewPurchase(keyed.request, purchaseId, new Date(keyed.receivedAt), keyed.createdBy);
  },
  // A fixed prefix rather than the function's name: records stay valid across renames and redeploys.
  { persistenceStore, config: idempotencyConfig, keyPrefix: "createPurchase" },
);

export async function acceptOnce(
  input: AcceptPurchaseInput & { idempotencyKey: string },
): Promise<AcceptedPurchase> {
  const keyed: KeyedRequest = {
    caller: input.caller ?? NO_SUBJECT,
    createdBy: input.caller,
    key: input.idempotencyKey,
    request: input.request,
    receivedAt: input.receivedAt.toISOString(),
  };
  try {
    return await publishOnce(keyed, { getRemainingTimeInMillis: input.remainingTimeMs });
  } catch (error) {
    throw translate(error);
  }
}

function translate(error: unknown): unknown {
  if (error instanceof IdempotencyValidationError) {
    return new IdempotencyKeyReusedError("the Idempotency-Key was used with a different body", {
      cause: error,
    });
  }
  if (error instanceof IdempotencyAlreadyInProgressError) {
    return new IdempotencyKeyInProgressError("the first request with this Idempotency-Key is still running", {
      cause: error,
    });
  }
  // The base of every other error the utility throws (store failures, inconsistent or missing records).
  if (error instanceof IdempotencyUnknownError) {
    return new IdempotencyStoreError("the idempotency table could not be used", { cause: error });
  }
  return error;
}
