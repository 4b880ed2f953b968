/**
 * The local system in a process of its own, as `npm start` runs it, started from a checkout of the
 * repository (this one for the end-to-end tests, a modified copy for the propagation test) on free ports.
 * Its logs go to a file, named in the report when the system fails to start.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { READY_MARKER } from "./system-process";

/** Starting moto, provisioning the stack and loading both handlers takes a few seconds; allow for a busy machine. */
const START_TIMEOUT_MS = 90_000;
/** SIGTERM lets the system stop the API, the poller and the emulator; SIGKILL follows if it hangs. */
const STOP_TIMEOUT_MS = 15_000;

export interface RunningSystem {
  process: ChildProcess;
  apiUrl: string;
  /** The environment the handlers run with (the emulator's endpoint and the stack's names). */
  environment: Record<string, string>;
  stack: unknown;
  logFile: string;
}

/** Starts the local system of the checkout at `root`; resolves once it serves requests. */
export async function startSystemProcess(root: string): Promise<RunningSystem> {
  const logFile = join(tmpdir(), `purchases-system-${process.pid}-${Date.now()}.log`);
  const log = createWriteStream(logFile);
  const child = spawn(
    join(root, "node_modules", ".bin", "tsx"),
    [join(root, "test", "support", "system-process.ts")],
    {
      cwd: root,
      // Its own process group: stopping it stops the system and the emulator it started, whatever happens.
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? "INFO" },
    },
  );
  child.stderr?.pipe(log);
  const ready = await new Promise<Omit<RunningSystem, "process" | "logFile">>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the local system did not start within ${START_TIMEOUT_MS} ms; see ${logFile}`)),
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
  });
  return { ...ready, process: child, logFile };
}

/** Stops a system started by startSystemProcess, and everything it started. */
export async function stopSystemProcess(child: ChildProcess | undefined): Promise<void> {
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
