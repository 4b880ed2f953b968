/** The local stack comes up with every resource the service uses, named as resources/stack.yml says. */
import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetDatabaseCommand, GlueClient } from "@aws-sdk/client-glue";
import { HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import {
  GetSubscriptionAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListTopicsCommand,
  SNSClient,
} from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import {
  LOCAL_ACCOUNT_ID,
  LOCAL_REGION,
  type LocalStack,
  stackNames,
  stackSettings,
  tableDefinitions,
} from "../../src/local/stack";

const stack = JSON.parse(process.env.LOCAL_STACK_JSON ?? "{}") as LocalStack;
const names = stackNames("local");
const settings = stackSettings();
const sns = new SNSClient({});
const sqs = new SQSClient({});
const dynamodb = new DynamoDBClient({});
const s3 = new S3Client({ forcePathStyle: true });
const glue = new GlueClient({});

afterAll(() => {
  for (const client of [sns, sqs, dynamodb, s3, glue]) client.destroy();
});

describe("the local stack", () => {
  it("has the purchases and alerts topics", async () => {
    const topics = await sns.send(new ListTopicsCommand({}));
    const arns = (topics.Topics ?? []).map((topic) => topic.TopicArn?.split(":").pop());
    expect(arns).toEqual(expect.arrayContaining([names.purchasesTopic, names.alertsTopic]));
  });

  it("subscribes the queue to the topic with raw message delivery", async () => {
    const subscriptions = await sns.send(
      new ListSubscriptionsByTopicCommand({ TopicArn: stack.purchasesTopicArn }),
    );
    const toQueue = (subscriptions.Subscriptions ?? []).filter((s) => s.Endpoint === stack.queueArn);
    expect(toQueue).toHaveLength(1);
    const attributes = await sns.send(
      new GetSubscriptionAttributesCommand({ SubscriptionArn: toQueue[0]?.SubscriptionArn }),
    );
    expect(attributes.Attributes?.RawMessageDelivery).toBe("true");
  });

  it("redrives the queue to the DLQ after maxReceiveCount receives", async () => {
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: stack.queueUrl, AttributeNames: ["All"] }),
    );
    expect(stack.queueUrl.endsWith(`/${names.purchasesQueue}`)).toBe(true);
    expect(JSON.parse(attributes.Attributes?.RedrivePolicy ?? "{}")).toEqual({
      deadLetterTargetArn: stack.dlqArn,
      maxReceiveCount: settings.maxReceiveCount,
    });
    expect(Number(attributes.Attributes?.VisibilityTimeout)).toBeGreaterThanOrEqual(
      6 * settings.consumerTimeoutSeconds,
    );
    expect(stack.dlqArn.endsWith(`:${names.purchasesDlq}`)).toBe(true);
  });

  it("has the purchases table keyed by purchase_id, with no secondary index", async () => {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: names.purchasesTable }));
    expect(Table?.KeySchema).toEqual([{ AttributeName: "purchase_id", KeyType: "HASH" }]);
    expect(Table?.GlobalSecondaryIndexes ?? []).toEqual([]);
  });

  it("has the idempotency table with its TTL attribute", async () => {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: names.idempotencyTable }));
    expect(Table?.KeySchema).toEqual([{ AttributeName: "id", KeyType: "HASH" }]);
    const ttl = await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: names.idempotencyTable }));
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe("expiration");
  });

  it.each(["bronzeBucket", "silverBucket", "goldBucket", "artifactsBucket"] as const)(
    "has the %s, named with the account and the region",
    async (key) => {
      expect(names[key]).toContain(`-${LOCAL_ACCOUNT_ID}-${LOCAL_REGION}-`);
      await expect(s3.send(new HeadBucketCommand({ Bucket: names[key] }))).resolves.toBeDefined();
    },
  );

  it.each(tableDefinitions().map((table) => [table.nameKey, table] as const))(
    "creates the %s with the keys resources/storage.yml deploys it with",
    async (key, table) => {
      const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: names[key] }));
      expect(Table?.KeySchema).toEqual(table.keySchema);
      expect(Table?.AttributeDefinitions).toEqual(table.attributeDefinitions);
      const ttl = await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: names[key] }));
      expect(ttl.TimeToLiveDescription?.AttributeName).toBe(table.timeToLiveAttribute);
    },
  );

  it("has the Glue database", async () => {
    const database = await glue.send(new GetDatabaseCommand({ Name: names.glueDatabase }));
    expect(database.Database?.Name).toBe(names.glueDatabase);
  });
});
