/** Errors of the purchases domain. Each says what failed; the cause keeps the SDK error for the logs. */
import { DomainError } from "../errors";

/** An amount that is not exact to the cent reached code that must not round it. */
export class MoneyError extends DomainError {}

/** SNS did not confirm the publish: the purchase was not accepted. */
export class PublishError extends DomainError {}

/** The purchases table could not be read or written. */
export class PurchaseStoreError extends DomainError {}

/** DynamoDB cannot hold the item (a field of a newer minor it cannot represent): every retry would fail. */
export class UnstorableItemError extends DomainError {}

/** The Idempotency-Key was used with another body within its retention window. */
export class IdempotencyKeyReusedError extends DomainError {}

/** The first request with this Idempotency-Key is still running. */
export class IdempotencyKeyInProgressError extends DomainError {}

/** The idempotency table could not be read or written; nothing can be said about the key. */
export class IdempotencyStoreError extends DomainError {}
