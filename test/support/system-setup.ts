/** Jest global setup for the end-to-end tests: the local system as `npm start` runs it, on free ports. */
import { startSystem } from "../../src/local/system";

export default async function setup(): Promise<void> {
  const system = await startSystem({ emulatorPort: 0, apiPort: 0 });
  Object.assign(process.env, system.environment, { LOCAL_STACK_JSON: JSON.stringify(system.stack) });
  (globalThis as { __SYSTEM__?: typeof system }).__SYSTEM__ = system;
}
