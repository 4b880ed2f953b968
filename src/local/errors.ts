/** Errors of the local runtime (the API server, the queue poller, the system around them). */
import { DomainError } from "../errors";

export class LocalRuntimeError extends DomainError {}

/** The local AWS stand-in (the emulator) could not be started, reached or stopped. */
export class EmulatorError extends DomainError {}
