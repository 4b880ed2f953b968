/**
 * Warm throughput: invocations per second of the API handler in one process, and records per second of
 * the consumer, each against the same AWS calls made directly (no handler) at the same concurrency, with
 * every call answered at once by the sink. Rounds alternate subject and baseline; medians are reported.
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
  },
  {
    label: "consumer, batches of 25",
    subject: "consumer",
    baseline: "raw-put",
    concurrency: 25,
    unit: "records/s",
  },
];

export async function throughput(sinkEndpoint: string, operations: number, rounds: number): Promise<string> {
  const helper = await startHelper<{ ready: boolean }>(join(__dirname, "throughput-process.ts"), [], {
    ...sinkEnvironment(sinkEndpoint),
    POWERTOOLS_LOG_LEVEL: "INFO",
  });
  try {
    const run = async (work: Work, concurrency: number, count = operations) => {
      const result = await ask<WorkResult>(helper.child, {
        work,
        operations: count,
        concurrency,
      } satisfies WorkRequest);
      return (result.operations / result.ms) * 1000;
    };
    const rows: string[][] = [];
    for (const pair of PAIRS) {
      // Warm-up: connections opened, lazily loaded modules loaded, code optimised.
      await run(pair.subject, pair.concurrency, operations);
      await run(pair.baseline, pair.concurrency, operations);
      const subject: number[] = [];
      const baseline: number[] = [];
      const ratios: number[] = [];
      // Short rounds, subject and baseline back to back in alternating order: on a shared machine the
      // ratio of neighbouring rounds is steadier than the ratio of averages.
      for (let round = 0; round < rounds; round += 1) {
        const [first, second] =
          round % 2 === 0 ? [pair.baseline, pair.subject] : [pair.subject, pair.baseline];
        const firstRate = await run(first, pair.concurrency);
        const secondRate = await run(second, pair.concurrency);
        const [subjectRate, baselineRate] =
          first === pair.subject ? [firstRate, secondRate] : [secondRate, firstRate];
        subject.push(subjectRate);
        baseline.push(baselineRate);
        ratios.push(subjectRate / baselineRate);
      }
      rows.push([
        pair.label,
        String(pair.concurrency),
        `${median(subject).toFixed(0)} ${pair.unit}`,
        `${median(baseline).toFixed(0)} ${pair.unit}`,
        `${median(ratios).toFixed(2)}x (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`,
      ]);
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
  }
}
