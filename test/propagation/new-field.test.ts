/**
 * The README's promise, kept: a field added to both contracts reaches every layer by regenerating. In a
 * copy of the repository, an optional field with a constraint is added to openapi.yaml and
 * datacontract.yaml (no other file is edited), `npm run generate` runs, and a purchase carrying the field
 * goes through the API, the topic, the consumer, the table, bronze and silver, and comes back from GET.
 * A value breaking the constraint gets a 422 from the API and, published straight to the topic, lands in
 * the DLQ with its reason.
 */
import { execFileSync, spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { PublishCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { parseDocument } from "yaml";
import type { LocalStack } from "../../src/local/stack";
import { validPurchase } from "../support/events";
import { type RunningSystem, startSystemProcess, stopSystemProcess } from "../support/system-runner";
import { waitFor } from "../support/wait";

const ROOT = join(__dirname, "..", "..");
const FIELD = "coupon_code";
const MAX_LENGTH = 32;
const VALUE = "SPRING-SALE-2024";
const TOO_LONG = "X".repeat(MAX_LENGTH + 1);

/** A copy of the working tree (tracked and new files) sharing the installed node_modules and .tools. */
function copyRepository(): string {
  const copy = mkdtempSync(join(tmpdir(), "purchases-propagation-"));
  const listed = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: ROOT,
  });
  for (const file of listed.toString().split("\0")) {
    if (!file || !existsSync(join(ROOT, file))) continue;
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(copy, file));
  }
  for (const installed of ["node_modules", ".tools"])
    symlinkSync(join(ROOT, installed), join(copy, installed));
  return copy;
}

/** Files under `folder` whose text contains `needle`. */
function filesMentioning(folder: string, needle: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((path) => readFileSync(path, "utf8").includes(needle));
}

/** Adds the field to the request of openapi.yaml and to the purchase and silver of datacontract.yaml. */
function addFieldToContracts(copy: string): void {
  const openapi = parseDocument(readFileSync(join(copy, "openapi.yaml"), "utf8"));
  openapi.setIn(["components", "schemas", "PurchaseFields", "properties", FIELD], {
    type: "string",
    maxLength: MAX_LENGTH,
    description: "A coupon the buyer redeemed.",
  });
  writeFileSync(join(copy, "openapi.yaml"), openapi.toString());

  const contract = parseDocument(readFileSync(join(copy, "datacontract.yaml"), "utf8"));
  const objects = contract.get("schema") as { items: { get(key: string): unknown }[] };
  for (const object of objects.items) {
    if (!["purchases", "silver_purchases"].includes(String(object.get("name")))) continue;
    (object.get("properties") as { add(value: unknown): void }).add(
      contract.createNode({
        name: FIELD,
        logicalType: "string",
        physicalType: "string",
        logicalTypeOptions: { maxLength: MAX_LENGTH },
        required: false,
        description: "A coupon the buyer redeemed.",
      }),
    );
  }
  writeFileSync(join(copy, "datacontract.yaml"), contract.toString());
}

/** The hour after `hour` (YYYY-MM-DDTHH), as the lake's interval end. */
const nextHour = (hour: string) =>
  new Date(Date.parse(`${hour}:00:00Z`) + 3_600_000).toISOString().slice(0, 13);

jest.setTimeout(600_000);

let copy: string;
let system: RunningSystem;
let stack: LocalStack;
let clients: { sns: SNSClient; sqs: SQSClient; dynamodb: DynamoDBClient };

beforeAll(async () => {
  copy = copyRepository();
  // The field is new to the code under test: only the contracts will name it.
  expect(
    ["src", "dags", "spark", "soda"].flatMap((folder) => filesMentioning(join(copy, folder), FIELD)),
  ).toEqual([]);
  addFieldToContracts(copy);
  execFileSync("bash", ["scripts/generate.sh"], { cwd: copy, stdio: "ignore" });
  system = await startSystemProcess(copy);
  stack = system.stack as LocalStack;
  // The emulator's endpoint, region and credentials, as the handlers get them.
  Object.assign(process.env, system.environment);
  clients = { sns: new SNSClient({}), sqs: new SQSClient({}), dynamodb: new DynamoDBClient({}) };
});

afterAll(async () => {
  await stopSystemProcess(system?.process);
  for (const client of Object.values(clients ?? {})) client.destroy();
  if (copy) rmSync(copy, { recursive: true, force: true });
});

describe(`a field added to both contracts (${FIELD}, at most ${MAX_LENGTH} characters)`, () => {
  it("is generated into the validators, the Soda checks and the pages", () => {
    for (const file of [
      "generated/purchase-fields.ts",
      "generated/validators/api.js",
      "generated/validators/contract.js",
      "generated/html/api.html",
      "generated/html/contract.html",
      "soda/generated/silver_purchases.yml",
      "spark/schemas/contract.py",
      "spark/schemas/json_schemas.py",
    ]) {
      expect([file, readFileSync(join(copy, file), "utf8").includes(FIELD)]).toEqual([file, true]);
    }
  });

  let purchaseId: string;
  let ingestHour: string;

  it("travels from the API through the topic and the consumer to the table, and back from GET", async () => {
    const tap = await clients.sqs.send(new CreateQueueCommand({ QueueName: "propagation-tap" }));
    const tapArn = await clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: tap.QueueUrl, AttributeNames: ["QueueArn"] }),
    );
    await clients.sns.send(
      new SubscribeCommand({
        TopicArn: stack.purchasesTopicArn,
        Protocol: "sqs",
        Endpoint: tapArn.Attributes?.QueueArn,
        Attributes: { RawMessageDelivery: "true" },
      }),
    );

    const posted = await fetch(`${system.apiUrl}/purchases`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(validPurchase({ [FIELD]: VALUE })),
    });
    expect(posted.status).toBe(202);
    const accepted = (await posted.json()) as Record<string, string>;
    expect(accepted[FIELD]).toBe(VALUE);
    purchaseId = accepted.purchase_id ?? "";

    const message = await waitFor("the message on the topic", async () => {
      const { Messages } = await clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: tap.QueueUrl, WaitTimeSeconds: 1 }),
      );
      return Messages?.[0];
    });
    expect(JSON.parse(message.Body ?? "{}")[FIELD]).toBe(VALUE);

    const read = await waitFor("the stored purchase", async () => {
      const answer = await fetch(`${system.apiUrl}/purchases/${purchaseId}`);
      return answer.status === 200 ? ((await answer.json()) as Record<string, string>) : undefined;
    });
    expect(read).toMatchObject({ status: "stored", [FIELD]: VALUE });

    const { Item } = await clients.dynamodb.send(
      new GetItemCommand({ TableName: stack.names.purchasesTable, Key: { purchase_id: { S: purchaseId } } }),
    );
    expect(Item?.[FIELD]).toEqual({ S: VALUE });
    ingestHour = Item?.ingest_hour?.S ?? "";
  });

  it("is refused by the API with a 422 naming the field when it breaks the constraint", async () => {
    const answer = await fetch(`${system.apiUrl}/purchases`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(validPurchase({ [FIELD]: TOO_LONG })),
    });
    expect(answer.status).toBe(422);
    expect(answer.headers.get("content-type")).toContain("application/problem+json");
    const problem = (await answer.json()) as { errors: { field: string; reason: string }[] };
    expect(problem.errors).toEqual([
      { field: FIELD, location: "body", reason: `must be at most ${MAX_LENGTH} characters long` },
    ]);
  });

  it("lands in the DLQ with its reason when a message breaking the constraint is published to the topic", async () => {
    const marker = "9f1e0000-0000-4000-8000-00000000c0de";
    const body = {
      ...validPurchase({ [FIELD]: TOO_LONG }),
      purchase_id: marker,
      received_at: new Date().toISOString(),
    };
    await clients.sns.send(
      new PublishCommand({ TopicArn: stack.purchasesTopicArn, Message: JSON.stringify(body) }),
    );
    const dead = await waitFor("the message in the DLQ", async () => {
      const { Messages } = await clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: stack.dlqUrl,
          MessageAttributeNames: ["All"],
          WaitTimeSeconds: 1,
        }),
      );
      return Messages?.find((candidate) => candidate.Body?.includes(marker));
    });
    expect(dead.MessageAttributes?.failure_reason?.StringValue).toBe(
      `${FIELD}: must be at most ${MAX_LENGTH} characters long`,
    );
  });

  it("reaches bronze and silver through the lake's hourly run", () => {
    expect(ingestHour).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}$/);
    const lakeRun = spawnSync(
      "bash",
      ["scripts/lake.sh", "--interval", `${ingestHour}:00Z/${nextHour(ingestHour)}:00Z`],
      {
        cwd: copy,
        env: { ...process.env, AWS_ENDPOINT_URL: system.environment.AWS_ENDPOINT_URL },
        encoding: "utf8",
      },
    );
    expect([lakeRun.status, lakeRun.stdout, lakeRun.stderr.slice(-2000)]).toEqual([
      0,
      expect.anything(),
      expect.anything(),
    ]);

    const bronzeLine = filesMentioning(join(copy, ".local", "lake", "bronze"), purchaseId)
      .flatMap((file) => readFileSync(file, "utf8").split("\n"))
      .find((line) => line.includes(purchaseId));
    expect(JSON.parse(bronzeLine ?? "{}").NewImage?.[FIELD]).toEqual({ S: VALUE });

    const silver = execFileSync(
      join(ROOT, ".tools", "venv-lake", "bin", "python"),
      [
        "-c",
        `import json, sys, duckdb
rows = duckdb.read_parquet(sys.argv[1] + "/**/*.parquet", hive_partitioning=True).filter(f"purchase_id = '{sys.argv[2]}'")
print(json.dumps([dict(zip(rows.columns, row)) for row in rows.fetchall()], default=str))`,
        join(copy, ".local", "lake", "silver", "silver_purchases"),
        purchaseId,
      ],
      { encoding: "utf8" },
    );
    const rows = JSON.parse(silver) as Record<string, unknown>[];
    expect(rows).toHaveLength(1);
    expect(rows[0]?.[FIELD]).toBe(VALUE);
  });
});
