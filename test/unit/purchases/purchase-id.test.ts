import { canonicalJson, keyedPurchaseId, randomPurchaseId, uuidV5 } from "../../../src/purchases/purchase-id";

const CONTRACT_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("purchase ids", () => {
  it("computes RFC 9562 version 5 UUIDs (the RFC's DNS example)", () => {
    expect(uuidV5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com")).toBe(
      "2ed6657d-e927-568b-95e1-2665a8aea6a2",
    );
  });

  it("gives the same caller, key and body the same id, and any other combination another", () => {
    const body = canonicalJson({ buyer_id: 1, total_amount: 2.5 });
    const id = keyedPurchaseId("alice", "order-1", body);
    expect(keyedPurchaseId("alice", "order-1", body)).toBe(id);
    expect(keyedPurchaseId("bob", "order-1", body)).not.toBe(id);
    expect(keyedPurchaseId("alice", "order-2", body)).not.toBe(id);
    expect(keyedPurchaseId("alice", "order-1", canonicalJson({ buyer_id: 1, total_amount: 2.6 }))).not.toBe(
      id,
    );
    expect(id).toMatch(CONTRACT_PATTERN);
  });

  it("cannot be confused by a separator inside the key", () => {
    expect(keyedPurchaseId("a\nb", "c", "{}")).not.toBe(keyedPurchaseId("a", "b\nc", "{}"));
  });

  it("gives random ids in the contract's lower-case form", () => {
    const ids = new Set(Array.from({ length: 100 }, randomPurchaseId));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(CONTRACT_PATTERN);
  });

  it("writes canonical JSON with sorted keys", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}',
    );
  });
});
