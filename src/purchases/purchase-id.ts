/**
 * Purchase ids. A purchase sent without an Idempotency-Key gets a random UUID (v4). A purchase sent with
 * one gets a name-based UUID (v5) of the caller, the key and the body: a retry after an ambiguous failure
 * (the publish reached SNS but its answer was lost, or the function died before it recorded the result)
 * then publishes the same purchase_id again, and the consumer's write keyed by purchase_id stores it once.
 * A random id there would turn one purchase into two.
 */
import { hash, randomUUID } from "node:crypto";

/** The namespace of this service's name-based purchase ids (a fixed, randomly chosen UUID). */
const PURCHASE_ID_NAMESPACE = "3c9f0d2e-8a41-4f57-b6de-52a1c07e9b34";

export function randomPurchaseId(): string {
  return randomUUID();
}

/** RFC 9562 UUID version 5 of `name` in `namespace`. */
export function uuidV5(namespace: string, name: string): string {
  const namespaceBytes = Buffer.from(namespace.replaceAll("-", ""), "hex");
  const digest = hash("sha1", Buffer.concat([namespaceBytes, Buffer.from(name, "utf8")]), "buffer");
  const bytes = digest.subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The id of a purchase sent with an Idempotency-Key: the same caller, key and body give the same id. */
export function keyedPurchaseId(caller: string, idempotencyKey: string, canonicalBody: string): string {
  // A JSON array keeps the parts apart whatever characters they contain.
  return uuidV5(PURCHASE_ID_NAMESPACE, JSON.stringify([caller, idempotencyKey, canonicalBody]));
}

/** JSON with object keys sorted, so that the same body sent with its fields in another order is the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
