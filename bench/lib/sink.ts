/**
 * A stand-in for the AWS endpoints that answers every call at once, so that a benchmark measures the
 * function and the SDK rather than a service: SNS Publish (query protocol), DynamoDB (JSON 1.0) and SQS
 * SendMessage (JSON 1.0). Run it in its own process (bench/sink-process.ts) so that it does not share
 * the measured event loop.
 */
import { createHash, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

function answer(target: string | undefined, body: string): { type: string; body: string } {
  if (target?.startsWith("DynamoDB_20120810.")) {
    const operation = target.slice("DynamoDB_20120810.".length);
    return {
      type: "application/x-amz-json-1.0",
      body: operation === "BatchWriteItem" ? '{"UnprocessedItems":{}}' : "{}",
    };
  }
  if (target === "AmazonSQS.SendMessage") {
    const { MessageBody = "" } = JSON.parse(body) as { MessageBody?: string };
    const md5 = createHash("md5").update(MessageBody).digest("hex");
    return {
      type: "application/x-amz-json-1.0",
      body: JSON.stringify({ MessageId: randomUUID(), MD5OfMessageBody: md5 }),
    };
  }
  // SNS speaks the query protocol: a form-encoded Action=Publish, answered in XML.
  return {
    type: "text/xml",
    body:
      '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult>' +
      `<MessageId>${randomUUID()}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}` +
      "</RequestId></ResponseMetadata></PublishResponse>",
  };
}

export async function startSink(port = 0): Promise<{ server: Server; endpoint: string }> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const reply = answer(
        request.headers["x-amz-target"] as string | undefined,
        Buffer.concat(chunks).toString(),
      );
      response.writeHead(200, { "content-type": reply.type, "x-amzn-requestid": randomUUID() });
      response.end(reply.body);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
