/**
 * Forwarding a message that breaks the data contract to the dead-letter queue, with the reason as a
 * message attribute: retrying it cannot help, and whoever inspects the DLQ sees at once why it is there.
 * The SQS client is loaded on first use: a healthy stream never needs it, so cold starts don't pay for it.
 */
import { config } from "../config";
import { DeadLetterError } from "./errors";
import type { IncomingMessage } from "./ingest";

/** SQS allows 256 KiB per message; a reason longer than this says nothing more useful. */
const MAX_REASON_LENGTH = 1_000;

export const FAILURE_REASON_ATTRIBUTE = "failure_reason";
export const FAILURE_KIND_ATTRIBUTE = "failure_kind";
export const SOURCE_MESSAGE_ID_ATTRIBUTE = "source_message_id";

export async function deadLetter(message: IncomingMessage, reason: string): Promise<void> {
  const queueUrl = config.dlqUrl;
  const [{ SendMessageCommand }, { sqsClient }] = await Promise.all([
    import("@aws-sdk/client-sqs"),
    import("../clients/sqs"),
  ]);
  const carried = Object.fromEntries(
    Object.entries(message.attributes).map(([name, value]) => [
      name,
      { DataType: "String", StringValue: value },
    ]),
  );
  try {
    await sqsClient.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: message.body,
        MessageAttributes: {
          ...carried,
          [FAILURE_KIND_ATTRIBUTE]: { DataType: "String", StringValue: "contract-violation" },
          [FAILURE_REASON_ATTRIBUTE]: { DataType: "String", StringValue: reason.slice(0, MAX_REASON_LENGTH) },
          [SOURCE_MESSAGE_ID_ATTRIBUTE]: { DataType: "String", StringValue: message.id },
        },
      }),
    );
  } catch (error) {
    throw new DeadLetterError(`forwarding message ${message.id} to the dead-letter queue failed`, {
      cause: error,
    });
  }
}
