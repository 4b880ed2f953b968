/** The caller as the JWT authorizer passes it on, and whose purchase it may read. */
import openapi from "../../../generated/openapi/openapi.json";
import { type Caller, callerOf, mayRead, READ_ALL_SCOPE } from "../../../src/api/caller";

const jwt = (claims: Record<string, unknown>, scopes: unknown = null) => ({
  authorizer: { jwt: { claims, scopes } },
});

describe("callerOf", () => {
  const cases: [string, { given: object; want: Caller }][] = [
    ["no authorizer (a route without one)", { given: {}, want: { subject: undefined, scopes: [] } }],
    [
      "the scope claim, space-separated",
      {
        given: jwt({ sub: "alice", scope: "purchases:read  purchases:write" }),
        want: { subject: "alice", scopes: ["purchases:read", "purchases:write"] },
      },
    ],
    [
      "the scp claim as API Gateway writes a list",
      {
        given: jwt({ sub: "alice", scp: "[purchases:read purchases:read-all]" }),
        want: { subject: "alice", scopes: ["purchases:read", "purchases:read-all"] },
      },
    ],
    [
      "the scopes API Gateway filled in, over the claims",
      {
        given: jwt({ sub: "alice", scope: "other" }, ["purchases:read"]),
        want: { subject: "alice", scopes: ["purchases:read"] },
      },
    ],
    [
      "an empty subject, as none",
      {
        given: jwt({ sub: "", scope: "purchases:read" }),
        want: { subject: undefined, scopes: ["purchases:read"] },
      },
    ],
    ["a token without scopes", { given: jwt({ sub: "alice" }), want: { subject: "alice", scopes: [] } }],
  ];
  it.each(cases)("reads %s", (_name, { given, want }) => {
    expect(callerOf(given)).toEqual(want);
  });
});

describe("mayRead", () => {
  const alice: Caller = { subject: "alice", scopes: ["purchases:read"] };
  const support: Caller = { subject: "support-tool", scopes: [READ_ALL_SCOPE] };
  const cases: [string, { caller: Caller; owner: unknown; want: boolean }][] = [
    ["its own purchase", { caller: alice, owner: "alice", want: true }],
    ["another caller's purchase", { caller: alice, owner: "bob", want: false }],
    ["a purchase without an owner", { caller: alice, owner: undefined, want: false }],
    ["with read-all, another caller's purchase", { caller: support, owner: "bob", want: true }],
    ["with read-all, a purchase without an owner", { caller: support, owner: undefined, want: true }],
    [
      "without a subject, a purchase without an owner",
      { caller: { subject: undefined, scopes: ["purchases:read"] }, owner: undefined, want: false },
    ],
    ["an owner that differs only in case", { caller: alice, owner: "Alice", want: false }],
  ];
  it.each(cases)("%s", (_name, { caller, owner, want }) => {
    expect(mayRead(caller, owner)).toBe(want);
  });

  it("knows the read-all scope by the name openapi.yaml declares", () => {
    const scopes = openapi.components.securitySchemes.oauth2.flows.clientCredentials.scopes;
    expect(Object.keys(scopes)).toContain(READ_ALL_SCOPE);
    const read = openapi.paths["/purchases/{purchase_id}"].get.security;
    expect(read).toContainEqual({ oauth2: [READ_ALL_SCOPE] });
  });
});
