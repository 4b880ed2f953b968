/**
 * Warm throughput: invocations per second of the API handler in one process, and records per second of
 * the consumer, each against the same AWS calls made directly (no handler) at the same concurrency, with
 * every call answered at once by the sink. Rounds alternate subject and baseline; medians are reported.
 *
 * For reference, the POST without key also runs in a second process whose Powertools logger and metrics
 * print nothing (POWERTOOLS_LOG_LEVEL=SILENT, POWERTOOLS_METRICS_DISABLED=true), in the same rounds: the
 * difference between the two rows is what the structured log line and the EMF line cost per request.
 */
import { join } from "node:path";
import { sinkEnvironment } from "./lib/environment";
import { ask, startHelper } from "./lib/processes";
import { median, table } from "./lib/report";
import type { Work, WorkRequest, WorkResult } from "./throughput-process";

interface Pair {
  label: string;
  subject: Work;
  baseline: Work;
  concurrency: number;
  unit: string;
  /** Also run the subject with Powertools' output off, as a reference row. */
  quietReference?: boolean;
}

const PAIRS: Pair[] = [
  {
    label: "API POST with Idempotency-Key",
    subject: "api-keyed",
    baseline: "raw-api-keyed",
    concurrency: 16,
    unit: "invocations/s",
  },
  {
    label: "API POST without key",
    subject: "api-keyless",
    baseline: "raw-api-keyless",
    concurrency: 16,
    unit: "invocations/s",
    quietReference: true,
  },
  {
    label: "consumer, batches of 25",
    subject: "consumer",
    baseline: "raw-put",
    concurrency: 25,
    unit: "records/s",
  },
];

const QUIET_POWERTOOLS = { POWERTOOLS_LOG_LEVEL: "SILENT", POWERTOOLS_METRICS_DISABLED: "true" };

export async function throughput(sinkEndpoint: string, operations: number, rounds: number): Promise<string> {
  const script = join(__dirname, "throughput-process.ts");
  const environment = sinkEnvironment(sinkEndpoint);
  const helper = await startHelper<{ ready: boolean }>(script, [], {
    ...environment,
    POWERTOOLS_LOG_LEVEL: "INFO",
  });
  const quiet = await startHelper<{ ready: boolean }>(script, [], { ...environment, ...QUIET_POWERTOOLS });
  try {
    const run = async (work: Work, concurrency: number, count = operations, target = helper) => {
      const result = await ask<WorkResult>(target.child, {
        work,
        operations: count,
        concurrency,
      } satisfies WorkRequest);
      return (result.operations / result.ms) * 1000;
    };
    const rows: string[][] = [];
    const ratioCell = (ratios: number[]) =>
      `${median(ratios).toFixed(2)}x (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`;
    for (const pair of PAIRS) {
      type Runner = { name: "subject" | "baseline" | "quiet"; go: () => Promise<number> };
      const runners: Runner[] = [
        { name: "baseline", go: () => run(pair.baseline, pair.concurrency) },
        { name: "subject", go: () => run(pair.subject, pair.concurrency) },
      ];
      if (pair.quietReference) {
        runners.push({ name: "quiet", go: () => run(pair.subject, pair.concurrency, operations, quiet) });
      }
      // Warm-up: connections opened, lazily loaded modules loaded, code optimised.
      for (const runner of runners) await runner.go();
      const rates = { subject: [] as number[], baseline: [] as number[], quiet: [] as number[] };
      // Short rounds, subject and baseline back to back in alternating order: on a shared machine the
      // ratio of neighbouring rounds is steadier than the ratio of averages.
      for (let round = 0; round < rounds; round += 1) {
        const order = round % 2 === 0 ? runners : [...runners].reverse();
        for (const runner of order) rates[runner.name].push(await runner.go());
      }
      const toBaseline = (values: number[]) => values.map((rate, i) => rate / (rates.baseline[i] ?? rate));
      rows.push([
        pair.label,
        String(pair.concurrency),
        `${median(rates.subject).toFixed(0)} ${pair.unit}`,
        `${median(rates.baseline).toFixed(0)} ${pair.unit}`,
        ratioCell(toBaseline(rates.subject)),
      ]);
      if (pair.quietReference) {
        rows.push([
          `${pair.label}, Powertools output off (reference)`,
          String(pair.concurrency),
          `${median(rates.quiet).toFixed(0)} ${pair.unit}`,
          `${median(rates.baseline).toFixed(0)} ${pair.unit}`,
          ratioCell(toBaseline(rates.quiet)),
        ]);
      }
    }
    await run("raw-batch-write", 1, Math.ceil(operations / 4));
    const batchWrite: number[] = [];
    for (let round = 0; round < rounds; round += 1) batchWrite.push(await run("raw-batch-write", 1));
    return [
      `${operations} operations per round, ${rounds} rounds; baseline = the same AWS calls made directly`,
      table(
        ["subject", "concurrency", "handler (median)", "raw calls (median)", "handler / raw: median (range)"],
        rows,
      ),
      "",
      `for reference, raw BatchWriteItem (25 unconditional puts per call, one call at a time): ${median(batchWrite).toFixed(0)} records/s`,
      "goal: handler / raw >= 0.80",
    ].join("\n");
  } finally {
    await helper.stop();
    await quiet.stop();
  }
}
