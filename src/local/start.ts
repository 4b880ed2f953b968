/**
 * `npm start`: brings the local system up (system.ts), says what runs where, passes on what the
 * functions log, and stops it all on Ctrl-C, or when either function's process dies.
 */
import { localEnv } from "./local-env";
import { exitWithSystem, startSystem } from "./system";

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
  const system = await startSystem({ emulatorPort: localEnv.emulatorPort, apiPort: localEnv.port });
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

  exitWithSystem(system, (reason) => process.stdout.write(`\n${reason}: stopping...\n`));
}

main().catch((error: unknown) => {
  process.stderr.write(`npm start failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
