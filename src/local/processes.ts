/**
 * A function in a child process of its own (api-process.ts, consumer-process.ts), as each Lambda function
 * runs in its own execution environment: its resident memory can be read on its own, and a consumer can
 * be killed in the middle of a batch while the API carries on. Each child runs under Node with tsx's
 * loader in the same process (no wrapper process), so its pid is the pid that holds the memory and gets
 * the signal. system.ts says what each function's environment holds.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { REPO_ROOT } from "./emulator";
import { LocalRuntimeError } from "./errors";

export type LocalFunction = "api" | "consumer";

/** What becomes of a child's output, line by line; a stream without a handler is read and dropped. */
export interface ProcessOutput {
  /** Every line the child writes to stdout (its JSON logs up to INFO), in order. */
  onLine?: (line: string) => void;
  /** Every line the child writes to stderr (Powertools writes WARN and ERROR logs there), in order. */
  onStderrLine?: (line: string) => void;
}

export interface LocalProcessOptions extends ProcessOutput {
  /** Variables on top of this process's environment (whose AWS_ENDPOINT_URL* are dropped first). */
  env: Record<string, string>;
  /** How long to wait for the child's Ready line. */
  readyTimeoutMs?: number;
}

export interface LocalProcess {
  readonly pid: number;
  /** What follows "Ready: " in the child's first ready line (the API's URL). */
  readonly ready: string;
  /** Resolves when the child has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once everything the child wrote to stdout has been passed to onLine. */
  readonly outputClosed: Promise<void>;
  /** The last lines the child wrote to stderr, for diagnostics. */
  stderrTail(): string[];
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`; resolves with how it exited. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL: the process dies wherever it is, as a Lambda execution environment can. */
  kill(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const ENTRIES: Record<LocalFunction, string> = {
  api: join(REPO_ROOT, "src", "local", "api-process.ts"),
  consumer: join(REPO_ROOT, "src", "local", "consumer-process.ts"),
};

const STDERR_TAIL_LINES = 40;

/** Quiets the SDK's notice about future Node.js versions and Node's experimental warnings: neither says anything about the service. */
const QUIET = { AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: "1", NODE_NO_WARNINGS: "1" };

function childEnvironment(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith("AWS_ENDPOINT_URL")) env[name] = value;
  }
  return { ...env, ...QUIET, ...extra };
}

export async function startLocalProcess(
  fn: LocalFunction,
  options: LocalProcessOptions,
): Promise<LocalProcess> {
  // `--import tsx` registers tsx's loader in this very process; the tsx CLI would start a second one.
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", ENTRIES[fn]], {
    cwd: REPO_ROOT,
    env: childEnvironment(options.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pid = child.pid;
  if (pid === undefined) throw new LocalRuntimeError(`the ${fn} process could not be started`);

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const tail: string[] = [];
  const closed = (stream: NodeJS.ReadableStream | null, onLine: (line: string) => void) => {
    if (!stream) return Promise.resolve();
    const lines = createInterface({ input: stream });
    lines.on("line", onLine);
    return new Promise<void>((resolve) => lines.once("close", () => resolve()));
  };
  const stderrClosed = closed(child.stderr, (line) => {
    options.onStderrLine?.(line);
    tail.push(line);
    if (tail.length > STDERR_TAIL_LINES) tail.shift();
  });

  let isReady = false;
  let markReady: (url: string) => void = () => undefined;
  // The child's stdout is always read, so that a child that logs a lot never blocks on a full pipe.
  const stdoutClosed = closed(child.stdout, (line) => {
    if (!isReady && line.startsWith("Ready: ")) {
      isReady = true;
      markReady(line.slice("Ready: ".length).trim());
      return;
    }
    options.onLine?.(line);
  });
  const outputClosed = Promise.all([stdoutClosed, stderrClosed]).then(() => undefined);

  const ready = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new LocalRuntimeError(`the ${fn} process was not ready in time: ${tail.join("\n")}`)),
      options.readyTimeoutMs ?? 30_000,
    );
    markReady = (url) => {
      clearTimeout(timer);
      resolve(url);
    };
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      if (!isReady) {
        reject(
          new LocalRuntimeError(
            `the ${fn} process exited (${signal ?? code}) before it was ready: ${tail.join("\n")}`,
          ),
        );
      }
    });
  }).catch((error: unknown) => {
    child.kill("SIGKILL");
    throw error;
  });

  const signal = (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
  };
  return {
    pid,
    ready,
    exited,
    outputClosed,
    stderrTail: () => [...tail],
    stop: async (graceMs = 15_000) => {
      signal("SIGTERM");
      const timer = setTimeout(() => signal("SIGKILL"), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
    kill: async () => {
      signal("SIGKILL");
      return exited;
    },
  };
}

/** A process's resident memory in KiB (VmRSS of /proc/<pid>/status); Linux only. */
export function residentMemoryKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!match?.[1]) throw new LocalRuntimeError(`/proc/${pid}/status has no VmRSS line`);
  return Number(match[1]);
}
