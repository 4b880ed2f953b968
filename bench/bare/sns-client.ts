/** Baseline of the API bundle: only constructs the SNS client (and publishes once, for the first-call figure). */
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";

const client = new SNSClient({});

export const handler = async () =>
  client.send(new PublishCommand({ TopicArn: process.env.PURCHASES_TOPIC_ARN, Message: '{"bare":true}' }));
