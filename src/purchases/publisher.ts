/** Publishes accepted purchases to the purchases topic. */
import { PublishCommand } from "@aws-sdk/client-sns";
import { contractVersion } from "../../generated/validators/contract";
import { snsClient } from "../clients/sns";
import { config } from "../config";
import { PublishError } from "./errors";
import type { PurchaseMessage } from "./purchase";

/** The contract version every message carries, from datacontract.yaml at generate time. */
export const SCHEMA_VERSION: string = contractVersion;

/** Publishes one purchase message; resolves with SNS's message id, or throws PublishError. */
export async function publishPurchase(message: PurchaseMessage): Promise<string> {
  // Configuration is read before the call: a missing variable is a deployment fault, not an SNS outage.
  const command = new PublishCommand({
    TopicArn: config.purchasesTopicArn,
    Message: JSON.stringify(message),
    MessageAttributes: {
      [config.schemaVersionAttribute]: { DataType: "String", StringValue: SCHEMA_VERSION },
    },
  });
  let messageId: string | undefined;
  try {
    messageId = (await snsClient.send(command)).MessageId;
  } catch (error) {
    throw new PublishError(`publishing purchase ${message.purchase_id} failed`, { cause: error });
  }
  // Without a message id SNS has not confirmed that it took the message.
  if (!messageId) throw new PublishError(`SNS returned no message id for purchase ${message.purchase_id}`);
  return messageId;
}
