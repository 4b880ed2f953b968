/** `tsx src/local/provision.ts <endpoint>`: provisions the local stack on a running emulator. */
import { LOCAL_DEFAULTS } from "./local-env";
import { provisionStack } from "./stack";

async function main(): Promise<void> {
  const endpoint =
    process.argv[2] ?? process.env.AWS_ENDPOINT_URL ?? `http://127.0.0.1:${LOCAL_DEFAULTS.emulatorPort}`;
  const stack = await provisionStack(endpoint);
  process.stdout.write(`${JSON.stringify(stack, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`provisioning failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
