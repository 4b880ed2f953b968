/**
 * Routing by operationId with openapi-backend's router over the generated OpenAPI document. Only the
 * router is loaded: the request checks are the validators generated at build time, so nothing compiles
 * a schema (or loads openapi-backend's validator and its dependencies) when the function starts.
 */
import type { Document } from "openapi-backend";
import { OpenAPIRouter } from "openapi-backend/router";
import document from "../../generated/openapi/openapi.json";

export const apiDocument = document as unknown as Document;

const router = new OpenAPIRouter({ definition: apiDocument, apiRoot: "/" });

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

export type RouteMatch =
  | { kind: "operation"; operationId: string; params: Record<string, string> }
  | { kind: "malformed-path"; operationId: string }
  | { kind: "not-found" }
  | { kind: "method-not-allowed"; allowed: string[] };

export function route(method: string, path: string): RouteMatch {
  const request = { method, path, headers: {} };
  const operation = router.matchOperation(request);
  if (operation?.operationId) {
    try {
      // The router percent-decodes path parameters.
      const { params } = router.parseRequest(request, operation);
      return {
        kind: "operation",
        operationId: operation.operationId,
        params: params as Record<string, string>,
      };
    } catch (error) {
      if (error instanceof URIError) return { kind: "malformed-path", operationId: operation.operationId };
      throw error;
    }
  }
  // The path may exist with other methods: that is a 405 with the methods it accepts, not a 404.
  const allowed = METHODS.filter(
    (other) => router.matchOperation({ ...request, method: other }) !== undefined,
  );
  if (allowed.length === 0) return { kind: "not-found" };
  return { kind: "method-not-allowed", allowed: allowed.map((other) => other.toUpperCase()) };
}
