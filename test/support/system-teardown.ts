import type { RunningSystem } from "../../src/local/system";

export default async function teardown(): Promise<void> {
  await (globalThis as { __SYSTEM__?: RunningSystem }).__SYSTEM__?.stop();
}
