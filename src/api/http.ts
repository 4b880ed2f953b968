/**
 * The API's view of HTTP, independent of how the request arrived (API Gateway in AWS, the local server
 * on a laptop): a request with lower-case header names and the raw body bytes, and a response.
 */
import type { components } from "../../generated/openapi/types";
import type { Caller } from "./caller";

export type Problem = components["schemas"]["Problem"];

export interface HttpRequest {
  method: string;
  path: string;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  /** The body as sent, or undefined when there is none. */
  body: Buffer | undefined;
  /** The caller, as the JWT authorizer passed it on. */
  caller: Caller;
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResponse {
  return {
    statusCode,
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  };
}

export function problemResponse(problem: Problem, headers: Record<string, string> = {}): HttpResponse {
  return {
    statusCode: problem.status,
    headers: { "content-type": "application/problem+json", ...headers },
    body: JSON.stringify(problem),
  };
}
