/**
 * The problems (RFC 9457) the API answers with, as openapi.yaml describes them. Every client error names
 * the offending field, where it was sent, and why it was refused.
 */
import type { FieldError } from "../field-errors";
import type { Problem } from "./http";

/** Seconds a client should wait before retrying after a 503; long enough for SDK-level blips to clear. */
export const RETRY_AFTER_SECONDS = 5;
/** Seconds to wait when the first request with the same key is still running (it ends within 10 s). */
export const IN_PROGRESS_RETRY_AFTER_SECONDS = 2;

/** The reason a request was refused, used as the problem type and as the rejection metric's dimension. */
export type RejectionReason =
  | "malformed-request"
  | "validation-error"
  | "payload-too-large"
  | "unsupported-media-type"
  | "idempotency-key-reused"
  | "idempotency-key-in-progress"
  | "not-found"
  | "method-not-allowed";

function problem(
  reason: RejectionReason | "service-unavailable" | "internal-error",
  title: string,
  status: number,
  detail: string,
  errors?: FieldError[],
): Problem {
  return { type: `/problems/${reason}`, title, status, detail, ...(errors ? { errors } : {}) };
}

const count = (errors: FieldError[]) => (errors.length === 1 ? "1 field is" : `${errors.length} fields are`);

export const problems = {
  malformed(errors: FieldError[]): Problem {
    return problem(
      "malformed-request",
      "Malformed request",
      400,
      `The request could not be read: ${describe(errors)}.`,
      errors,
    );
  },
  invalidPurchase(errors: FieldError[]): Problem {
    return problem("validation-error", "Invalid purchase", 422, `${count(errors)} invalid.`, errors);
  },
  payloadTooLarge(limitBytes: number): Problem {
    return problem(
      "payload-too-large",
      "Payload too large",
      413,
      `The body is larger than ${limitBytes} bytes.`,
      [{ field: "body", location: "body", reason: `is larger than ${limitBytes} bytes` }],
    );
  },
  unsupportedMediaType(reason: string): Problem {
    return problem(
      "unsupported-media-type",
      "Unsupported media type",
      415,
      "The body must be application/json.",
      [{ field: "content-type", location: "header", reason }],
    );
  },
  keyReused(): Problem {
    return problem(
      "idempotency-key-reused",
      "Idempotency key reused",
      409,
      "This Idempotency-Key was used with a different body.",
      [
        {
          field: "Idempotency-Key",
          location: "header",
          reason: "was used with a different body within the last 24 hours",
        },
      ],
    );
  },
  keyInProgress(): Problem {
    return problem(
      "idempotency-key-in-progress",
      "Request in progress",
      409,
      "The first request with this Idempotency-Key is still being processed; retry shortly.",
      [
        {
          field: "Idempotency-Key",
          location: "header",
          reason: "belongs to a request that is still being processed",
        },
      ],
    );
  },
  purchaseNotFound(): Problem {
    return problem(
      "not-found",
      "Purchase not found",
      404,
      "No purchase with this id has been stored (yet).",
      [{ field: "purchase_id", location: "path", reason: "no stored purchase has this id" }],
    );
  },
  routeNotFound(method: string, path: string): Problem {
    return problem("not-found", "Not found", 404, `No operation of this API matches ${method} ${path}.`, [
      { field: "path", location: "path", reason: `matches no operation of this API` },
    ]);
  },
  methodNotAllowed(method: string, allowed: string[]): Problem {
    return problem(
      "method-not-allowed",
      "Method not allowed",
      405,
      `This path does not accept ${method}; it accepts ${allowed.join(", ")}.`,
      [
        {
          field: "path",
          location: "path",
          reason: `does not accept ${method} (allowed: ${allowed.join(", ")})`,
        },
      ],
    );
  },
  notPublished(): Problem {
    return problem(
      "service-unavailable",
      "Service unavailable",
      503,
      "The purchase could not be published; nothing was accepted. Retry with the same Idempotency-Key.",
    );
  },
  /**
   * The idempotency record could not be read or written. That can happen after the publish succeeded,
   * so the answer must not claim that nothing was accepted; a retry with the same key converges on the
   * same purchase_id (derived from the key and body) and the consumer stores it once.
   */
  outcomeUnknown(): Problem {
    return problem(
      "service-unavailable",
      "Service unavailable",
      503,
      "The purchase's outcome could not be recorded. Retry with the same Idempotency-Key: the retry answers with the one purchase, never a second.",
    );
  },
  storeUnavailable(): Problem {
    return problem(
      "service-unavailable",
      "Service unavailable",
      503,
      "The purchases could not be read; retry shortly.",
    );
  },
  internal(): Problem {
    return problem("internal-error", "Internal error", 500, "The request could not be completed.");
  },
};

function describe(errors: FieldError[]): string {
  return errors.map((error) => `${error.field} ${error.reason}`).join("; ");
}
