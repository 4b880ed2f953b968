/**
 * Jest global setup for the end-to-end tests: the local system as `npm start` runs it, on free ports,
 * in a process of its own. The API's base URL and the handler environment reach the test workers
 * through process.env.
 */
import { join } from "node:path";
import { startSystemProcess } from "./system-runner";

export default async function setup(): Promise<void> {
  const system = await startSystemProcess(join(__dirname, "..", ".."));
  (globalThis as { __SYSTEM_PROCESS__?: unknown }).__SYSTEM_PROCESS__ = system.process;
  Object.assign(process.env, system.environment, {
    LOCAL_STACK_JSON: JSON.stringify(system.stack),
    API_URL: system.apiUrl,
    SYSTEM_LOG_FILE: system.logFile,
  });
}
