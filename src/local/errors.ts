/** Errors of the local runtime (the API server, the queue poller, the system around them). */

export class LocalRuntimeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "LocalRuntimeError";
  }
}
