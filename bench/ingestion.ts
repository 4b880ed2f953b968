/**
 * `npm run bench:ingestion`: cold start, warm throughput and latency of the ingestion functions, each
 * against a baseline measured in the same run. Options (environment): BENCH_SAMPLES (cold-start samples
 * per bundle, default 30), BENCH_OPERATIONS (per throughput round, default 750), BENCH_ROUNDS (default 12),
 * BENCH_SECONDS (per latency row, default 8), BENCH_ONLY (cold-start, throughput or latency).
 */
import { join } from "node:path";
import { coldStart } from "./cold-start";
import { latency } from "./latency";
import { startHelper } from "./lib/processes";
import { machineReport } from "./lib/report";
import { throughput } from "./throughput";

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
        "warm throughput",
        () => throughput(sink.ready.endpoint, number("BENCH_OPERATIONS", 750), number("BENCH_ROUNDS", 12)),
      ],
      ["latency", () => latency(sink.ready.endpoint, number("BENCH_SECONDS", 8))],
    ];
    for (const [name, run] of sections) {
      if (only && !name.includes(only.replace("-", " "))) continue;
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
