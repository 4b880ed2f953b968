/**
 * The messages of the consumer's log lines that tests and benchmarks read (the fault suite rebuilds its
 * ledger from them): the local event source's two around each batch, and the handler's.
 */
export const CONSUMER_LOG = {
  /** The local event source, before the handler runs: `message_ids`. */
  batchReceived: "batch received",
  /** The local event source, after the handler ran: `message_ids`, `failed_message_ids`, `duration_ms`. */
  batchHandled: "batch handled",
  /** One per batch: the counts per outcome and the `purchase_ids` stored. */
  batchIngested: "batch ingested",
  /** DEBUG: one per redelivered record whose purchase was stored already. */
  duplicate: "purchase was already stored",
  deadLettered: "message breaks the data contract; forwarded to the dead-letter queue",
  failed: "message not ingested; the queue will deliver it again",
} as const;
