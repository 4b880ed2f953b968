/** Builders of the events the handlers receive, for tests. */
import { randomUUID } from "node:crypto";
import type { APIGatewayProxyEventV2, Context, SQSEvent, SQSRecord } from "aws-lambda";
import { contractVersion } from "../../generated/validators/contract";

export interface HttpInput {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The JWT subject the authorizer would pass on. */
  caller?: string;
  /** The token's scopes (the `scope` claim); only with a caller. */
  scopes?: string[];
}

export function apiEvent(input: HttpInput): APIGatewayProxyEventV2 {
  const body = input.body;
  const event: APIGatewayProxyEventV2 = {
    version: "2.0",
    routeKey: "$default",
    rawPath: input.path,
    rawQueryString: "",
    headers: Object.fromEntries(Object.entries(input.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    requestContext: {
      accountId: "123456789012",
      apiId: "test",
      domainName: "test.example",
      domainPrefix: "test",
      http: {
        method: input.method,
        path: input.path,
        protocol: "HTTP/1.1",
        sourceIp: "127.0.0.1",
        userAgent: "jest",
      },
      requestId: randomUUID(),
      routeKey: "$default",
      stage: "$default",
      time: "05/Nov/2024:13:45:12 +0000",
      timeEpoch: Date.now(),
    },
    isBase64Encoded: Buffer.isBuffer(body),
    ...(body === undefined ? {} : { body: Buffer.isBuffer(body) ? body.toString("base64") : body }),
  };
  if (input.caller) {
    // As API Gateway passes them: every claim a string, and `scopes` null.
    (event.requestContext as unknown as { authorizer: unknown }).authorizer = {
      jwt: { claims: { sub: input.caller, scope: (input.scopes ?? []).join(" ") }, scopes: null },
    };
  }
  return event;
}

export function lambdaContext(timeoutMs = 10_000): Context {
  const started = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: "purchases-test",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:purchases-test",
    memoryLimitInMB: "512",
    awsRequestId: randomUUID(),
    logGroupName: "/aws/lambda/purchases-test",
    logStreamName: "test",
    getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (Date.now() - started)),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export function sqsRecord(
  body: string,
  attributes: Record<string, string> = { schema_version: contractVersion },
): SQSRecord {
  return {
    messageId: randomUUID(),
    receiptHandle: randomUUID(),
    body,
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: String(Date.now()),
      SenderId: "test",
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(attributes).map(([name, value]) => [
        name,
        { dataType: "String", stringValue: value, stringListValues: [], binaryListValues: [] },
      ]),
    ),
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:purchases-test-purchases",
    awsRegion: "us-east-1",
  };
}

export function sqsEvent(records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

/** Today's UTC date plus `days`, as YYYY-MM-DD. */
export function utcDate(days = 0): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

export function validPurchase(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    buyer_id: 1042,
    product_id: 77,
    number_of_installments: 3,
    total_amount: 299.9,
    purchase_date: utcDate(),
    ...overrides,
  };
}
