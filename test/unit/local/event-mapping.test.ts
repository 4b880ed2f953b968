/** The local runtime hands the handlers the events AWS would: API Gateway HTTP API (2.0) and SQS. */
import { IncomingMessage } from "node:http";
import { Socket } from "node:net";
import { toApiGatewayEvent } from "../../../src/local/api-server";
import { toSqsEvent } from "../../../src/local/queue-poller";

function incoming(method: string, url: string, headers: Record<string, string>): IncomingMessage {
  const message = new IncomingMessage(new Socket());
  message.method = method;
  message.url = url;
  message.headers = headers;
  message.httpVersion = "1.1";
  return message;
}

describe("toApiGatewayEvent", () => {
  it("builds a payload 2.0 event with path, query, headers and cookies split out", () => {
    const event = toApiGatewayEvent(
      incoming("post", "/purchases?a=1&a=2&b=x", {
        "content-type": "application/json",
        cookie: "session=abc; theme=dark",
        host: "localhost:3000",
      }),
      Buffer.from('{"buyer_id":1}'),
      new Date("2024-11-05T13:45:12.000Z"),
    );
    expect(event.version).toBe("2.0");
    expect(event.rawPath).toBe("/purchases");
    expect(event.rawQueryString).toBe("a=1&a=2&b=x");
    expect(event.queryStringParameters).toEqual({ a: "1,2", b: "x" });
    expect(event.cookies).toEqual(["session=abc", "theme=dark"]);
    expect(event.headers.cookie).toBeUndefined();
    expect(event.requestContext.http.method).toBe("POST");
    expect(event.requestContext.time).toBe("05/Nov/2024:13:45:12 +0000");
    expect(event.body).toBe('{"buyer_id":1}');
    expect(event.isBase64Encoded).toBe(false);
  });

  it("passes bytes that are not UTF-8 base64-encoded, as API Gateway passes binary bodies", () => {
    const bytes = Buffer.from([0x7b, 0xff, 0x7d]);
    const event = toApiGatewayEvent(incoming("POST", "/purchases", {}), bytes);
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body ?? "", "base64")).toEqual(bytes);
  });

  it("leaves out the body when there is none", () => {
    const event = toApiGatewayEvent(incoming("GET", "/health", {}), Buffer.alloc(0));
    expect(event.body).toBeUndefined();
  });
});

describe("toSqsEvent", () => {
  it("maps received messages to SQS records with their attributes", () => {
    const event = toSqsEvent(
      [
        {
          MessageId: "m-1",
          ReceiptHandle: "r-1",
          Body: "{}",
          MD5OfBody: "99914b932bd37a50b983c5e7c90ae93b",
          Attributes: { ApproximateReceiveCount: "2", SentTimestamp: "1700000000000" },
          MessageAttributes: { schema_version: { DataType: "String", StringValue: "1.0.0" } },
        },
      ],
      "arn:aws:sqs:us-east-1:123456789012:q",
      "us-east-1",
    );
    expect(event.Records).toHaveLength(1);
    const [record] = event.Records;
    expect(record).toMatchObject({
      messageId: "m-1",
      receiptHandle: "r-1",
      body: "{}",
      eventSource: "aws:sqs",
      eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:q",
      awsRegion: "us-east-1",
    });
    expect(record?.attributes.ApproximateReceiveCount).toBe("2");
    expect(record?.messageAttributes.schema_version).toEqual({
      dataType: "String",
      stringValue: "1.0.0",
      stringListValues: [],
      binaryListValues: [],
    });
  });
});
