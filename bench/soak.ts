/**
 * `npm run bench:soak`: the local system at a steady, moderate rate for ten minutes, the API and the
 * consumer each in a process of its own, to show whether either one's memory grows with the work done.
 * Figures: requests sent and answered, purchases stored, DLQ size, latency per minute, and each
 * process's resident memory (VmRSS of /proc/<pid>/status) at start, after warm-up (the baseline) and
 * at the end, with the trend in between. Flat is the goal. The warm-up is two minutes because V8 grows
 * both heaps for about the first ninety seconds at this rate before its collections settle them.
 * Options (environment): SOAK_SECONDS (default 600), SOAK_RATE (requests per second, default 10),
 * SOAK_WARMUP_SECONDS (default 120), SOAK_CONCURRENCY (requests in flight at most, default 16).
 */
import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { CONSUMER_LOG } from "../src/consumer/log-messages";
import { residentMemoryKiB } from "../src/local/processes";
import { startSystem } from "../src/local/system";
import { machineReport, percentile, table } from "./lib/report";

const number = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
};

const SECONDS = number("SOAK_SECONDS", 600);
const RATE = number("SOAK_RATE", 10);
const WARMUP_SECONDS = Math.min(number("SOAK_WARMUP_SECONDS", 120), SECONDS);
const CONCURRENCY = number("SOAK_CONCURRENCY", 16);
/** How often memory and progress are sampled. */
const SAMPLE_MS = 10_000;

/** The purchases a consumer's log line says it stored: `stored` of its batchIngested line. */
function storedIn(line: string): number {
  try {
    const parsed = JSON.parse(line) as { message?: unknown; stored?: unknown };
    const ingested = parsed.message === CONSUMER_LOG.batchIngested && typeof parsed.stored === "number";
    return ingested ? (parsed.stored as number) : 0;
  } catch {
    return 0; // Not a log line of the handler.
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mib = (kib: number) => (kib / 1024).toFixed(1);

interface Sample {
  at: number;
  sent: number;
  accepted: number;
  stored: number;
  waiting: number;
  apiKiB: number;
  consumerKiB: number;
}

async function main(): Promise<void> {
  process.stdout.write(`${machineReport()}\n`);
  process.stdout.write(
    `soak      ${SECONDS} s at ${RATE} requests/s (at most ${CONCURRENCY} in flight), warm-up ${WARMUP_SECONDS} s\n\n`,
  );
  const cleanup: (() => Promise<unknown>)[] = [];
  try {
    let stored = 0;
    const system = await startSystem({
      emulatorPort: 0,
      apiPort: 0,
      // As deployed: INFO logs and metrics, written to a pipe this process reads.
      env: { POWERTOOLS_LOG_LEVEL: "INFO" },
      apiOutput: {},
      consumerOutput: { onLine: (line) => (stored += storedIn(line)) },
    });
    cleanup.push(() => system.stop());
    const { emulator, stack, api, consumer } = system;
    const direct = {
      endpoint: emulator.endpoint,
      region: stack.region,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    };
    const sqs = new SQSClient(direct);
    const dynamodb = new DynamoDBClient(direct);
    cleanup.push(async () => {
      sqs.destroy();
      dynamodb.destroy();
    });

    const queueAttribute = async (
      url: string,
      name: "ApproximateNumberOfMessages" | "ApproximateNumberOfMessagesNotVisible",
    ) => {
      const output = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: [name] }));
      return Number(output.Attributes?.[name] ?? "0");
    };
    const memory = () => ({
      apiKiB: residentMemoryKiB(api.pid),
      consumerKiB: residentMemoryKiB(consumer.pid),
    });
    const atStart = memory();

    const started = Date.now();
    const endsAt = started + SECONDS * 1000;
    const statuses = new Map<number, number>();
    const latencies: { at: number; ms: number }[] = [];
    let sent = 0;
    let accepted = 0;
    let late = 0;
    const samples: Sample[] = [];
    let baseline: { apiKiB: number; consumerKiB: number } | undefined;

    const sampler = (async () => {
      while (Date.now() < endsAt) {
        await sleep(SAMPLE_MS);
        const at = Date.now() - started;
        const sample: Sample = {
          at,
          sent,
          accepted,
          stored,
          waiting: await queueAttribute(stack.queueUrl, "ApproximateNumberOfMessages"),
          ...memory(),
        };
        samples.push(sample);
        if (!baseline && at >= WARMUP_SECONDS * 1000) baseline = memory();
        if (samples.length % 6 === 0) {
          process.stdout.write(
            `${(at / 1000).toFixed(0)} s: sent ${sent}, 2xx ${accepted}, stored ${stored}, waiting ${sample.waiting}, ` +
              `RSS api ${mib(sample.apiKiB)} MiB, consumer ${mib(sample.consumerKiB)} MiB\n`,
          );
        }
      }
    })();

    // Open loop: request i is due at i / RATE seconds, whether or not the previous ones have answered.
    const today = new Date().toISOString().slice(0, 10);
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (;;) {
          const index = next++;
          const due = started + (index * 1000) / RATE;
          if (due >= endsAt) return;
          const wait = due - Date.now();
          if (wait > 0) await sleep(wait);
          else if (wait < -1000) late += 1;
          const body = JSON.stringify({
            buyer_id: 1 + (index % 50_000),
            product_id: 1 + (index % 997),
            number_of_installments: 1 + (index % 24),
            // From 0.24: at least a cent for each of up to 24 installments.
            total_amount: (24 + (index % 100_000)) / 100,
            purchase_date: today,
          });
          const sentAt = Date.now();
          sent += 1;
          try {
            const response = await fetch(`${system.apiUrl}/purchases`, {
              method: "POST",
              headers: { "content-type": "application/json", "idempotency-key": `soak-${started}-${index}` },
              body,
              signal: AbortSignal.timeout(30_000),
            });
            await response.arrayBuffer();
            statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
            if (response.status >= 200 && response.status < 300) accepted += 1;
          } catch {
            statuses.set(0, (statuses.get(0) ?? 0) + 1);
          }
          latencies.push({ at: sentAt - started, ms: Date.now() - sentAt });
        }
      }),
    );
    await sampler;
    const atEnd = memory();
    const sendingSeconds = (Date.now() - started) / 1000;

    // The consumer finishes what is queued; then the figures are read.
    const drainStarted = Date.now();
    for (let empty = 0; empty < 2 && Date.now() - drainStarted < 120_000; ) {
      const left =
        (await queueAttribute(stack.queueUrl, "ApproximateNumberOfMessages")) +
        (await queueAttribute(stack.queueUrl, "ApproximateNumberOfMessagesNotVisible"));
      empty = left === 0 ? empty + 1 : 0;
      await sleep(left === 0 ? 3_000 : 1_000);
    }
    let items = 0;
    let startKey: ScanCommand["input"]["ExclusiveStartKey"];
    do {
      const page = await dynamodb.send(
        new ScanCommand({
          TableName: stack.names.purchasesTable,
          Select: "COUNT",
          ExclusiveStartKey: startKey,
        }),
      );
      items += page.Count ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    const dlq = await queueAttribute(stack.dlqUrl, "ApproximateNumberOfMessages");
    const afterDrain = memory();

    const base = baseline ?? atStart;
    const peak = (pick: (sample: Sample) => number) => Math.max(...samples.map(pick));
    const growth = (end: number, from: number) =>
      `${end >= from ? "+" : ""}${mib(end - from)} MiB (${(((end - from) / from) * 100).toFixed(1)}%)`;
    // Least-squares slope of RSS over the samples after warm-up: growth that the end figure may hide
    // behind a garbage collection that happened just before it.
    const trend = (pick: (sample: Sample) => number) => {
      const points = samples.filter((sample) => sample.at >= WARMUP_SECONDS * 1000);
      if (points.length < 2) return "n/a";
      const meanX = points.reduce((sum, point) => sum + point.at, 0) / points.length;
      const meanY = points.reduce((sum, point) => sum + pick(point), 0) / points.length;
      const covariance = points.reduce((sum, point) => sum + (point.at - meanX) * (pick(point) - meanY), 0);
      const variance = points.reduce((sum, point) => sum + (point.at - meanX) ** 2, 0);
      const kibPerHour = (covariance / variance) * 3_600_000;
      return `${kibPerHour >= 0 ? "+" : ""}${mib(kibPerHour)} MiB/h`;
    };
    const minutes = Math.ceil(SECONDS / 60);
    const perMinute = Array.from({ length: minutes }, (_, minute) => {
      const inMinute = latencies
        .filter((latency) => latency.at >= minute * 60_000 && latency.at < (minute + 1) * 60_000)
        .map((latency) => latency.ms);
      return [
        `${minute + 1}`,
        inMinute.length,
        percentile(inMinute, 50),
        percentile(inMinute, 95),
        percentile(inMinute, 99),
      ];
    });

    process.stdout.write(
      [
        "",
        table(
          ["figure", "value"],
          [
            ["requests sent", sent],
            ["achieved rate", `${(sent / sendingSeconds).toFixed(2)} requests/s`],
            ["requests sent more than 1 s late", late],
            [
              "answers by status",
              [...statuses].map(([status, count]) => `${status || "none"}: ${count}`).join(", "),
            ],
            ["purchases accepted (2xx)", accepted],
            ["items in the table", items],
            ["accepted and not stored", accepted - items],
            ["DLQ messages", dlq],
          ],
        ),
        "",
        table(
          [
            "VmRSS (MiB)",
            "start",
            `after ${WARMUP_SECONDS} s (baseline)`,
            "end",
            "after drain",
            "peak",
            "end vs baseline",
            "trend after warm-up",
          ],
          [
            [
              "api",
              mib(atStart.apiKiB),
              mib(base.apiKiB),
              mib(atEnd.apiKiB),
              mib(afterDrain.apiKiB),
              mib(peak((sample) => sample.apiKiB)),
              growth(atEnd.apiKiB, base.apiKiB),
              trend((sample) => sample.apiKiB),
            ],
            [
              "consumer",
              mib(atStart.consumerKiB),
              mib(base.consumerKiB),
              mib(atEnd.consumerKiB),
              mib(afterDrain.consumerKiB),
              mib(peak((sample) => sample.consumerKiB)),
              growth(atEnd.consumerKiB, base.consumerKiB),
              trend((sample) => sample.consumerKiB),
            ],
          ],
        ),
        "",
        table(["minute", "requests", "p50 ms", "p95 ms", "p99 ms"], perMinute),
        "",
        `memory samples every ${SAMPLE_MS / 1000} s (api/consumer MiB): ${samples
          .map(
            (sample) => `${(sample.at / 1000).toFixed(0)}s ${mib(sample.apiKiB)}/${mib(sample.consumerKiB)}`,
          )
          .join(", ")}`,
        "",
      ].join("\n"),
    );
  } finally {
    for (const stop of cleanup.reverse()) await stop().catch(() => undefined);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `soak failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
