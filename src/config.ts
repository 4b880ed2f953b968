/**
 * The one place that reads the functions' environment. Each getter reads its variable whenever asked
 * (a read costs about a microsecond, and a test may repoint a variable between invocations) and
 * throws a ConfigurationError naming it when it is missing, so a misconfigured stage fails with a
 * message that says what to set. The AWS SDK reads its own variables (AWS_REGION, AWS_ENDPOINT_URL for
 * the local emulator) and Powertools reads the POWERTOOLS_* ones.
 */
import { integerEnv, requiredEnv as required } from "./env";

const positiveInteger = (name: string) => integerEnv(name, undefined, 1, Number.MAX_SAFE_INTEGER);

export const config = {
  /** The SNS topic every accepted purchase is published to. */
  get purchasesTopicArn(): string {
    return required("PURCHASES_TOPIC_ARN");
  },
  /** The DynamoDB table of stored purchases (key purchase_id). */
  get purchasesTableName(): string {
    return required("PURCHASES_TABLE_NAME");
  },
  /** The DynamoDB table of the API's idempotency records (key id, TTL expiration). */
  get idempotencyTableName(): string {
    return required("IDEMPOTENCY_TABLE_NAME");
  },
  /** How long an Idempotency-Key is remembered (resources/stack.yml settings.idempotencyTtlSeconds). */
  get idempotencyTtlSeconds(): number {
    return positiveInteger("IDEMPOTENCY_TTL_SECONDS");
  },
  /** The message attribute that carries the contract version (resources/stack.yml settings.schemaVersionAttribute). */
  get schemaVersionAttribute(): string {
    return required("SCHEMA_VERSION_ATTRIBUTE");
  },
  /** The dead-letter queue contract-breaking messages are forwarded to. */
  get dlqUrl(): string {
    return required("DLQ_URL");
  },
  /**
   * Whether X-Ray tracing can be on: in Lambda (whose runtime sets AWS_EXECUTION_ENV) and not turned off
   * with POWERTOOLS_TRACE_ENABLED=false. Powertools' Tracer applies the same rules, and a few more.
   */
  get tracingPossible(): boolean {
    const enabled = process.env.POWERTOOLS_TRACE_ENABLED?.trim().toLowerCase() !== "false";
    return enabled && (process.env.AWS_EXECUTION_ENV ?? "").trim() !== "";
  },
};

/** Reads the given settings now, so that a function missing one fails at start, naming the variable. */
export function assertConfigured(...settings: (keyof typeof config)[]): void {
  for (const setting of settings) void config[setting];
}
