/**
 * Provisions on the emulator every resource the service uses locally, named from resources/stack.yml,
 * the same file serverless.yml reads, so local and deployed names never drift apart.
 * (Deploying the packaged template to moto is not enough: its CloudFormation skips SNS subscriptions,
 * queue policies, Glue and alarms.)
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type AttributeDefinition,
  CreateTableCommand,
  DynamoDBClient,
  type KeySchemaElement,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { CreateDatabaseCommand, GlueClient } from "@aws-sdk/client-glue";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { parse } from "yaml";
import { readStackFile, type StackNames, serviceName, stackNames as stageNames } from "../stack-names";
import { REPO_ROOT } from "./emulator";

export type { StackNames } from "../stack-names";

export const SERVICE = serviceName();
export const LOCAL_STAGE = "local";
export const LOCAL_ACCOUNT_ID = "123456789012";
export const LOCAL_REGION = "us-east-1";

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

/** The names of resources/stack.yml for a stage on the emulator (src/stack-names.ts resolves them). */
export function stackNames(stage = LOCAL_STAGE, accountId = LOCAL_ACCOUNT_ID): StackNames {
  return stageNames({ stage, region: LOCAL_REGION, accountId });
}

export function stackSettings(): StackSettings {
  return readStackFile().settings as unknown as StackSettings;
}

/** A DynamoDB table of resources/storage.yml, with the stack.yml name it is deployed under. */
export interface TableDefinition {
  nameKey: keyof StackNames;
  attributeDefinitions: AttributeDefinition[];
  keySchema: KeySchemaElement[];
  timeToLiveAttribute?: string;
}

interface StorageTemplate {
  Resources: Record<
    string,
    {
      Type: string;
      Properties: {
        TableName: string;
        AttributeDefinitions: AttributeDefinition[];
        KeySchema: KeySchemaElement[];
        TimeToLiveSpecification?: { AttributeName: string; Enabled: boolean };
      };
    }
  >;
}

/** The tables of resources/storage.yml, the definitions that deploy, so the emulator's keys are the same. */
export function tableDefinitions(): TableDefinition[] {
  // CloudFormation's short tags (!GetAtt...) are not read here; only the keys and the name are.
  const storage = parse(readFileSync(join(REPO_ROOT, "resources", "storage.yml"), "utf8"), {
    logLevel: "error",
  }) as StorageTemplate;
  return Object.entries(storage.Resources)
    .filter(([, resource]) => resource.Type === "AWS::DynamoDB::Table")
    .map(([logicalId, { Properties: table }]) => {
      const nameKey = /^\$\{file\(resources\/stack\.yml\):names\.(\w+)\}$/.exec(table.TableName)?.[1];
      if (!nameKey)
        throw new Error(`resources/storage.yml: ${logicalId} is not named from resources/stack.yml`);
      const ttl = table.TimeToLiveSpecification;
      return {
        nameKey: nameKey as keyof StackNames,
        attributeDefinitions: table.AttributeDefinitions,
        keySchema: table.KeySchema,
        ...(ttl?.Enabled ? { timeToLiveAttribute: ttl.AttributeName } : {}),
      };
    });
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
    ...tableDefinitions().map((table) => ignoreExisting(createTable(dynamodb, names[table.nameKey], table))),
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

async function createTable(dynamodb: DynamoDBClient, name: string, table: TableDefinition): Promise<void> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: table.attributeDefinitions,
      KeySchema: table.keySchema,
    }),
  );
  if (table.timeToLiveAttribute) {
    await dynamodb.send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { AttributeName: table.timeToLiveAttribute, Enabled: true },
      }),
    );
  }
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
