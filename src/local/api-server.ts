/**
 * The API on localhost: a plain HTTP server that turns each request into the event API Gateway's HTTP API
 * sends (payload format 2.0) and calls the same handler the Lambda runs, then turns its result back into
 * the HTTP response. It also serves the API reference at /docs and the data contract at /contract.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { REPO_ROOT } from "./emulator";
import { LocalRuntimeError } from "./errors";
import { authorize } from "./jwt-authorizer";
import { localLambdaContext } from "./lambda-context";
import { LOCAL_ACCOUNT_ID } from "./stack";

export type ApiHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

export interface ApiServerOptions {
  handler: ApiHandler;
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** The API function's timeout (serverless.yml), for the handler's remaining-time clock. */
  timeoutMs?: number;
}

export interface ApiServer {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** API Gateway refuses payloads over 10 MB before any function runs; the local server does the same. */
const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

const PAGES: Record<string, string> = {
  "/docs": join(REPO_ROOT, "generated", "html", "api.html"),
  "/contract": join(REPO_ROOT, "generated", "html", "contract.html"),
};

const utf8 = new TextDecoder("utf-8", { fatal: true });

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** requestContext.time as API Gateway writes it, e.g. 05/Nov/2024:13:45:12 +0000. */
function gatewayTime(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, "0");
  const clock = `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
  return `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${clock} +0000`;
}

/** The HTTP API (payload 2.0) event for a request, as API Gateway builds it. */
export function toApiGatewayEvent(
  request: IncomingMessage,
  body: Buffer,
  now = new Date(),
): APIGatewayProxyEventV2 {
  const url = new URL(request.url ?? "/", "http://localhost");
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    if (name === "cookie") {
      cookies = (Array.isArray(value) ? value.join("; ") : value).split(";").map((cookie) => cookie.trim());
      continue;
    }
    headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  const queryStringParameters: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    queryStringParameters[name] =
      name in queryStringParameters ? `${queryStringParameters[name]},${value}` : value;
  }
  let text: string | undefined;
  if (body.length > 0) {
    try {
      text = utf8.decode(body);
    } catch {
      text = undefined;
    }
  }
  const method = (request.method ?? "GET").toUpperCase();
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ""),
    ...(cookies ? { cookies } : {}),
    headers,
    ...(url.search ? { queryStringParameters } : {}),
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: "local",
      domainName: headers.host ?? "localhost",
      domainPrefix: (headers.host ?? "localhost").split(".")[0] ?? "localhost",
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? "127.0.0.1",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: randomUUID(),
      routeKey: "$default",
      stage: "$default",
      time: gatewayTime(now),
      timeEpoch: now.getTime(),
    },
    // Bodies that are not UTF-8 text reach the function base64-encoded, as API Gateway sends binary bodies.
    ...(body.length === 0
      ? { isBase64Encoded: false }
      : text !== undefined
        ? { body: text, isBase64Encoded: false }
        : { body: body.toString("base64"), isBase64Encoded: true }),
  };
}

async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > GATEWAY_MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(response: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  const headers: Record<string, string | number | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  if (result.cookies?.length) headers["set-cookie"] = result.cookies;
  const body = result.body === undefined ? "" : result.body;
  const bytes = result.isBase64Encoded ? Buffer.from(body, "base64") : Buffer.from(body, "utf8");
  headers["content-length"] = bytes.length;
  response.writeHead(result.statusCode ?? 200, headers);
  response.end(bytes);
}

function gatewayError(statusCode: number, message: string): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { "content-type": "application/json" }, body: JSON.stringify({ message }) };
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const host = options.host ?? "127.0.0.1";
  const timeoutMs = options.timeoutMs ?? 10_000;
  const pages = new Map(Object.entries(PAGES).map(([path, file]) => [path, readFileSync(file)]));

  const server = createServer((request, response) => {
    void (async () => {
      const path = new URL(request.url ?? "/", "http://localhost").pathname;
      const page = pages.get(path.replace(/\/$/, ""));
      if (page && (request.method === "GET" || request.method === "HEAD")) {
        response.writeHead(200, {
          "content-type": "text/html; charset=utf-8",
          "content-length": page.length,
        });
        response.end(request.method === "HEAD" ? undefined : page);
        return;
      }
      const body = await readBody(request);
      if (body === undefined) {
        send(response, gatewayError(413, "Request Entity Too Large"));
        return;
      }
      const event = toApiGatewayEvent(request, body);
      const authorization = authorize(event);
      if (!authorization.allowed) {
        send(response, authorization.response);
        return;
      }
      if (authorization.authorizer)
        Object.assign(event.requestContext, { authorizer: authorization.authorizer });
      try {
        send(response, await options.handler(event, localLambdaContext("purchases-local-api", timeoutMs)));
      } catch {
        // What API Gateway answers when the function itself fails.
        send(response, gatewayError(500, "Internal Server Error"));
      }
    })().catch((error: unknown) => {
      if (!response.headersSent) send(response, gatewayError(500, "Internal Server Error"));
      else response.destroy(error instanceof Error ? error : undefined);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", (error) =>
      reject(
        new LocalRuntimeError(`the API server could not listen on ${host}:${options.port}`, { cause: error }),
      ),
    );
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
