/**
 * Jest global setup for the integration tests: a real moto server on a free loopback port with every
 * local resource provisioned. The handler environment is exported to the test workers via process.env.
 */
import { startEmulator } from "../../src/local/emulator";
import { handlerEnvironment, provisionStack } from "../../src/local/stack";

export default async function setup(): Promise<void> {
  const emulator = await startEmulator(0);
  const stack = await provisionStack(emulator.endpoint);
  Object.assign(process.env, handlerEnvironment(stack, emulator.endpoint), {
    LOCAL_STACK_JSON: JSON.stringify(stack),
  });
  (globalThis as { __EMULATOR__?: typeof emulator }).__EMULATOR__ = emulator;
}
