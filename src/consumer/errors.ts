/** Errors of the consumer. */

/** The message could not be forwarded to the dead-letter queue; it stays on the queue and is retried. */
export class DeadLetterError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DeadLetterError";
  }
}
