/**
 * The environment the handlers read, for unit tests: jest's setupFiles for the unit project, so it is set
 * before a test file loads a handler (the handlers read their configuration when loaded). The SDK is stubbed in these tests
 * (aws-sdk-client-mock), so the endpoint is never called; logs and metrics are kept quiet.
 */
Object.assign(process.env, {
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "test",
  AWS_SECRET_ACCESS_KEY: "test",
  AWS_ENDPOINT_URL: "http://127.0.0.1:9",
  PURCHASES_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:purchases-test-purchases",
  PURCHASES_TABLE_NAME: "purchases-test-purchases",
  IDEMPOTENCY_TABLE_NAME: "purchases-test-idempotency",
  IDEMPOTENCY_TTL_SECONDS: "86400",
  SCHEMA_VERSION_ATTRIBUTE: "schema_version",
  DLQ_URL: "http://127.0.0.1:9/123456789012/purchases-test-purchases-dlq",
  POWERTOOLS_SERVICE_NAME: "purchases",
  POWERTOOLS_METRICS_NAMESPACE: "Purchases",
  POWERTOOLS_LOG_LEVEL: "SILENT",
  POWERTOOLS_METRICS_DISABLED: "true",
  AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: "1",
});
