/** Turns the generated validators' (ajv) errors into FieldErrors that name the field and say why, in plain words. */
import type { ErrorObject } from "ajv";
import type { components } from "../generated/openapi/types";

export type FieldError = components["schemas"]["FieldError"];

type Location = FieldError["location"];

/** The field an ajv error is about: the property path, the missing property, or `fallback` for the whole value. */
function fieldOf(error: ErrorObject, fallback: string): string {
  const params = error.params as Record<string, unknown>;
  const path = error.instancePath
    .split("/")
    .slice(1)
    .map((segment) => segment.replaceAll("~1", "/").replaceAll("~0", "~"));
  if (error.keyword === "required" && typeof params.missingProperty === "string")
    path.push(params.missingProperty);
  if (error.keyword === "unevaluatedProperties" && typeof params.unevaluatedProperty === "string") {
    path.push(params.unevaluatedProperty);
  }
  if (error.keyword === "additionalProperties" && typeof params.additionalProperty === "string") {
    path.push(params.additionalProperty);
  }
  return path.length > 0 ? path.join(".") : fallback;
}

const TYPE_NAMES: Record<string, string> = {
  integer: "an integer",
  number: "a number",
  string: "a string",
  object: "a JSON object",
  array: "an array",
  boolean: "true or false",
};

const FORMAT_REASONS: Record<string, string> = {
  date: "is not a calendar date (YYYY-MM-DD)",
  "date-time": "is not a date-time (RFC 3339)",
  uuid: "is not a UUID",
};

function reasonOf(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required":
      return "is required";
    case "type":
      return `must be ${TYPE_NAMES[String(params.type)] ?? String(params.type)}`;
    case "minimum":
      return `must be at least ${String(params.limit)}`;
    case "maximum":
      return `must be at most ${String(params.limit)}`;
    case "exclusiveMinimum":
      return `must be greater than ${String(params.limit)}`;
    case "exclusiveMaximum":
      return `must be less than ${String(params.limit)}`;
    case "minLength":
      return `must be at least ${String(params.limit)} characters long`;
    case "maxLength":
      return `must be at most ${String(params.limit)} characters long`;
    case "formatMinimum":
      return `must be no earlier than ${String(params.limit)}`;
    case "formatMaximum":
      return `must be no later than ${String(params.limit)}`;
    case "pattern":
      return `must match ${String(params.pattern)}`;
    case "format":
      return FORMAT_REASONS[String(params.format)] ?? `is not a valid ${String(params.format)}`;
    case "enum":
      return `must be one of ${(params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(", ")}`;
    case "unevaluatedProperties":
    case "additionalProperties":
      return "is not a known field";
    default:
      return error.message ?? "is invalid";
  }
}

/** One FieldError per distinct (field, reason), in the validator's order. */
export function toFieldErrors(
  errors: readonly ErrorObject[] | null | undefined,
  location: Location,
  fallbackField: string,
): FieldError[] {
  const result: FieldError[] = [];
  const seen = new Set<string>();
  for (const error of errors ?? []) {
    const fieldError: FieldError = {
      field: fieldOf(error, fallbackField),
      location,
      reason: reasonOf(error),
    };
    const id = `${fieldError.field}\u0000${fieldError.reason}`;
    if (seen.has(id)) continue;
    seen.add(id);
    result.push(fieldError);
  }
  return result;
}
