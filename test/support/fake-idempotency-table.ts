/**
 * An in-memory idempotency table behind a stubbed DynamoDBClient, honouring the conditional writes
 * Powertools' DynamoDB persistence layer relies on (put only when no live record exists, update, delete),
 * so that the unit tests run the real idempotency utility over state that behaves like the table.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import type { AwsClientStub } from "aws-sdk-client-mock";

type Item = Record<string, AttributeValue>;

const keyOf = (key: Item | undefined) => key?.id?.S ?? "";
const number = (value: AttributeValue | undefined) => (value?.N === undefined ? undefined : Number(value.N));

export class FakeIdempotencyTable {
  readonly items = new Map<string, Item>();
  puts = 0;
  deletes = 0;

  install(mock: AwsClientStub<DynamoDBClient>): void {
    mock.on(PutItemCommand).callsFake((input: { Item: Item }) => this.put(input.Item));
    mock.on(UpdateItemCommand).callsFake((input) => this.update(input));
    mock.on(DeleteItemCommand).callsFake((input: { Key: Item }) => {
      this.deletes += 1;
      this.items.delete(keyOf(input.Key));
      return {};
    });
    mock.on(GetItemCommand).callsFake((input: { Key: Item }) => {
      const item = this.items.get(keyOf(input.Key));
      return item ? { Item: item } : {};
    });
  }

  /** Powertools' condition: no record, or an expired one, or one left in progress past its deadline. */
  private put(item: Item) {
    this.puts += 1;
    const id = keyOf(item);
    const existing = this.items.get(id);
    if (existing) {
      const now = Date.now();
      const expired = (number(existing.expiration) ?? Number.POSITIVE_INFINITY) < now / 1000;
      const inProgressDeadline = number(existing.in_progress_expiration);
      const abandoned =
        existing.status?.S === "INPROGRESS" && inProgressDeadline !== undefined && inProgressDeadline < now;
      if (!expired && !abandoned) {
        throw new ConditionalCheckFailedException({
          message: "The conditional request failed",
          $metadata: {},
          Item: existing,
        });
      }
    }
    this.items.set(id, item);
    return {};
  }

  /** Applies `SET #a = :a, #b = :b` as the persistence layer writes it. */
  private update(input: {
    Key: Item;
    UpdateExpression: string;
    ExpressionAttributeNames: Record<string, string>;
    ExpressionAttributeValues: Item;
  }) {
    const id = keyOf(input.Key);
    const item: Item = { ...(this.items.get(id) ?? input.Key) };
    for (const assignment of input.UpdateExpression.replace(/^SET\s+/, "").split(",")) {
      const [name = "", value = ""] = assignment.split("=").map((part) => part.trim());
      const attribute = input.ExpressionAttributeNames[name];
      const attributeValue = input.ExpressionAttributeValues[value];
      if (attribute && attributeValue) item[attribute] = attributeValue;
    }
    this.items.set(id, item);
    return {};
  }
}
