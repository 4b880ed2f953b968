/**
 * Reading a JSON body: its size (16 KiB, openapi.yaml's PayloadTooLarge), its media type, its encoding
 * and its syntax, each refused with the problem openapi.yaml documents for it.
 */
import type { HttpRequest, Problem } from "./http";
import { problems } from "./problems";

/** A purchase is about 150 bytes of JSON; 16 KiB leaves room for any client's formatting and nothing more. */
export const MAX_BODY_BYTES = 16 * 1024;

export type JsonBody = { ok: true; value: unknown; text: string } | { ok: false; problem: Problem };

const utf8 = new TextDecoder("utf-8", { fatal: true });

function mediaTypeProblem(contentType: string | undefined): Problem | undefined {
  if (contentType === "application/json") return undefined;
  if (contentType === undefined || contentType.trim() === "") {
    return problems.unsupportedMediaType("is missing; it must be application/json");
  }
  const [mediaType = "", ...parameters] = contentType.split(";").map((part) => part.trim().toLowerCase());
  if (mediaType !== "application/json") return problems.unsupportedMediaType("must be application/json");
  for (const parameter of parameters) {
    const [name, value = ""] = parameter.split("=").map((part) => part.trim());
    if (name === "charset" && value.replaceAll('"', "") !== "utf-8") {
      return problems.unsupportedMediaType("must be application/json in UTF-8 (charset=utf-8)");
    }
  }
  return undefined;
}

export function readJsonBody(request: HttpRequest): JsonBody {
  const bytes = request.body;
  if (bytes !== undefined && bytes.length > MAX_BODY_BYTES) {
    return { ok: false, problem: problems.payloadTooLarge(MAX_BODY_BYTES) };
  }
  const mediaType = mediaTypeProblem(request.headers["content-type"]);
  if (mediaType) return { ok: false, problem: mediaType };
  if (bytes === undefined || bytes.length === 0) {
    return {
      ok: false,
      problem: problems.malformed([{ field: "body", location: "body", reason: "is required" }]),
    };
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return {
      ok: false,
      problem: problems.malformed([{ field: "body", location: "body", reason: "is not valid UTF-8" }]),
    };
  }
  try {
    return { ok: true, value: JSON.parse(text), text };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      problem: problems.malformed([
        { field: "body", location: "body", reason: `is not valid JSON: ${detail}` },
      ]),
    };
  }
}

/**
 * The literal text of a top-level number member, e.g. "299.90" for `"total_amount": 299.90`, so that its
 * decimal places can be counted before binary floating point rounds them away. When the key appears more
 * than once the last one counts, as in JSON.parse. Undefined when the member is not written plainly.
 */
export function numberLiteral(text: string, member: string): string | undefined {
  const pattern = new RegExp(`"${member}"\\s*:\\s*(-?[0-9][0-9.eE+-]*)`, "g");
  let literal: string | undefined;
  for (const match of text.matchAll(pattern)) literal = match[1];
  return literal;
}
