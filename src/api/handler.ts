/** Entry of the API function (API Gateway HTTP API, payload format 2.0): event in, HTTP response out. */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { assertConfigured } from "../config";
import { logger, publishMetrics } from "../observability";
import { handleRequest } from "./app";
import { callerOf } from "./caller";
import type { HttpRequest } from "./http";

assertConfigured(
  "purchasesTopicArn",
  "purchasesTableName",
  "idempotencyTableName",
  "idempotencyTtlSeconds",
  "schemaVersionAttribute",
);

export function toHttpRequest(event: APIGatewayProxyEventV2): HttpRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
  return {
    method: event.requestContext.http.method.toUpperCase(),
    path: event.rawPath,
    headers,
    body:
      event.body === undefined
        ? undefined
        : Buffer.from(event.body, event.isBase64Encoded ? "base64" : "utf8"),
    caller: callerOf(event.requestContext),
  };
}

export const handler = async (
  event: APIGatewayProxyEventV2,
  context: Context,
): Promise<APIGatewayProxyStructuredResultV2> => {
  logger.addContext(context);
  // Every log line of this request carries the gateway's id of it, which the access log also prints.
  logger.appendKeys({ request_id: event.requestContext.requestId });
  try {
    const response = await handleRequest(toHttpRequest(event), {
      now: () => new Date(),
      remainingTimeMs: () => context.getRemainingTimeInMillis(),
    });
    return { statusCode: response.statusCode, headers: response.headers, body: response.body };
  } finally {
    publishMetrics();
    logger.resetKeys();
  }
};
