import type { ChildProcess } from "node:child_process";
import { stopSystemProcess } from "./system-runner";

export default async function teardown(): Promise<void> {
  await stopSystemProcess((globalThis as { __SYSTEM_PROCESS__?: ChildProcess }).__SYSTEM_PROCESS__);
}
