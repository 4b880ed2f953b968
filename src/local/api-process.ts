/**
 * The API function as a process of its own, started by startApi (system.ts) with the handler's
 * environment and PORT. It serves the API on 127.0.0.1, prints `Ready: <url>` once it listens, and stops
 * on SIGTERM or SIGINT.
 */
import { startApiServer } from "./api-server";
import { asFunction } from "./aws-call-log";
import { localEnv } from "./local-env";
import { stackSettings } from "./stack";

async function main(): Promise<void> {
  const port = localEnv.port;
  // Loaded after the environment was checked: the handler reads its configuration when it is loaded.
  const { handler } = await import("../api/handler");
  const server = await startApiServer({
    handler: asFunction("api", handler),
    port,
    timeoutMs: stackSettings().apiTimeoutSeconds * 1000,
  });
  process.stdout.write(`Ready: ${server.url}\n`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void server.stop().then(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`api process failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
