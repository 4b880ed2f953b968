/**
 * The consumer function as a process of its own, started by startConsumer (system.ts) with the handler's
 * environment plus QUEUE_URL, QUEUE_ARN and RETRY_AFTER_SECONDS. It polls the queue with the real
 * consumer handler, as Lambda's event source mapping does, until SIGTERM or SIGINT: then it lets the
 * running batch finish and exits 0.
 * Each invocation is framed by a "batch received" and a "batch handled" log line with the message ids,
 * as Lambda frames each invocation with START and END lines: what a batch held, and whether it finished,
 * can be read from the log even when the process was killed in the middle of it.
 */
import { SQSClient } from "@aws-sdk/client-sqs";
import { CONSUMER_LOG } from "../consumer/log-messages";
import { asFunction, recordAsEventSource } from "./aws-call-log";
import { localEnv } from "./local-env";
import { type ConsumerHandler, startQueuePoller } from "./queue-poller";
import { stackSettings } from "./stack";

async function main(): Promise<void> {
  const { queueUrl, queueArn, region, retryAfterSeconds } = localEnv;
  const settings = stackSettings();
  // Loaded after the environment was checked: the handler reads its configuration when it is loaded.
  const [{ handler: consumerHandler }, { logger }] = await Promise.all([
    import("../consumer/handler"),
    import("../observability"),
  ]);
  const handler = asFunction("consumer", consumerHandler);

  const framed: ConsumerHandler = async (event, context) => {
    const messageIds = event.Records.map((record) => record.messageId);
    const startedAt = Date.now();
    logger.addContext(context);
    logger.info(CONSUMER_LOG.batchReceived, { message_ids: messageIds });
    // A handler that throws fails the whole batch (the event source sends it all back).
    let failed = messageIds;
    try {
      const response = await handler(event, context);
      failed = response.batchItemFailures.map((failure) => failure.itemIdentifier);
      return response;
    } finally {
      logger.info(CONSUMER_LOG.batchHandled, {
        message_ids: messageIds,
        failed_message_ids: failed,
        duration_ms: Date.now() - startedAt,
      });
    }
  };

  // Endpoint, region and credentials come from the environment, as for the handlers' own clients.
  const client = new SQSClient({});
  recordAsEventSource(client);
  const poller = startQueuePoller({
    client,
    queueUrl,
    queueArn,
    region,
    handler: framed,
    batchSize: settings.consumerBatchSize,
    batchWindowMs: settings.consumerBatchWindowSeconds * 1000,
    visibilityTimeoutSeconds: retryAfterSeconds,
    timeoutMs: settings.consumerTimeoutSeconds * 1000,
    onError: (error) =>
      process.stderr.write(`consumer: ${error instanceof Error ? error.message : String(error)}\n`),
  });
  process.stdout.write(`Ready: polling ${queueUrl}\n`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void poller.stop().then(() => {
      client.destroy();
      process.exit(0);
    });
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `consumer process failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
