/** The functions' environment in the benchmarks, with every AWS call going to the sink. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { ROOT } from "./report";

function yamlFile(path: string): Record<string, unknown> {
  return parseDocument(readFileSync(join(ROOT, path), "utf8"), { logLevel: "silent" }).toJS();
}

/** The log level staging and prod run with (serverless.yml params.prod.logLevel). */
export function productionLogLevel(): string {
  const { params } = yamlFile("serverless.yml") as { params: { prod: { logLevel: string } } };
  return params.prod.logLevel;
}

/** Records per consumer invocation at most (resources/stack.yml settings.consumerBatchSize). */
export function consumerBatchSize(): number {
  const { settings } = yamlFile("resources/stack.yml") as { settings: { consumerBatchSize: number } };
  return settings.consumerBatchSize;
}

export function sinkEnvironment(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: "us-east-1",
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    PURCHASES_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:purchases-bench-purchases",
    PURCHASES_TABLE_NAME: "purchases-bench-purchases",
    IDEMPOTENCY_TABLE_NAME: "purchases-bench-idempotency",
    IDEMPOTENCY_TTL_SECONDS: "86400",
    SCHEMA_VERSION_ATTRIBUTE: "schema_version",
    DLQ_URL: `${endpoint}/123456789012/purchases-bench-purchases-dlq`,
    POWERTOOLS_SERVICE_NAME: "purchases",
    POWERTOOLS_METRICS_NAMESPACE: "Purchases",
    POWERTOOLS_LOG_LEVEL: productionLogLevel(),
    AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: "1",
    NODE_NO_WARNINGS: "1",
  };
}
