/**
 * The whole local system in one process tree: the emulator, its resources, the API server and the
 * consumer's queue poller. `npm start` and the end-to-end tests both start it through startSystem, so
 * the tests exercise exactly what a developer runs.
 */
import { SQSClient } from "@aws-sdk/client-sqs";
import { type ApiServer, startApiServer } from "./api-server";
import { asFunction, recordAsEventSource } from "./aws-call-log";
import { type Emulator, startEmulator } from "./emulator";
import { type QueuePoller, startQueuePoller } from "./queue-poller";
import { handlerEnvironment, type LocalStack, provisionStack } from "./stack";

export interface SystemOptions {
  /** Emulator port; 0 picks a free one. */
  emulatorPort: number;
  /** API port; 0 picks a free one. */
  apiPort: number;
  /** Visibility timeout of the poller's receives: how soon a failed message is retried (default 2 s). */
  retryAfterSeconds?: number;
  /** Called when the poller or the consumer fails; the default prints to stderr. */
  onConsumerError?: (error: unknown) => void;
}

export interface RunningSystem {
  emulator: Emulator;
  stack: LocalStack;
  /** The environment the handlers run with. */
  environment: Record<string, string>;
  /** Base URL of the API, e.g. http://127.0.0.1:3000. */
  apiUrl: string;
  stop(): Promise<void>;
}

export async function startSystem(options: SystemOptions): Promise<RunningSystem> {
  const emulator = await startEmulator(options.emulatorPort);
  const started: { api?: ApiServer; poller?: QueuePoller; sqs?: SQSClient } = {};
  const stopAll = async () => {
    await started.poller?.stop();
    started.sqs?.destroy();
    await started.api?.stop();
    await emulator.stop();
  };
  try {
    const stack = await provisionStack(emulator.endpoint);
    const environment = handlerEnvironment(stack, emulator.endpoint);
    Object.assign(process.env, environment);
    // The handlers read their configuration and create their SDK clients when loaded: after the
    // environment points at the emulator.
    const [{ handler: apiHandler }, { handler: consumerHandler }] = await Promise.all([
      import("../api/handler"),
      import("../consumer/handler"),
    ]);

    started.api = await startApiServer({
      handler: asFunction("api", apiHandler),
      port: options.apiPort,
      timeoutMs: stack.settings.apiTimeoutSeconds * 1000,
    });
    started.sqs = new SQSClient({
      endpoint: emulator.endpoint,
      region: stack.region,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    recordAsEventSource(started.sqs);
    started.poller = startQueuePoller({
      client: started.sqs,
      queueUrl: stack.queueUrl,
      queueArn: stack.queueArn,
      region: stack.region,
      handler: asFunction("consumer", consumerHandler),
      batchSize: stack.settings.consumerBatchSize,
      batchWindowMs: stack.settings.consumerBatchWindowSeconds * 1000,
      visibilityTimeoutSeconds: options.retryAfterSeconds ?? 2,
      timeoutMs: stack.settings.consumerTimeoutSeconds * 1000,
      onError:
        options.onConsumerError ??
        ((error) =>
          process.stderr.write(`consumer: ${error instanceof Error ? error.message : String(error)}\n`)),
    });
    return { emulator, stack, environment, apiUrl: started.api.url, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
