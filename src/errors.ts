/** The base of every error of this service, and the errors of the service-wide modules (configuration). */

/** An error of this service: its name is its class's name, and its cause keeps the underlying error for the logs. */
export class DomainError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    // The subclass's own name: the bundle keeps class names (keepNames in serverless.yml).
    this.name = new.target.name;
  }
}

/** A required environment variable is missing or malformed; the message names it. */
export class ConfigurationError extends DomainError {
  readonly variable: string;

  constructor(variable: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.variable = variable;
  }
}
