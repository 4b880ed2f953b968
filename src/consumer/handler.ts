/**
 * Entry of the consumer function (SQS event source, raw SNS delivery, ReportBatchItemFailures): each
 * record is ingested on its own, in parallel, and only the records that failed are reported, so one bad
 * record never sends its neighbours back to the queue.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { assertConfigured } from "../config";
import { logger, MetricUnit, metrics, publishMetrics } from "../observability";
import { type IncomingMessage, ingestMessage } from "./ingest";
import { CONSUMER_LOG } from "./log-messages";

assertConfigured("purchasesTableName", "dlqUrl", "schemaVersionAttribute");

const processor = new BatchProcessor(EventType.SQS);

export function toIncomingMessage(record: SQSRecord): IncomingMessage {
  const attributes: Record<string, string> = {};
  for (const [name, attribute] of Object.entries(record.messageAttributes ?? {})) {
    if (attribute.stringValue !== undefined) attributes[name] = attribute.stringValue;
  }
  return { id: record.messageId, body: record.body, attributes };
}

interface BatchTally {
  stored: string[];
  duplicates: number;
  deadLettered: number;
  failed: number;
}

async function ingestRecord(record: SQSRecord, tally: BatchTally): Promise<void> {
  const message = toIncomingMessage(record);
  try {
    const result = await ingestMessage(message, () => new Date());
    if (result.outcome === "dead-lettered") {
      tally.deadLettered += 1;
      logger.warn(CONSUMER_LOG.deadLettered, {
        message_id: message.id,
        reason: result.reason,
      });
    } else if (result.outcome === "stored") {
      tally.stored.push(result.purchaseId);
    } else {
      tally.duplicates += 1;
      logger.debug(CONSUMER_LOG.duplicate, { message_id: message.id, purchase_id: result.purchaseId });
    }
  } catch (error) {
    tally.failed += 1;
    logger.warn(CONSUMER_LOG.failed, {
      message_id: message.id,
      receive_count: record.attributes?.ApproximateReceiveCount,
      error,
    });
    throw error;
  }
}

/** One log line and one figure per outcome for the whole batch, rather than one per record. */
function report(tally: BatchTally, records: number): void {
  const counts: [string, number][] = [
    ["PurchaseStored", tally.stored.length],
    ["DuplicateDelivery", tally.duplicates],
    ["ContractViolation", tally.deadLettered],
    ["IngestFailed", tally.failed],
  ];
  for (const [name, count] of counts) if (count > 0) metrics.addMetric(name, MetricUnit.Count, count);
  logger.info(CONSUMER_LOG.batchIngested, {
    records,
    stored: tally.stored.length,
    duplicates: tally.duplicates,
    dead_lettered: tally.deadLettered,
    failed: tally.failed,
    purchase_ids: tally.stored,
  });
}

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  logger.addContext(context);
  const tally: BatchTally = { stored: [], duplicates: 0, deadLettered: 0, failed: 0 };
  try {
    return await processPartialResponse(
      event,
      (record: SQSRecord) => ingestRecord(record, tally),
      processor,
      {
        context,
      },
    );
  } finally {
    report(tally, event.Records.length);
    publishMetrics();
  }
};
