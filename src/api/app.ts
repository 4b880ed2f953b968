/**
 * The API as a function of an HTTP request: route by operationId, run the operation, and answer every
 * failure as a problem document. No request can make it answer with a 5xx except a dependency that is
 * down (503) or a fault in the service itself (500).
 */
import { logger } from "../observability";
import { type HttpRequest, type HttpResponse, problemResponse } from "./http";
import { operations, reject } from "./operations";
import { problems } from "./problems";
import { route } from "./router";

export interface Runtime {
  now: () => Date;
  remainingTimeMs: () => number;
}

export async function handleRequest(request: HttpRequest, runtime: Runtime): Promise<HttpResponse> {
  try {
    const match = route(request.method, request.path);
    switch (match.kind) {
      case "not-found":
        return reject(problems.routeNotFound(request.method, request.path));
      case "method-not-allowed":
        return reject(problems.methodNotAllowed(request.method, match.allowed), {
          allow: match.allowed.join(", "),
        });
      case "malformed-path":
        return reject(
          problems.malformed([{ field: "path", location: "path", reason: "is not valid percent-encoding" }]),
        );
    }
    const operation = operations[match.operationId];
    if (operation === undefined) return reject(problems.routeNotFound(request.method, request.path));
    return await operation({
      request,
      params: match.params,
      now: runtime.now(),
      remainingTimeMs: runtime.remainingTimeMs,
    });
  } catch (error) {
    logger.error("request failed", { error });
    return problemResponse(problems.internal());
  }
}
