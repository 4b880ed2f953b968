/**
 * Helper processes of the benchmarks: a .ts script is started with tsx, a built .mjs with plain node;
 * they report over IPC and are stopped by pid.
 */
import { type ChildProcess, fork } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "./report";

const TSX = join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");

export interface Helper<T> {
  child: ChildProcess;
  ready: T;
  stop(): Promise<void>;
}

/** Forks `script` and waits for its first IPC message. */
export async function startHelper<T>(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<Helper<T>> {
  const typescript = script.endsWith(".ts");
  const child = fork(typescript ? TSX : script, typescript ? [script, ...args] : args, {
    cwd: ROOT,
    // Not the parent's flags: under tsx they would load its loader into a plain node child too.
    execArgv: [],
    env: { ...process.env, ...env },
    // The helper's stdout carries the functions' JSON logs: written, as in Lambda, and discarded.
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const ready = await new Promise<T>((resolve, reject) => {
    child.once("message", (message) => resolve(message as T));
    child.once("exit", (code) => reject(new Error(`${script} exited with code ${code}`)));
  });
  child.removeAllListeners("exit");
  return {
    child,
    ready,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** Sends `request` to a helper and waits for its answer. */
export function ask<T>(child: ChildProcess, request: unknown): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`helper exited with code ${code}`));
    child.once("exit", onExit);
    child.once("message", (message) => {
      child.off("exit", onExit);
      resolve(message as T);
    });
    child.send(request as object);
  });
}
