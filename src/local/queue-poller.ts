/**
 * The consumer's event source, locally: long-polls the purchases queue, hands the consumer SQS events of
 * up to the configured batch size (waiting up to the batching window to fill one), and deletes only the
 * messages the handler did not report as failed, as Lambda's event source mapping does with
 * ReportBatchItemFailures. A failed message stays on the queue, becomes visible again, and once it has
 * been received maxReceiveCount times the queue's redrive policy moves it to the DLQ.
 */
import {
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from "aws-lambda";
import { localLambdaContext } from "./lambda-context";

export type ConsumerHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export interface QueuePollerOptions {
  client: SQSClient;
  queueUrl: string;
  queueArn: string;
  region: string;
  handler: ConsumerHandler;
  /** Records per event at most (resources/stack.yml settings.consumerBatchSize). */
  batchSize: number;
  /** How long to wait for a batch to fill once a first message arrived (settings.consumerBatchWindowSeconds). */
  batchWindowMs: number;
  /**
   * Visibility timeout of each receive. Short locally, so that a failed message comes back within seconds
   * instead of after the deployed queue's 180 s.
   */
  visibilityTimeoutSeconds: number;
  /** The consumer function's timeout, for the handler's remaining-time clock. */
  timeoutMs: number;
  /** Called when a receive, the handler or a delete fails; the poller carries on. */
  onError?: (error: unknown) => void;
}

export interface QueuePoller {
  /** Stops polling, lets a running batch finish, and resolves once the loop has ended. */
  stop(): Promise<void>;
}

/** SQS returns at most 10 messages per receive and deletes at most 10 per batch call. */
const SQS_MAX_MESSAGES = 10;
/** Seconds each receive long-polls; short enough that stop() is prompt, long enough to avoid busy polling. */
const LONG_POLL_SECONDS = 1;

function toLambdaAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
): SQSMessageAttributes {
  const result: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    result[name] = {
      dataType: value.DataType ?? "String",
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined
        ? { binaryValue: Buffer.from(value.BinaryValue).toString("base64") }
        : {}),
      stringListValues: [],
      binaryListValues: [],
    };
  }
  return result;
}

/** The SQS event Lambda would deliver for these messages. */
export function toSqsEvent(messages: Message[], queueArn: string, region: string): SQSEvent {
  const records: SQSRecord[] = messages.map((message) => {
    const system = message.Attributes ?? {};
    return {
      messageId: message.MessageId ?? "",
      receiptHandle: message.ReceiptHandle ?? "",
      body: message.Body ?? "",
      attributes: {
        ApproximateReceiveCount: system.ApproximateReceiveCount ?? "1",
        SentTimestamp: system.SentTimestamp ?? String(Date.now()),
        SenderId: system.SenderId ?? "",
        ApproximateFirstReceiveTimestamp: system.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes: toLambdaAttributes(message.MessageAttributes),
      md5OfBody: message.MD5OfBody ?? "",
      eventSource: "aws:sqs",
      eventSourceARN: queueArn,
      awsRegion: region,
    };
  });
  return { Records: records };
}

export function startQueuePoller(options: QueuePollerOptions): QueuePoller {
  const abort = new AbortController();
  let stopping = false;
  const report = (error: unknown) => {
    if (!stopping) options.onError?.(error);
  };

  const receive = async (max: number, waitSeconds: number): Promise<Message[]> => {
    const output = await options.client.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: Math.min(SQS_MAX_MESSAGES, max),
        WaitTimeSeconds: waitSeconds,
        VisibilityTimeout: options.visibilityTimeoutSeconds,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["All"],
      }),
      { abortSignal: abort.signal },
    );
    return output.Messages ?? [];
  };

  /** One batch: the first receive long-polls, the next ones fill the batch until it is full or the window closes. */
  const collectBatch = async (): Promise<Message[]> => {
    const batch = await receive(options.batchSize, LONG_POLL_SECONDS);
    if (batch.length === 0) return batch;
    const windowEnds = Date.now() + options.batchWindowMs;
    while (batch.length < options.batchSize && Date.now() < windowEnds && !stopping) {
      const more = await receive(options.batchSize - batch.length, 0);
      if (more.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
      batch.push(...more);
    }
    return batch;
  };

  const deleteMessages = async (messages: Message[]): Promise<void> => {
    for (let start = 0; start < messages.length; start += SQS_MAX_MESSAGES) {
      const chunk = messages.slice(start, start + SQS_MAX_MESSAGES);
      const output = await options.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: chunk.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
          })),
        }),
      );
      for (const failed of output.Failed ?? [])
        report(new Error(`deleting a message failed: ${failed.Message}`));
    }
  };

  const runBatch = async (messages: Message[]): Promise<void> => {
    const event = toSqsEvent(messages, options.queueArn, options.region);
    let failed: Set<string>;
    try {
      const response = await options.handler(
        event,
        localLambdaContext("purchases-local-consumer", options.timeoutMs),
      );
      failed = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    } catch (error) {
      // A handler that throws fails the whole batch: every message goes back to the queue.
      report(error);
      failed = new Set(messages.map((message) => message.MessageId ?? ""));
    }
    await deleteMessages(messages.filter((message) => !failed.has(message.MessageId ?? "")));
  };

  const loop = (async () => {
    while (!stopping) {
      try {
        const messages = await collectBatch();
        if (messages.length > 0) await runBatch(messages);
      } catch (error) {
        if (stopping) break;
        report(error);
        // A failing receive (the emulator restarting, say) is retried after a pause, not in a tight loop.
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  })();

  return {
    stop: async () => {
      stopping = true;
      abort.abort();
      await loop;
    },
  };
}
