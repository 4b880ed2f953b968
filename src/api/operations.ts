/** The API's operations, by operationId of openapi.yaml. Each turns an HTTP request into a domain call and back. */
import { validateIdempotencyKeyParameter, validatePurchaseIdParameter } from "../../generated/validators/api";
import { toFieldErrors } from "../field-errors";
import { countWithDimension, logger, MetricUnit, metrics } from "../observability";
import { acceptPurchase } from "../purchases/accept-purchase";
import {
  IdempotencyKeyInProgressError,
  IdempotencyKeyReusedError,
  IdempotencyStoreError,
  PublishError,
  PurchaseStoreError,
} from "../purchases/errors";
import { toPurchase } from "../purchases/purchase";
import type { StoredPurchase } from "../purchases/purchase-store";
import { mayRead } from "./caller";
import { type HttpRequest, type HttpResponse, jsonResponse, type Problem, problemResponse } from "./http";
import {
  IN_PROGRESS_RETRY_AFTER_SECONDS,
  problems,
  RETRY_AFTER_SECONDS,
  type RejectionReason,
} from "./problems";
import { validatePurchaseBody } from "./purchase-validation";
import { readJsonBody } from "./request-body";
import { apiDocument } from "./router";

export interface Invocation {
  request: HttpRequest;
  /** Path parameters of the matched route. */
  params: Record<string, string>;
  /** When the request arrived. */
  now: Date;
  /** Time left before the function is stopped. */
  remainingTimeMs: () => number;
}

export type Operation = (invocation: Invocation) => Promise<HttpResponse>;

/** A refused request: counted by reason, logged without the body (it carries the buyer's data). */
export function reject(problem: Problem, headers: Record<string, string> = {}): HttpResponse {
  const reason = problem.type.replace("/problems/", "") as RejectionReason;
  countWithDimension("RequestRejected", "reason", reason);
  logger.info("request rejected", {
    status: problem.status,
    reason,
    fields: problem.errors?.map((error) => `${error.location}:${error.field}`),
  });
  return problemResponse(problem, headers);
}

function unavailable(metric: string, problem: Problem, error: unknown): HttpResponse {
  metrics.addMetric(metric, MetricUnit.Count, 1);
  logger.error(problem.detail ?? problem.title, { error });
  return problemResponse(problem, { "retry-after": String(RETRY_AFTER_SECONDS) });
}

export const createPurchase: Operation = async ({ request, now, remainingTimeMs }) => {
  const body = readJsonBody(request);
  if (!body.ok) return reject(body.problem);
  const idempotencyKey = request.headers["idempotency-key"];
  if (idempotencyKey !== undefined && !validateIdempotencyKeyParameter(idempotencyKey)) {
    const errors = toFieldErrors(validateIdempotencyKeyParameter.errors, "header", "Idempotency-Key");
    return reject(problems.malformed(errors));
  }
  const validated = validatePurchaseBody(body.value, body.text, now);
  if (!validated.ok) return reject(problems.invalidPurchase(validated.errors));
  logger.debug("purchase request", { purchase: validated.request });

  try {
    const { purchase, replayed } = await acceptPurchase({
      request: validated.request,
      caller: request.caller.subject,
      idempotencyKey,
      receivedAt: now,
      remainingTimeMs,
    });
    metrics.addMetric(replayed ? "IdempotentReplay" : "PurchaseAccepted", MetricUnit.Count, 1);
    logger.info(replayed ? "purchase replayed" : "purchase accepted", {
      purchase_id: purchase.purchase_id,
    });
    return jsonResponse(202, purchase, {
      location: `/purchases/${purchase.purchase_id}`,
      "idempotent-replayed": String(replayed),
    });
  } catch (error) {
    if (error instanceof IdempotencyKeyReusedError) return reject(problems.keyReused());
    if (error instanceof IdempotencyKeyInProgressError) {
      return reject(problems.keyInProgress(), {
        "retry-after": String(IN_PROGRESS_RETRY_AFTER_SECONDS),
      });
    }
    if (error instanceof PublishError) {
      return unavailable("PublishFailed", problems.notPublished(), error);
    }
    if (error instanceof IdempotencyStoreError) {
      return unavailable("IdempotencyStoreFailed", problems.outcomeUnknown(), error);
    }
    throw error;
  }
};

/** The id as stored: UUIDs are stored in lower case, and the urn:uuid: form names the same id. */
function normalizeId(raw: string): string {
  return raw.toLowerCase().replace(/^urn:uuid:/, "");
}

// Loaded on first use, with the DynamoDB client: a cold start that serves a POST does not pay for it.
let purchaseStore: Promise<typeof import("../purchases/purchase-store")> | undefined;

export const getPurchase: Operation = async ({ request, params }) => {
  const raw = params.purchase_id ?? "";
  if (!validatePurchaseIdParameter(raw)) {
    const errors = toFieldErrors(validatePurchaseIdParameter.errors, "path", "purchase_id");
    return reject(problems.malformed(errors));
  }
  const purchaseId = normalizeId(raw);
  let stored: StoredPurchase | undefined;
  try {
    purchaseStore ??= import("../purchases/purchase-store");
    const { readPurchase } = await purchaseStore;
    stored = await readPurchase(purchaseId);
  } catch (error) {
    if (error instanceof PurchaseStoreError) {
      return unavailable("PurchaseReadFailed", problems.storeUnavailable(), error);
    }
    throw error;
  }
  // Another caller's purchase is answered as one never stored: its existence is not disclosed either.
  if (!stored || !mayRead(request.caller, stored.created_by)) return reject(problems.purchaseNotFound());
  return jsonResponse(200, toPurchase(stored, "stored"));
};

export const getHealth: Operation = async () =>
  jsonResponse(200, { status: "ok", version: apiDocument.info.version });

export const operations: Record<string, Operation> = { createPurchase, getPurchase, getHealth };
