/**
 * `npm run bench:ingestion`: cold start and warm invocations of the ingestion functions, each against a
 * baseline measured in the same run (bench/README.md). Options (environment): BENCH_SAMPLES (cold-start
 * samples per bundle, default 30), BENCH_ROUNDS (warm rounds, default 12), BENCH_INVOCATIONS (warm API
 * invocations per subject and round, default 300), BENCH_COMPARE (commits whose handlers join the warm
 * rounds), BENCH_ONLY (cold-start or warm).
 */
import { join } from "node:path";
import { coldStart } from "./cold-start";
import { startHelper } from "./lib/processes";
import { machineReport } from "./lib/report";
import { warm } from "./warm";

const number = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
};

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY;
  const started = Date.now();
  process.stdout.write(`${machineReport()}\n`);
  const sink = await startHelper<{ endpoint: string }>(join(__dirname, "sink-process.ts"), []);
  try {
    const sections: [string, () => Promise<string>][] = [
      ["cold start", () => coldStart(sink.ready.endpoint, number("BENCH_SAMPLES", 30))],
      [
        "warm invocations",
        () =>
          warm(sink.ready.endpoint, {
            rounds: number("BENCH_ROUNDS", 12),
            invocations: number("BENCH_INVOCATIONS", 300),
            compare: (process.env.BENCH_COMPARE ?? "").split(/\s+/).filter(Boolean),
          }),
      ],
    ];
    for (const [name, run] of sections) {
      if (only && !name.startsWith(only.replace("-", " "))) continue;
      process.stdout.write(`\n== ${name} ==\n${await run()}\n`);
    }
  } finally {
    await sink.stop();
  }
  process.stdout.write(`\ndone in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`benchmark failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
