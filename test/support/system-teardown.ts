import type { ChildProcess } from "node:child_process";

/** SIGTERM lets the system stop the API, the poller and the emulator; SIGKILL follows if it hangs. */
const STOP_TIMEOUT_MS = 15_000;

export default async function teardown(): Promise<void> {
  const child = (globalThis as { __SYSTEM_PROCESS__?: ChildProcess }).__SYSTEM_PROCESS__;
  if (!child?.pid || child.exitCode !== null) return;
  const group = -child.pid;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      try {
        process.kill(group, "SIGKILL");
      } catch {
        // Already gone.
      }
      resolve();
    }, STOP_TIMEOUT_MS);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    process.kill(group, "SIGTERM");
  });
}
