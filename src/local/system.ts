/**
 * The local system: the emulator with every resource provisioned, the API function and the consumer
 * function, each function in a process of its own as each runs in its own execution environment on
 * Lambda. `npm start`, the end-to-end tests, the fault suite and the soak benchmark all start it here:
 * whole with startSystem, or piece by piece (startLocalAws, startApi, startConsumer) when something has
 * to stand between a function and AWS.
 */
import { type Emulator, startEmulator } from "./emulator";
import { LOCAL_DEFAULTS } from "./local-env";
import { type LocalProcess, type ProcessOutput, startLocalProcess } from "./processes";
import { handlerEnvironment, type LocalStack, provisionStack } from "./stack";

export interface LocalAws {
  emulator: Emulator;
  stack: LocalStack;
  /** The environment the handlers run with, pointed at the emulator. */
  environment: Record<string, string>;
}

/** The emulator on `port` (0 picks a free one) with the stack provisioned on it. */
export async function startLocalAws(port: number = LOCAL_DEFAULTS.emulatorPort): Promise<LocalAws> {
  const emulator = await startEmulator(port);
  try {
    const stack = await provisionStack(emulator.endpoint);
    return { emulator, stack, environment: handlerEnvironment(stack, emulator.endpoint) };
  } catch (error) {
    await emulator.stop();
    throw error;
  }
}

export interface FunctionOptions extends ProcessOutput {
  /** The AWS endpoint the function's SDK clients reach. */
  endpoint: string;
  /** Variables on top of the handler's environment (a log level, a service-specific endpoint). */
  env?: Record<string, string>;
}

/** The API function's process, serving on 127.0.0.1:`port` (0 picks a free one); `ready` is its URL. */
export function startApi(
  stack: LocalStack,
  { endpoint, env, port = LOCAL_DEFAULTS.apiPort, ...output }: FunctionOptions & { port?: number },
): Promise<LocalProcess> {
  return startLocalProcess("api", {
    ...output,
    env: { ...handlerEnvironment(stack, endpoint), PORT: String(port), ...env },
  });
}

/** The consumer function's process, polling the purchases queue as Lambda's event source mapping does. */
export function startConsumer(
  stack: LocalStack,
  {
    endpoint,
    env,
    retryAfterSeconds = LOCAL_DEFAULTS.retryAfterSeconds,
    ...output
  }: FunctionOptions & { retryAfterSeconds?: number },
): Promise<LocalProcess> {
  return startLocalProcess("consumer", {
    ...output,
    env: {
      ...handlerEnvironment(stack, endpoint),
      QUEUE_URL: stack.queueUrl,
      QUEUE_ARN: stack.queueArn,
      RETRY_AFTER_SECONDS: String(retryAfterSeconds),
      ...env,
    },
  });
}

export interface SystemOptions {
  /** 0 picks a free port for either. */
  emulatorPort?: number;
  apiPort?: number;
  /** How soon a record the consumer failed, or did not finish, comes back. */
  retryAfterSeconds?: number;
  /** Variables on top of both handlers' environment. */
  env?: Record<string, string>;
  /** Each function's output; by default passed on to this process's stdout and stderr. */
  apiOutput?: ProcessOutput;
  consumerOutput?: ProcessOutput;
}

export interface RunningSystem extends LocalAws {
  api: LocalProcess;
  consumer: LocalProcess;
  /** Base URL of the API, e.g. http://127.0.0.1:3000. */
  apiUrl: string;
  /** Resolves when either function's process exits, whether stopped or not. */
  exited: Promise<{ fn: "api" | "consumer"; code: number | null; signal: NodeJS.Signals | null }>;
  /** Stops both functions (each finishes what it is doing), then the emulator. */
  stop(): Promise<void>;
}

const passOn: ProcessOutput = {
  onLine: (line) => process.stdout.write(`${line}\n`),
  onStderrLine: (line) => process.stderr.write(`${line}\n`),
};

export async function startSystem(options: SystemOptions = {}): Promise<RunningSystem> {
  const aws = await startLocalAws(options.emulatorPort);
  const started: LocalProcess[] = [];
  const stop = async () => {
    await Promise.allSettled(started.map((child) => child.stop()));
    await aws.emulator.stop();
  };
  try {
    const endpoint = aws.emulator.endpoint;
    // Both load their handler at once; whichever started is stopped if the other fails.
    const [api, consumer] = await Promise.allSettled([
      startApi(aws.stack, {
        endpoint,
        env: options.env,
        port: options.apiPort,
        ...(options.apiOutput ?? passOn),
      }),
      startConsumer(aws.stack, {
        endpoint,
        env: options.env,
        retryAfterSeconds: options.retryAfterSeconds,
        ...(options.consumerOutput ?? passOn),
      }),
    ]);
    for (const result of [api, consumer]) if (result.status === "fulfilled") started.push(result.value);
    if (api.status === "rejected") throw api.reason;
    if (consumer.status === "rejected") throw consumer.reason;
    const exited = Promise.race([
      api.value.exited.then((how) => ({ fn: "api" as const, ...how })),
      consumer.value.exited.then((how) => ({ fn: "consumer" as const, ...how })),
    ]);
    return { ...aws, api: api.value, consumer: consumer.value, apiUrl: api.value.ready, exited, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Ends this process with the system: on SIGINT or SIGTERM it stops the system and exits 0; when either
 * function's process dies on its own it stops the rest and exits 1. `say` hears why, before it stops.
 */
export function exitWithSystem(system: RunningSystem, say: (reason: string) => void): void {
  let stopping = false;
  const stop = (reason: string, exitCode: number) => {
    if (stopping) return;
    stopping = true;
    say(reason);
    void system.stop().then(() => process.exit(exitCode));
  };
  process.on("SIGINT", () => stop("SIGINT", 0));
  process.on("SIGTERM", () => stop("SIGTERM", 0));
  void system.exited.then(({ fn, code, signal }) =>
    stop(`the ${fn} process exited (${signal ?? `code ${code}`})`, 1),
  );
}
