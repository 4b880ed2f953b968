/** `npm start`: brings the local system up, says what runs where, and stops it all on Ctrl-C. */
import { integerEnv } from "../env";
import { startSystem } from "./system";

function curlExample(apiUrl: string): string {
  const today = new Date().toISOString().slice(0, 10);
  const body = JSON.stringify({
    buyer_id: 1042,
    product_id: 77,
    number_of_installments: 3,
    total_amount: 299.9,
    purchase_date: today,
  });
  return [
    `  curl -i -X POST ${apiUrl}/purchases \\`,
    "    -H 'content-type: application/json' -H 'Idempotency-Key: demo-1' \\",
    `    -d '${body}'`,
    `  curl -i ${apiUrl}/purchases/<purchase_id from the answer>`,
  ].join("\n");
}

async function main(): Promise<void> {
  const system = await startSystem({
    emulatorPort: integerEnv("EMULATOR_PORT", 4566, 0, 65_535),
    apiPort: integerEnv("PORT", 3000, 0, 65_535),
  });
  const { stack, emulator, apiUrl } = system;
  const lines = [
    "",
    "Purchases service, local stage, is up:",
    `  API (the api function)  ${apiUrl}   reference ${apiUrl}/docs   data contract ${apiUrl}/contract`,
    `  consumer function       polling ${stack.queueUrl} (batches of ${stack.settings.consumerBatchSize})`,
    `  AWS emulator (moto)     ${emulator.endpoint}`,
    `  purchases topic         ${stack.purchasesTopicArn}`,
    `  purchases queue         ${stack.queueUrl}`,
    `  dead-letter queue       ${stack.dlqUrl}`,
    `  purchases table         ${stack.names.purchasesTable}`,
    `  idempotency table       ${stack.names.idempotencyTable}`,
    `  lake buckets            ${stack.names.bronzeBucket}, ${stack.names.silverBucket}, ${stack.names.goldBucket}`,
    `  Glue database           ${stack.names.glueDatabase}`,
    "",
    `Use the AWS CLI or SDKs against it with AWS_ENDPOINT_URL=${emulator.endpoint}.`,
    "Try it:",
    curlExample(apiUrl),
    "",
    `Ready: ${apiUrl} (Ctrl-C stops everything)`,
    "",
  ];
  process.stdout.write(lines.join("\n"));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping...\n`);
    await system.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((error: unknown) => {
  process.stderr.write(`npm start failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
