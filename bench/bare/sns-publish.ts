/**
 * Baseline of the API's warm invocations: the one AWS call a POST without Idempotency-Key makes, an SNS
 * Publish of the message with its contract version, through the API's own SNS client and nothing else.
 */
import { PublishCommand } from "@aws-sdk/client-sns";
import { snsClient } from "../../src/clients/sns";

export async function publish(message: string, topicArn: string, schemaVersion: string): Promise<void> {
  await snsClient.send(
    new PublishCommand({
      TopicArn: topicArn,
      Message: message,
      MessageAttributes: { schema_version: { DataType: "String", StringValue: schemaVersion } },
    }),
  );
}
