/**
 * Reading one environment variable, with an error that names it. src/config.ts (the functions) and
 * src/local/local-env.ts (the local runtime) build their settings on these two.
 */
import { ConfigurationError } from "./errors";

/** The variable's value, trimmed; throws when it is missing or blank. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value.trim() === "") {
    throw new ConfigurationError(name, `environment variable ${name} is not set`);
  }
  return value.trim();
}

/** The variable as an integer in [min, max]; `fallback` when it is unset or blank (required when there is none). */
export function integerEnv(name: string, fallback: number | undefined, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") {
    // Without a fallback the variable is required: this throws, naming it.
    return fallback ?? Number(requiredEnv(name));
  }
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigurationError(
      name,
      `environment variable ${name} must be an integer from ${min} to ${max}, got "${raw}"`,
    );
  }
  return value;
}
