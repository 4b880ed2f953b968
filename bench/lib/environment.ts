/** The functions' environment with every AWS call going to the sink. */
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
    AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: "1",
    NODE_NO_WARNINGS: "1",
  };
}
