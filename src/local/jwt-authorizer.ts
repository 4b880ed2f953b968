/**
 * API Gateway's JWT authorizer on localhost, where there is no identity provider. A route of openapi.yaml
 * with a `security` requirement needs a token; the local server reads the claims of `Authorization:
 * Bearer <JWT>` without checking its signature, issuer or audience (an unsigned token, `alg: none`, is
 * what `localToken` makes), and then does what API Gateway does: 401 for a token it cannot read or that
 * has expired, 403 when the token carries none of the route's scopes, and otherwise the claims, as
 * strings, and the scopes in requestContext.authorizer.jwt. A request without `Authorization` is the
 * local caller (LOCAL_CALLER), so that `curl` and the tests that are not about callers need no token.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { apiDocument, route } from "../api/router";

/** Who a request without `Authorization` is: a caller that writes and reads its own purchases. */
export const LOCAL_CALLER = { sub: "local", scope: "purchases:write purchases:read" } as const;

export interface JwtAuthorizerContext {
  jwt: { claims: Record<string, string>; scopes: string[] };
}

export type Authorization =
  | { allowed: true; authorizer: JwtAuthorizerContext | undefined }
  | { allowed: false; response: APIGatewayProxyStructuredResultV2 };

type SecurityRequirement = Record<string, string[]>;

/** An unsigned JWT (`alg: none`) with these claims, as the local server reads it. */
export function localToken(claims: Record<string, unknown>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "none", typ: "JWT" })}.${part(claims)}.`;
}

/**
 * The scopes the route requires, any one of which passes (API Gateway's rule, which openapi.yaml writes
 * as one requirement per scope); undefined for a route without an authorizer.
 */
function routeScopes(operationId: string): string[] | undefined {
  for (const methods of Object.values(apiDocument.paths ?? {})) {
    for (const operation of Object.values(methods ?? {})) {
      const candidate = operation as { operationId?: string; security?: SecurityRequirement[] };
      if (candidate.operationId !== operationId) continue;
      const security =
        candidate.security ?? (apiDocument.security as SecurityRequirement[] | undefined) ?? [];
      if (security.length === 0 || security.some((requirement) => Object.keys(requirement).length === 0)) {
        return undefined;
      }
      return security.flatMap((requirement) => Object.values(requirement).flat());
    }
  }
  return undefined;
}

function refusal(statusCode: 401 | 403, header: string): Authorization {
  return {
    allowed: false,
    response: {
      statusCode,
      headers: { "content-type": "application/json", "www-authenticate": header },
      body: JSON.stringify({ message: statusCode === 401 ? "Unauthorized" : "Forbidden" }),
    },
  };
}

const invalidToken = (description: string) =>
  refusal(401, `Bearer scope="" error="invalid_token" error_description="${description}"`);

/** The claims of a compact JWT, or undefined when it is not one. */
function claimsOf(token: string): Record<string, unknown> | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1] ?? "", "base64url").toString("utf8"));
    return typeof claims === "object" && claims !== null && !Array.isArray(claims)
      ? (claims as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A claim as API Gateway passes it on: every value a string, a list written `[a b]`. */
function gatewayClaim(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return `[${value.map(String).join(" ")}]`;
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function tokenScopes(claims: Record<string, unknown>): string[] {
  const claim = claims.scope ?? claims.scp;
  if (Array.isArray(claim)) return claim.map(String);
  return typeof claim === "string" ? claim.split(/\s+/).filter((scope) => scope !== "") : [];
}

/** What API Gateway's JWT authorizer decides for this request, before the function runs. */
export function authorize(event: APIGatewayProxyEventV2, now = new Date()): Authorization {
  const match = route(event.requestContext.http.method, event.rawPath);
  const required = match.kind === "operation" ? routeScopes(match.operationId) : undefined;
  if (required === undefined) return { allowed: true, authorizer: undefined };

  const header = event.headers.authorization;
  let claims: Record<string, unknown> | undefined = { ...LOCAL_CALLER };
  if (header !== undefined) {
    const token = /^Bearer\s+(\S+)$/i.exec(header.trim())?.[1];
    claims = token === undefined ? undefined : claimsOf(token);
    if (claims === undefined) return invalidToken("the token is not a JWT");
  }
  if (typeof claims.exp === "number" && claims.exp * 1000 <= now.getTime()) {
    return invalidToken("the token has expired");
  }
  const scopes = tokenScopes(claims);
  if (required.length > 0 && !required.some((scope) => scopes.includes(scope))) {
    return refusal(
      403,
      `Bearer scope="${required.join(" ")}" error="insufficient_scope" error_description="the token does not have the required scopes"`,
    );
  }
  const passed = Object.fromEntries(
    Object.entries(claims).map(([name, value]) => [name, gatewayClaim(value)]),
  );
  return { allowed: true, authorizer: { jwt: { claims: passed, scopes } } };
}
