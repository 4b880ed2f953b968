/** Errors of the service-wide modules (configuration). */

/** A required environment variable is missing or malformed; the message names it. */
export class ConfigurationError extends Error {
  readonly variable: string;

  constructor(variable: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ConfigurationError";
    this.variable = variable;
  }
}
