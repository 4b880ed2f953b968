/**
 * Who calls, as API Gateway's JWT authorizer passes it on in requestContext.authorizer.jwt: the token's
 * subject and scopes. The authorizer has already checked the token and the route's scopes (openapi.yaml's
 * `security`); what is left to the API is whose purchase a caller may read.
 */

/** The scope of support tools: it reads every caller's purchase. */
export const READ_ALL_SCOPE = "purchases:read-all";

export interface Caller {
  /** The token's `sub`, or undefined when no authorizer ran or the token has none. */
  subject: string | undefined;
  scopes: readonly string[];
}

interface JwtAuthorizer {
  authorizer?: { jwt?: { claims?: Record<string, unknown>; scopes?: unknown } };
}

/**
 * The scopes of a token: `jwt.scopes` when API Gateway filled it in (it is null on a route without scopes),
 * else the claims, which it passes as strings: `scope` space-separated (RFC 8693), `scp` as a list `[a b]`.
 */
function scopesOf(jwt: { claims?: Record<string, unknown>; scopes?: unknown }): string[] {
  if (Array.isArray(jwt.scopes) && jwt.scopes.length > 0) {
    return jwt.scopes.filter((scope) => typeof scope === "string");
  }
  const claim = jwt.claims?.scope ?? jwt.claims?.scp;
  if (Array.isArray(claim)) return claim.filter((scope) => typeof scope === "string");
  if (typeof claim !== "string") return [];
  return claim
    .replace(/^\[(.*)\]$/, "$1")
    .split(/\s+/)
    .filter((scope) => scope !== "");
}

/** The caller of an HTTP API (payload 2.0) request, from its requestContext. */
export function callerOf(requestContext: object): Caller {
  const jwt = (requestContext as JwtAuthorizer).authorizer?.jwt;
  if (!jwt) return { subject: undefined, scopes: [] };
  const subject = jwt.claims?.sub;
  return {
    subject: typeof subject === "string" && subject !== "" ? subject : undefined,
    scopes: scopesOf(jwt),
  };
}

/**
 * Whether the caller may read a purchase created by `owner`: its own, or any with the read-all scope.
 * A purchase without an owner (accepted before owners were stored, or by a token without a subject)
 * belongs to no caller.
 */
export function mayRead(caller: Caller, owner: unknown): boolean {
  if (caller.scopes.includes(READ_ALL_SCOPE)) return true;
  return caller.subject !== undefined && owner === caller.subject;
}
