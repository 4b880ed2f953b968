/** Errors of the purchases domain. Each says what failed; the cause keeps the SDK error for the logs. */

/** An amount that is not exact to the cent reached code that must not round it. */
export class MoneyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "MoneyError";
  }
}

/** SNS did not confirm the publish: the purchase was not accepted. */
export class PublishError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PublishError";
  }
}

/** The purchases table could not be read or written. */
export class PurchaseStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PurchaseStoreError";
  }
}

/** DynamoDB cannot hold the item (a field of a newer minor it cannot represent): every retry would fail. */
export class UnstorableItemError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "UnstorableItemError";
  }
}

/** The Idempotency-Key was used with another body within its retention window. */
export class IdempotencyKeyReusedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "IdempotencyKeyReusedError";
  }
}

/** The first request with this Idempotency-Key is still running. */
export class IdempotencyKeyInProgressError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "IdempotencyKeyInProgressError";
  }
}

/** The idempotency table could not be read or written; nothing can be said about the key. */
export class IdempotencyStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "IdempotencyStoreError";
  }
}
