/** Errors of the consumer. */
import { DomainError } from "../errors";

/** The message could not be forwarded to the dead-letter queue; it stays on the queue and is retried. */
export class DeadLetterError extends DomainError {}
