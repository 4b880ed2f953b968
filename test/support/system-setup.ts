/**
 * Jest global setup for the end-to-end tests: the local system as `npm start` runs it, on free ports,
 * in a process of its own (its logs go to a file, named in the report when the system fails to start).
 * The API's base URL and the handler environment reach the test workers through process.env.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { READY_MARKER } from "./system-process";

const ROOT = join(__dirname, "..", "..");
/** Starting moto, provisioning the stack and loading both handlers takes a few seconds; allow for a busy machine. */
const START_TIMEOUT_MS = 90_000;

export default async function setup(): Promise<void> {
  const logFile = join(tmpdir(), `purchases-e2e-system-${process.pid}.log`);
  const log = createWriteStream(logFile);
  const child = spawn(join(ROOT, "node_modules", ".bin", "tsx"), [join(__dirname, "system-process.ts")], {
    cwd: ROOT,
    // Its own process group: teardown stops the system and the emulator it started, whatever happens.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? "INFO" },
  });
  child.stderr?.pipe(log);
  (globalThis as { __SYSTEM_PROCESS__?: ChildProcess }).__SYSTEM_PROCESS__ = child;

  const ready = await new Promise<{ apiUrl: string; environment: Record<string, string>; stack: unknown }>(
    (resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`the local system did not start within ${START_TIMEOUT_MS} ms; see ${logFile}`)),
        START_TIMEOUT_MS,
      );
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the local system exited with code ${code} before it was ready; see ${logFile}`));
      });
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
        if (line.startsWith(READY_MARKER)) {
          clearTimeout(timer);
          child.removeAllListeners("exit");
          resolve(JSON.parse(line.slice(READY_MARKER.length)));
        } else {
          log.write(`${line}\n`);
        }
      });
    },
  );
  Object.assign(process.env, ready.environment, {
    LOCAL_STACK_JSON: JSON.stringify(ready.stack),
    API_URL: ready.apiUrl,
    SYSTEM_LOG_FILE: logFile,
  });
}
