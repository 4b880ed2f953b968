import type { Emulator } from "../../src/local/emulator";

export default async function teardown(): Promise<void> {
  await (globalThis as { __EMULATOR__?: Emulator }).__EMULATOR__?.stop();
}
