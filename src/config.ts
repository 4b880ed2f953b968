/**
 * The one place that reads the functions' environment. Each getter reads its variable when first asked
 * and throws a ConfigurationError naming it when it is missing, so a misconfigured stage fails with a
 * message that says what to set. The AWS SDK reads its own variables (AWS_REGION, AWS_ENDPOINT_URL for
 * the local emulator) and Powertools reads the POWERTOOLS_* ones.
 */
import { integerEnv, requiredEnv as required } from "./env";

const positiveInteger = (name: string) => integerEnv(name, undefined, 1, Number.MAX_SAFE_INTEGER);

const read = new Map<string, unknown>();

/** The variable's setting, read (and checked) on first use only: every request asks for some of them. */
function once<T>(name: string, parse: (name: string) => T): T {
  if (!read.has(name)) read.set(name, parse(name));
  return read.get(name) as T;
}

export const config = {
  /** The SNS topic every accepted purchase is published to. */
  get purchasesTopicArn(): string {
    return once("PURCHASES_TOPIC_ARN", required);
  },
  /** The DynamoDB table of stored purchases (key purchase_id). */
  get purchasesTableName(): string {
    return once("PURCHASES_TABLE_NAME", required);
  },
  /** The DynamoDB table of the API's idempotency records (key id, TTL expiration). */
  get idempotencyTableName(): string {
    return once("IDEMPOTENCY_TABLE_NAME", required);
  },
  /** How long an Idempotency-Key is remembered (resources/stack.yml settings.idempotencyTtlSeconds). */
  get idempotencyTtlSeconds(): number {
    return once("IDEMPOTENCY_TTL_SECONDS", positiveInteger);
  },
  /** The message attribute that carries the contract version (resources/stack.yml settings.schemaVersionAttribute). */
  get schemaVersionAttribute(): string {
    return once("SCHEMA_VERSION_ATTRIBUTE", required);
  },
  /** The dead-letter queue contract-breaking messages are forwarded to. */
  get dlqUrl(): string {
    return once("DLQ_URL", required);
  },
};

/** Reads the given settings now, so that a function missing one fails at start, naming the variable. */
export function assertConfigured(...settings: (keyof typeof config)[]): void {
  for (const setting of settings) void config[setting];
}
