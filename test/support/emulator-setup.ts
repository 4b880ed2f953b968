/**
 * Jest global setup for the integration tests: a real moto server on a free loopback port with every
 * local resource provisioned (startLocalAws, as the whole local system starts). The handler environment
 * is exported to the test workers via process.env.
 */
import { startLocalAws } from "../../src/local/system";

export default async function setup(): Promise<void> {
  const { emulator, stack, environment } = await startLocalAws(0);
  Object.assign(process.env, environment, { LOCAL_STACK_JSON: JSON.stringify(stack) });
  (globalThis as { __EMULATOR__?: typeof emulator }).__EMULATOR__ = emulator;
}
