/**
 * The local system in a process of its own for the end-to-end tests, started as `npm start` starts it
 * (startSystem) on free ports: prints one line with where it runs, passes the functions' logs on, and
 * stops it all on SIGTERM or when either function's process dies.
 */
import { exitWithSystem, startSystem } from "../../src/local/system";

export const READY_MARKER = "SYSTEM-READY ";

async function main(): Promise<void> {
  // Failed messages come back after 1 s instead of 2 s, so redrive completes quickly.
  const system = await startSystem({ emulatorPort: 0, apiPort: 0, retryAfterSeconds: 1 });
  const ready = { apiUrl: system.apiUrl, environment: system.environment, stack: system.stack };
  process.stdout.write(`${READY_MARKER}${JSON.stringify(ready)}\n`);
  exitWithSystem(system, (reason) => process.stderr.write(`${reason}: stopping\n`));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `the local system did not start: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    process.exit(1);
  });
}
