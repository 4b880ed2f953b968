/**
 * The local AWS stand-in: moto in server mode on loopback, started as a real child process.
 * It speaks the AWS wire protocols, so the same SDK calls run here and on AWS; only the endpoint differs.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { EmulatorError } from "./errors";

export const REPO_ROOT = join(__dirname, "..", "..");
const MOTO_SERVER = join(REPO_ROOT, ".tools", "venv-emulator", "bin", "moto_server");

export interface Emulator {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1, chosen by the kernel. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new EmulatorError("could not pick a free port"));
      });
    });
  });
}

async function waitUntilUp(endpoint: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new EmulatorError(`moto_server exited with code ${child.exitCode} before it was ready`);
    }
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new EmulatorError(`moto_server did not answer at ${endpoint} within ${timeoutMs} ms`);
}

/** Starts moto_server on 127.0.0.1:port (a free port when port is 0) and waits until it answers. */
export async function startEmulator(port = 0, { quiet = true } = {}): Promise<Emulator> {
  if (!existsSync(MOTO_SERVER)) {
    throw new EmulatorError(
      `${MOTO_SERVER} is missing: run "npm start" or "npm test", which install the emulator first`,
    );
  }
  const chosen = port === 0 ? await freePort() : port;
  const endpoint = `http://127.0.0.1:${chosen}`;
  const child = spawn(MOTO_SERVER, ["-H", "127.0.0.1", "-p", String(chosen)], {
    stdio: quiet ? "ignore" : ["ignore", "inherit", "inherit"],
    // moto's account and region defaults, the same values the SDKs are given locally.
    env: { ...process.env, MOTO_ACCOUNT_ID: "123456789012", AWS_DEFAULT_REGION: "us-east-1" },
  });
  await waitUntilUp(endpoint, child, 30_000);
  return {
    endpoint,
    port: chosen,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
