/**
 * Provisions on the emulator every resource the service uses locally, named from resources/stack.yml,
 * the same file serverless.yml reads, so local and deployed names never drift apart.
 * (Deploying the packaged template to moto is not enough: its CloudFormation skips SNS subscriptions,
 * queue policies, Glue and alarms.)
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from "@aws-sdk/client-dynamodb";
import { CreateDatabaseCommand, GlueClient } from "@aws-sdk/client-glue";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { parse } from "yaml";
import { REPO_ROOT } from "./emulator";

export const SERVICE = "purchases";
export const LOCAL_STAGE = "local";
export const LOCAL_ACCOUNT_ID = "123456789012";
export const LOCAL_REGION = "us-east-1";

interface StackFile {
  names: Record<string, string>;
  settings: Record<string, number | string>;
}

export type StackNames = Record<
  | "purchasesTopic"
  | "purchasesQueue"
  | "purchasesDlq"
  | "purchasesTable"
  | "idempotencyTable"
  | "alertsTopic"
  | "bronzeBucket"
  | "silverBucket"
  | "goldBucket"
  | "artifactsBucket"
  | "glueDatabase",
  string
>;

export interface StackSettings {
  apiTimeoutSeconds: number;
  consumerTimeoutSeconds: number;
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
  consumerBatchSize: number;
  consumerBatchWindowSeconds: number;
  dlqRetentionSeconds: number;
  queueRetentionSeconds: number;
  idempotencyTtlSeconds: number;
  schemaVersionAttribute: string;
}

export interface LocalStack {
  names: StackNames;
  settings: StackSettings;
  region: string;
  purchasesTopicArn: string;
  alertsTopicArn: string;
  queueUrl: string;
  queueArn: string;
  dlqUrl: string;
  dlqArn: string;
}

function readStackFile(): StackFile {
  return parse(readFileSync(join(REPO_ROOT, "resources", "stack.yml"), "utf8")) as StackFile;
}

/** The names of resources/stack.yml for a stage, with the variables serverless would resolve. */
export function stackNames(stage = LOCAL_STAGE, accountId = LOCAL_ACCOUNT_ID): StackNames {
  const variables: Record<string, string> = {
    "self:service": SERVICE,
    "sls:stage": stage,
    "aws:accountId": accountId,
    "AWS::AccountId": accountId,
  };
  const names: Record<string, string> = {};
  for (const [key, template] of Object.entries(readStackFile().names)) {
    names[key] = template.replace(/\$\{([^}]+)\}/g, (whole, variable: string) => {
      const value = variables[variable.trim()];
      if (value === undefined) throw new Error(`resources/stack.yml: ${key} uses unknown ${whole}`);
      return value;
    });
  }
  return names as StackNames;
}

export function stackSettings(): StackSettings {
  return readStackFile().settings as unknown as StackSettings;
}

const isAlreadyThere = (error: unknown) =>
  error instanceof Error &&
  [
    "ResourceInUseException",
    "BucketAlreadyOwnedByYou",
    "BucketAlreadyExists",
    "AlreadyExistsException",
  ].includes(error.name);

async function ignoreExisting(action: Promise<unknown>): Promise<void> {
  try {
    await action;
  } catch (error) {
    if (!isAlreadyThere(error)) throw error;
  }
}

/** Creates (or finds) every local resource on the emulator at `endpoint`. Safe to run again. */
export async function provisionStack(endpoint: string, stage = LOCAL_STAGE): Promise<LocalStack> {
  const names = stackNames(stage);
  const settings = stackSettings();
  const config = {
    endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  };
  const sns = new SNSClient(config);
  const sqs = new SQSClient(config);
  const dynamodb = new DynamoDBClient(config);
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  const glue = new GlueClient(config);

  const [purchasesTopic, alertsTopic] = await Promise.all([
    sns.send(new CreateTopicCommand({ Name: names.purchasesTopic })),
    sns.send(new CreateTopicCommand({ Name: names.alertsTopic })),
  ]);

  const dlq = await sqs.send(
    new CreateQueueCommand({
      QueueName: names.purchasesDlq,
      Attributes: { MessageRetentionPeriod: String(settings.dlqRetentionSeconds) },
    }),
  );
  const dlqArn = await queueArn(sqs, dlq.QueueUrl);
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: names.purchasesQueue,
      Attributes: {
        VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
        MessageRetentionPeriod: String(settings.queueRetentionSeconds),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlqArn,
          maxReceiveCount: settings.maxReceiveCount,
        }),
      },
    }),
  );
  const queueArnValue = await queueArn(sqs, queue.QueueUrl);
  await sns.send(
    new SubscribeCommand({
      TopicArn: purchasesTopic.TopicArn,
      Protocol: "sqs",
      Endpoint: queueArnValue,
      Attributes: { RawMessageDelivery: "true" },
    }),
  );

  await Promise.all([
    ignoreExisting(
      dynamodb.send(
        new CreateTableCommand({
          TableName: names.purchasesTable,
          BillingMode: "PAY_PER_REQUEST",
          AttributeDefinitions: [{ AttributeName: "purchase_id", AttributeType: "S" }],
          KeySchema: [{ AttributeName: "purchase_id", KeyType: "HASH" }],
        }),
      ),
    ),
    ignoreExisting(
      dynamodb
        .send(
          new CreateTableCommand({
            TableName: names.idempotencyTable,
            BillingMode: "PAY_PER_REQUEST",
            AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
            KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
          }),
        )
        .then(() =>
          dynamodb.send(
            new UpdateTimeToLiveCommand({
              TableName: names.idempotencyTable,
              TimeToLiveSpecification: { AttributeName: "expiration", Enabled: true },
            }),
          ),
        ),
    ),
    ...[names.bronzeBucket, names.silverBucket, names.goldBucket, names.artifactsBucket].map((bucket) =>
      ignoreExisting(s3.send(new CreateBucketCommand({ Bucket: bucket }))),
    ),
    ignoreExisting(glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: names.glueDatabase } }))),
  ]);

  for (const client of [sns, sqs, dynamodb, s3, glue]) client.destroy();
  return {
    names,
    settings,
    region: LOCAL_REGION,
    purchasesTopicArn: required(purchasesTopic.TopicArn, "purchases topic ARN"),
    alertsTopicArn: required(alertsTopic.TopicArn, "alerts topic ARN"),
    queueUrl: required(queue.QueueUrl, "queue URL"),
    queueArn: queueArnValue,
    dlqUrl: required(dlq.QueueUrl, "DLQ URL"),
    dlqArn,
  };
}

async function queueArn(sqs: SQSClient, url: string | undefined): Promise<string> {
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: required(url, "queue URL"), AttributeNames: ["QueueArn"] }),
  );
  return required(attributes.Attributes?.QueueArn, "queue ARN");
}

function required(value: string | undefined, what: string): string {
  if (!value) throw new Error(`the emulator returned no ${what}`);
  return value;
}

/** The environment the Lambda handlers read (src/config.ts), pointed at the local stack. */
export function handlerEnvironment(stack: LocalStack, endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: stack.region,
    AWS_DEFAULT_REGION: stack.region,
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    PURCHASES_TOPIC_ARN: stack.purchasesTopicArn,
    PURCHASES_TABLE_NAME: stack.names.purchasesTable,
    IDEMPOTENCY_TABLE_NAME: stack.names.idempotencyTable,
    DLQ_URL: stack.dlqUrl,
    SCHEMA_VERSION_ATTRIBUTE: stack.settings.schemaVersionAttribute,
    IDEMPOTENCY_TTL_SECONDS: String(stack.settings.idempotencyTtlSeconds),
    POWERTOOLS_SERVICE_NAME: SERVICE,
    POWERTOOLS_METRICS_NAMESPACE: "Purchases",
  };
}
