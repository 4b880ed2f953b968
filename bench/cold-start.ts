/**
 * Cold start: the API and consumer bundles built as serverless-esbuild builds them for deployment (the
 * options of serverless.yml's custom.esbuild, minified), each against a bare bundle built in the same
 * run that only constructs the SNS client (API) or the DynamoDB document client (consumer). Figures:
 * bundle and zipped size, module-load time (a fresh node process per sample, samples interleaved, median,
 * with the functions' NODE_OPTIONS from serverless.yml) and, for context, the time to the first answer
 * (load plus one invocation against the sink). A third reference, the two SDK clients the API needs
 * (SNS and the DynamoDB document client), shows what the API's own code costs on top of them. The same
 * figures follow for the build with each of serverless.yml's choices undone, one at a time and all at once.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateRawSync } from "node:zlib";
import type { BuildOptions } from "esbuild";
import {
  BUNDLE_RUNNER_SCRIPT,
  buildFunction,
  deploymentOptions,
  parseBundleRun,
} from "../test/support/deployment-build";
import { apiEvent, sqsEvent, sqsRecord, validPurchase } from "../test/support/events";
import { sinkEnvironment } from "./lib/environment";
import { median, ratio, table } from "./lib/report";

interface Bundle {
  name: string;
  entry: string;
  baseline?: string;
  /** A second reference: the SDK clients the function needs, without its own code. */
  clients?: string;
  event: unknown;
}

const BUNDLES: Bundle[] = [
  { name: "api", entry: "src/api/handler.ts", baseline: "bare-sns", clients: "sns+dynamodb", event: "api" },
  { name: "bare-sns", entry: "bench/bare/sns-client.ts", event: "none" },
  { name: "sns+dynamodb", entry: "bench/bare/sns-dynamodb-clients.ts", event: "none" },
  { name: "consumer", entry: "src/consumer/handler.ts", baseline: "bare-dynamodb", event: "consumer" },
  { name: "bare-dynamodb", entry: "bench/bare/dynamodb-client.ts", event: "none" },
];

function eventFor(kind: unknown): unknown {
  if (kind === "api") {
    return apiEvent({
      method: "POST",
      path: "/purchases",
      headers: { "content-type": "application/json", "idempotency-key": "cold-start-1" },
      body: JSON.stringify(validPurchase()),
    });
  }
  if (kind === "consumer") {
    return sqsEvent(
      Array.from({ length: 25 }, (_, index) =>
        sqsRecord(
          JSON.stringify({
            ...validPurchase(),
            purchase_id: `8d0f3a4e-6c8b-4c36-9d5e-${String(index).padStart(12, "0")}`,
            received_at: new Date().toISOString(),
          }),
        ),
      ),
    );
  }
  return {};
}

export async function coldStart(sinkEndpoint: string, samples: number): Promise<string> {
  const work = mkdtempSync(join(tmpdir(), "purchases-cold-start-"));
  try {
    const deployment = deploymentOptions();
    const { absWorkingDir: _, ...shown } = deployment.options;
    // The deployed build, then each of its choices undone alone, then all of them (the build deployed
    // before: one CommonJS file from the packages' CommonJS builds, with lodash and qs as they are).
    const variants: [string, BuildOptions][] = [
      ["serverless.yml custom.esbuild", deployment.options],
      ["without chunk splitting (one ES module file)", { ...deployment.options, splitting: false }],
      ["without the router-deps alias (lodash and qs as they are)", { ...deployment.options, alias: {} }],
      ["from the packages' CommonJS builds", { ...deployment.options, mainFields: ["main", "module"] }],
      [
        "one CommonJS file, CommonJS builds, no alias",
        {
          ...deployment.options,
          format: "cjs",
          splitting: false,
          banner: {},
          outExtension: {},
          mainFields: ["main", "module"],
          alias: {},
        },
      ],
    ];
    writeFileSync(join(work, "sample.js"), BUNDLE_RUNNER_SCRIPT);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...sinkEnvironment(sinkEndpoint),
    };
    if (deployment.nodeOptions) env.NODE_OPTIONS = deployment.nodeOptions;
    else delete env.NODE_OPTIONS;
    const out: string[] = [];
    for (const note of deployment.notes) out.push(`note: ${note}`);
    out.push(`esbuild options: ${JSON.stringify(shown)}`);
    out.push(`functions' NODE_OPTIONS: ${deployment.nodeOptions ?? "(none)"}`);

    for (const [variantName, options] of variants) {
      const dir = join(work, variantName.replace(/\W+/g, "-"));
      const files = new Map<string, { js: string; all: string[]; event: string }>();
      for (const bundle of BUNDLES) {
        const built = await buildFunction(options, bundle.entry, join(dir, bundle.name));
        const eventFile = join(dir, `${bundle.name}.event.json`);
        writeFileSync(eventFile, JSON.stringify([eventFor(bundle.event)]));
        files.set(bundle.name, { js: built.entry, all: built.files, event: eventFile });
      }
      const loads = new Map<string, number[]>();
      const firsts = new Map<string, number[]>();
      for (let sample = 0; sample < samples; sample += 1) {
        for (const bundle of BUNDLES) {
          const file = files.get(bundle.name);
          if (!file) continue;
          const output = execFileSync(process.execPath, [join(work, "sample.js"), file.js, file.event], {
            env,
            stdio: ["ignore", "pipe", "pipe"],
            maxBuffer: 64 * 1024 * 1024,
          }).toString();
          const run = parseBundleRun(output);
          const status = run.results[0]?.statusCode;
          if (bundle.event === "api" && status !== 202) throw new Error(`api answered ${String(status)}`);
          loads.set(bundle.name, [...(loads.get(bundle.name) ?? []), run.load]);
          firsts.set(bundle.name, [...(firsts.get(bundle.name) ?? []), run.answered[0] ?? Number.NaN]);
        }
      }
      // Every file a function ships (the entry and its chunks), as its package holds them.
      const sizes = new Map<string, { size: number; zipped: number }>();
      for (const [name, file] of files) {
        const sources = file.all.map((path) => readFileSync(path));
        sizes.set(name, {
          size: sources.reduce((sum, js) => sum + js.length, 0),
          zipped: sources.reduce((sum, js) => sum + deflateRawSync(js, { level: 9 }).length, 0),
        });
      }
      const rows = BUNDLES.map((bundle) => {
        const { size = 0, zipped = 0 } = sizes.get(bundle.name) ?? {};
        const load = median(loads.get(bundle.name) ?? []);
        const first = median(firsts.get(bundle.name) ?? []);
        const base = bundle.baseline;
        const baseSize = base ? sizes.get(base)?.size : undefined;
        const clients = bundle.clients;
        return [
          bundle.name,
          `${(size / 1024).toFixed(0)} KB`,
          `${(zipped / 1024).toFixed(0)} KB`,
          `${load.toFixed(1)} ms`,
          `${first.toFixed(1)} ms`,
          baseSize ? ratio(size, baseSize) : "",
          base ? ratio(load, median(loads.get(base) ?? [])) : "",
          clients ? ratio(load, median(loads.get(clients) ?? [])) : "",
        ];
      });
      out.push("");
      out.push(`${variantName}: ${samples} samples per bundle, median`);
      out.push(
        table(
          [
            "bundle",
            "minified",
            "zipped",
            "load",
            "first answer",
            "size vs bare",
            "load vs bare",
            "load vs its SDK clients",
          ],
          rows,
        ),
      );
    }
    out.push("");
    out.push(
      "goals: load <= 1.30x and size <= 2.00x of the bare bundle; 'first answer' = load + one invocation",
    );
    out.push(
      "against the sink (api: a POST with an Idempotency-Key; consumer: a batch of 25; bare: one call);",
    );
    out.push("'sns+dynamodb' only constructs the two SDK clients the API needs (SNS, DynamoDB document)");
    return out.join("\n");
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
