/**
 * The local system in a process of its own for the end-to-end tests, as `npm start` runs it: starts it
 * on free ports, prints one line with where it runs, and stops it all on SIGTERM.
 */
import { startSystem } from "../../src/local/system";

export const READY_MARKER = "SYSTEM-READY ";

async function main(): Promise<void> {
  // Failed messages come back after 1 s instead of 2 s, so redrive completes quickly.
  const system = await startSystem({ emulatorPort: 0, apiPort: 0, retryAfterSeconds: 1 });
  const ready = { apiUrl: system.apiUrl, environment: system.environment, stack: system.stack };
  process.stdout.write(`${READY_MARKER}${JSON.stringify(ready)}\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void system.stop().then(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `the local system did not start: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    process.exit(1);
  });
}
