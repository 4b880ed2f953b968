/**
 * Warm invocations as Lambda runs them: one execution environment per function (a process), one
 * invocation at a time, the handler loaded from its bundle built as deployed (serverless.yml's
 * custom.esbuild), every AWS call answered at once by the sink. The baseline is the bare SDK calls the
 * invocation makes, from a bundle built the same way, in the same process: an SNS Publish for a POST
 * without Idempotency-Key, a batch's conditional puts (all at once, as the consumer runs its records) for
 * the consumer. Handler and bare calls alternate in short rounds, so that the machine's noise falls on
 * both; the figure is the handler's time over the bare calls', with its spread across rounds. The
 * CPU time the process spent, over the bare calls' too, is the same figure with the waits for a core
 * left out: on a loaded machine it moves less than the elapsed time.
 *
 * BENCH_COMPARE (commits, space-separated) adds the handlers built from those commits' src/ and
 * generated/ to the same rounds: the before and after of a change, measured in one run.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { buildFunction, deploymentOptions } from "../test/support/deployment-build";
import { consumerBatchSize, sinkEnvironment } from "./lib/environment";
import { ask, type Helper, startHelper } from "./lib/processes";
import { median, percentile, ROOT, table } from "./lib/report";
import type { WarmRequest, WarmResult } from "./warm-instance";

interface WarmFunction {
  name: "api" | "consumer";
  title: string;
  entry: string;
  bare: string;
  bareLabel: string;
  /** Goal on the mean time over the bare calls, per unit, in milliseconds. */
  goalMs: number;
}

const FUNCTIONS: WarmFunction[] = [
  {
    name: "api",
    title: "API, POST /purchases without Idempotency-Key: ms per invocation",
    entry: "src/api/handler.ts",
    bare: "bench/bare/sns-publish.ts",
    bareLabel: "bare SNS Publish",
    goalMs: 0.3,
  },
  {
    name: "consumer",
    title: "consumer: ms per record",
    entry: "src/consumer/handler.ts",
    bare: "bench/bare/dynamodb-puts.ts",
    bareLabel: "bare DynamoDB puts",
    goalMs: 1,
  },
];

export interface WarmOptions {
  rounds: number;
  /** API invocations per subject and round; the consumer runs a tenth as many batches. */
  invocations: number;
  compare: string[];
}

/** The handler sources of a commit, in a folder of their own, built against this checkout's node_modules. */
function checkout(commit: string, into: string): string {
  mkdirSync(into, { recursive: true });
  const archive = execFileSync("git", ["archive", commit, "src", "generated", "tsconfig.json"], {
    cwd: ROOT,
    maxBuffer: 1024 ** 3,
  });
  execFileSync("tar", ["-x", "-C", into], { input: archive });
  return into;
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
const ms = (value: number) => `${value.toFixed(3)} ms`;
const signed = (value: number) => `${value >= 0 ? "+" : ""}${value.toFixed(3)}`;
const spread = (values: number[]) =>
  `${signed(median(values))} (${signed(Math.min(...values))} to ${signed(Math.max(...values))})`;

export async function warm(sinkEndpoint: string, options: WarmOptions): Promise<string> {
  const work = mkdtempSync(join(tmpdir(), "purchases-warm-"));
  const instances: Helper<unknown>[] = [];
  try {
    const deployment = deploymentOptions();
    const trees = [
      { label: "handler", root: ROOT },
      ...options.compare.map((commit) => ({
        label: `handler at ${commit}`,
        root: checkout(commit, join(work, `tree-${commit}`)),
      })),
    ];
    const instanceScript = join(work, "warm-instance.mjs");
    await build({
      entryPoints: [join(__dirname, "warm-instance.ts")],
      outfile: instanceScript,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node22",
      banner: deployment.options.banner ?? {},
      logLevel: "error",
    });
    const batch = consumerBatchSize();
    const env: Record<string, string> = sinkEnvironment(sinkEndpoint);
    // The functions' NODE_OPTIONS (serverless.yml), or none: not the benchmark's own.
    const nodeOptions = { NODE_OPTIONS: deployment.nodeOptions ?? "" };
    const out = [
      `one process per function, one invocation at a time; ${options.rounds} rounds, each subject ` +
        `${options.invocations} API invocations or ${Math.ceil(options.invocations / 10)} consumer batches ` +
        `of ${batch} per round, in rotating order; POWERTOOLS_LOG_LEVEL ${env.POWERTOOLS_LOG_LEVEL} ` +
        "(serverless.yml params.prod.logLevel), metrics on",
    ];
    for (const fn of FUNCTIONS) {
      const dir = join(work, fn.name);
      const bare = await buildFunction(deployment.options, fn.bare, join(dir, "bare"));
      const handlers: string[] = [];
      for (const [index, tree] of trees.entries()) {
        const treeOptions = {
          ...deployment.options,
          absWorkingDir: tree.root,
          nodePaths: [join(ROOT, "node_modules")],
        };
        handlers.push((await buildFunction(treeOptions, fn.entry, join(dir, `handler-${index}`))).entry);
      }
      const instance = await startHelper(instanceScript, [fn.name, String(batch), bare.entry, ...handlers], {
        ...env,
        ...nodeOptions,
      });
      instances.push(instance);
      const labels = [fn.bareLabel, ...trees.map((tree) => tree.label)];
      const perUnit = fn.name === "consumer" ? batch : 1;
      const invocations = fn.name === "consumer" ? Math.ceil(options.invocations / 10) : options.invocations;
      const measure = async (subject: number) => {
        const request: WarmRequest = { subject, invocations };
        const result = await ask<WarmResult>(instance.child, request);
        return {
          ms: result.ms.map((value) => value / perUnit),
          cpuMs: result.cpuMs.map((value) => value / perUnit),
        };
      };
      // Warm-up: connections opened, lazily loaded chunks loaded, code optimised.
      for (let subject = 0; subject < labels.length; subject += 1) await measure(subject);
      const times: number[][][] = labels.map(() => []);
      const cpuTimes: number[][][] = labels.map(() => []);
      for (let round = 0; round < options.rounds; round += 1) {
        const order = labels.map((_, index) => (index + round) % labels.length);
        if (round % 2 === 1) order.reverse();
        for (const subject of order) {
          const measured = await measure(subject);
          times[subject]?.push(measured.ms);
          cpuTimes[subject]?.push(measured.cpuMs);
        }
      }
      const bareRounds = times[0] ?? [];
      const all = (rounds: number[][]) => rounds.flat();
      const bareCpuRounds = cpuTimes[0] ?? [];
      const bareCpu = mean(all(bareCpuRounds));
      const rows = labels.map((label, subject) => {
        const rounds = times[subject] ?? [];
        const cpu = mean(all(cpuTimes[subject] ?? []));
        const row = [label, ms(mean(all(rounds))), ms(percentile(all(rounds), 99)), ms(cpu)];
        if (subject === 0) return [...row, "", "", "", "", ""];
        const meanOver = rounds.map((values, round) => mean(values) - mean(bareRounds[round] ?? []));
        const p99Over = rounds.map(
          (values, round) => percentile(values, 99) - percentile(bareRounds[round] ?? [], 99),
        );
        return [
          ...row,
          signed(mean(all(rounds)) - mean(all(bareRounds))),
          signed(percentile(all(rounds), 99) - percentile(all(bareRounds), 99)),
          spread(meanOver),
          spread(p99Over),
          `${signed(cpu - bareCpu)}, by round ${spread(
            (cpuTimes[subject] ?? []).map((values, round) => mean(values) - mean(bareCpuRounds[round] ?? [])),
          )}`,
        ];
      });
      const over = mean(all(times[1] ?? [])) - mean(all(bareRounds));
      const cpuOver = mean(all(cpuTimes[1] ?? [])) - bareCpu;
      out.push("");
      out.push(fn.title);
      out.push(
        table(
          [
            "subject",
            "mean",
            "p99",
            "CPU mean",
            "mean over bare",
            "p99 over bare",
            "mean over bare by round: median (min to max)",
            "p99 over bare by round",
            "CPU mean over bare",
          ],
          rows,
        ),
      );
      out.push(
        `goal: mean over bare <= +${fn.goalMs} ms: ${over <= fn.goalMs ? "met" : "NOT met"} ` +
          `(${signed(over)} ms elapsed; the CPU time over bare, ${signed(cpuOver)} ms, ` +
          `${cpuOver <= fn.goalMs ? "within" : "over"} it)`,
      );
      await instance.stop();
    }
    return out.join("\n");
  } finally {
    for (const instance of instances) await instance.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
