/** The local server's stand-in for API Gateway's JWT authorizer: the routes' scopes from openapi.yaml. */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { type Authorization, authorize, LOCAL_CALLER, localToken } from "../../../src/local/jwt-authorizer";
import { apiEvent } from "../../support/events";

const NOW = new Date("2024-11-05T13:45:12.000Z");
const inAnHour = NOW.getTime() / 1000 + 3600;
const ID = "8d0f3a4e-6c8b-4c36-9d5e-3f1c2b7a9e10";

function request(method: string, path: string, authorization?: string): APIGatewayProxyEventV2 {
  return apiEvent({ method, path, headers: authorization === undefined ? {} : { authorization } });
}
const bearer = (claims: Record<string, unknown>) => `Bearer ${localToken(claims)}`;
const status = (outcome: Authorization) => (outcome.allowed ? "allowed" : outcome.response.statusCode);

describe("the local JWT authorizer", () => {
  const cases: [string, { given: APIGatewayProxyEventV2; want: number | "allowed" }][] = [
    ["an open route without a token", { given: request("GET", "/health"), want: "allowed" }],
    [
      "an open route with a token it cannot read",
      { given: request("GET", "/health", "Bearer x"), want: "allowed" },
    ],
    [
      "a path with no route (the function answers it)",
      { given: request("GET", "/nowhere", "Bearer x"), want: "allowed" },
    ],
    [
      "a request without Authorization, as the local caller",
      { given: request("POST", "/purchases"), want: "allowed" },
    ],
    [
      "a token with the route's scope",
      {
        given: request("POST", "/purchases", bearer({ sub: "a", scope: "purchases:write" })),
        want: "allowed",
      },
    ],
    [
      "a token with one of the route's scopes",
      {
        given: request("GET", `/purchases/${ID}`, bearer({ sub: "a", scope: "purchases:read-all" })),
        want: "allowed",
      },
    ],
    [
      "the scp claim as a list",
      {
        given: request("GET", `/purchases/${ID}`, bearer({ sub: "a", scp: ["x", "purchases:read"] })),
        want: "allowed",
      },
    ],
    [
      "a token without the route's scope",
      { given: request("POST", "/purchases", bearer({ sub: "a", scope: "purchases:read" })), want: 403 },
    ],
    [
      "a token without scopes",
      { given: request("GET", `/purchases/${ID}`, bearer({ sub: "a" })), want: 403 },
    ],
    ["a token that is not a JWT", { given: request("POST", "/purchases", "Bearer not-a-jwt"), want: 401 }],
    ["a scheme other than Bearer", { given: request("POST", "/purchases", "Basic dXNlcjpwYXNz"), want: 401 }],
    [
      "an expired token",
      {
        given: request(
          "POST",
          "/purchases",
          bearer({ sub: "a", scope: "purchases:write", exp: inAnHour - 7200 }),
        ),
        want: 401,
      },
    ],
    [
      "a token that expires later",
      {
        given: request("POST", "/purchases", bearer({ sub: "a", scope: "purchases:write", exp: inAnHour })),
        want: "allowed",
      },
    ],
  ];
  it.each(cases)("%s: %s", (_name, { given, want }) => {
    expect(status(authorize(given, NOW))).toBe(want);
  });

  it("passes the claims as API Gateway does: every value a string, and the token's scopes", () => {
    const outcome = authorize(
      request(
        "GET",
        `/purchases/${ID}`,
        bearer({ sub: "alice", scope: "purchases:read", exp: inAnHour, aud: ["x", "y"] }),
      ),
      NOW,
    );
    expect(outcome).toEqual({
      allowed: true,
      authorizer: {
        jwt: {
          claims: { sub: "alice", scope: "purchases:read", exp: String(inAnHour), aud: "[x y]" },
          scopes: ["purchases:read"],
        },
      },
    });
  });

  it("takes a request without Authorization as the local caller", () => {
    const outcome = authorize(request("POST", "/purchases"), NOW);
    expect(outcome.allowed && outcome.authorizer?.jwt.claims).toEqual(LOCAL_CALLER);
  });

  it("refuses as API Gateway does: its message, and WWW-Authenticate naming the reason", () => {
    const forbidden = authorize(
      request("POST", "/purchases", bearer({ sub: "a", scope: "purchases:read" })),
      NOW,
    );
    expect(forbidden).toMatchObject({
      allowed: false,
      response: { statusCode: 403, body: JSON.stringify({ message: "Forbidden" }) },
    });
    expect(!forbidden.allowed && forbidden.response.headers?.["www-authenticate"]).toContain(
      'scope="purchases:write" error="insufficient_scope"',
    );
    const unauthorized = authorize(request("POST", "/purchases", "Bearer not-a-jwt"), NOW);
    expect(unauthorized).toMatchObject({
      allowed: false,
      response: { statusCode: 401, body: JSON.stringify({ message: "Unauthorized" }) },
    });
    expect(!unauthorized.allowed && unauthorized.response.headers?.["www-authenticate"]).toContain(
      'error="invalid_token"',
    );
  });
});
