/**
 * The whole local system in one process tree: the emulator, its resources, and (added by the local
 * runtime) the API server and the consumer's queue poller. `npm start` and the end-to-end tests both
 * start it through startSystem, so the tests exercise exactly what a developer runs.
 */
import { type Emulator, startEmulator } from "./emulator";
import { handlerEnvironment, type LocalStack, provisionStack } from "./stack";

export interface SystemOptions {
  /** Emulator port; 0 picks a free one. */
  emulatorPort: number;
  /** API port; 0 picks a free one. */
  apiPort: number;
}

export interface RunningSystem {
  emulator: Emulator;
  stack: LocalStack;
  /** The environment the handlers run with. */
  environment: Record<string, string>;
  stop(): Promise<void>;
}

export async function startSystem(options: SystemOptions): Promise<RunningSystem> {
  const emulator = await startEmulator(options.emulatorPort);
  try {
    const stack = await provisionStack(emulator.endpoint);
    const environment = handlerEnvironment(stack, emulator.endpoint);
    Object.assign(process.env, environment);
    return {
      emulator,
      stack,
      environment,
      stop: async () => {
        await emulator.stop();
      },
    };
  } catch (error) {
    await emulator.stop();
    throw error;
  }
}
