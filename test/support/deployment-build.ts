/**
 * The esbuild options that serverless-esbuild uses for deployment, read from serverless.yml's
 * custom.esbuild, so that tests and benchmarks build the functions exactly as they are deployed.
 */
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { type BuildOptions, build, type Metafile } from "esbuild";
import { parseDocument } from "yaml";

const ROOT = join(__dirname, "..", "..");

/** serverless-esbuild's own settings, which are not esbuild options. */
const PLUGIN_ONLY = new Set([
  "exclude",
  "packager",
  "packagerOptions",
  "concurrency",
  "zipConcurrency",
  "watch",
  "installExtraArgs",
  "outputWorkFolder",
  "outputBuildFolder",
  "nativeZip",
  "keepOutputDirectory",
  "skipBuild",
  "skipRebuild",
  "config",
  "disposeContext",
  "packagePath",
  "stripEntryResolveExtensions",
  "outputFileExtension",
  "nodeExternals",
  "skipBuildExcludeFns",
]);

export interface EsbuildConfig {
  options: BuildOptions;
  notes: string[];
  /** NODE_OPTIONS of the functions' environment (provider.environment), if any. */
  nodeOptions?: string;
}

/** esbuild options from serverless.yml's custom.esbuild, as serverless-esbuild passes them on. */
export function deploymentOptions(): EsbuildConfig {
  const document = parseDocument(readFileSync(join(ROOT, "serverless.yml"), "utf8"), { logLevel: "silent" });
  const service = document.toJS() as {
    custom?: { esbuild?: Record<string, unknown> };
    provider?: { environment?: Record<string, unknown> };
  };
  const block = (service.custom?.esbuild ?? {}) as Record<string, unknown>;
  const nodeOptions = service.provider?.environment?.NODE_OPTIONS;
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(block)) if (!PLUGIN_ONLY.has(key)) options[key] = value;
  const notes: string[] = [];
  const exclude = block.exclude as string[] | undefined;
  // serverless-esbuild leaves aws-sdk (v2) out unless `exclude` says otherwise.
  options.external = exclude ?? ["aws-sdk"];
  if (options.minify !== true) {
    notes.push(
      `serverless.yml custom.esbuild has minify: ${String(options.minify)}; measured minified, as deployed bundles should be`,
    );
    options.minify = true;
  }
  // serverless-esbuild turns its outputFileExtension into esbuild's outExtension.
  const extension = block.outputFileExtension;
  if (typeof extension === "string" && extension !== ".js") options.outExtension = { ".js": extension };
  options.platform ??= "node";
  options.target ??= "node22";
  // serverless-esbuild builds from the service's folder, which relative alias paths are resolved from.
  options.absWorkingDir = ROOT;
  return {
    options: options as BuildOptions,
    notes,
    ...(typeof nodeOptions === "string" ? { nodeOptions } : {}),
  };
}

/**
 * A Node script that loads a bundle and invokes its handler with each event of a JSON array in turn,
 * as Lambda would in one execution environment: `node <script> <bundle.js> <events.json>`. It prints
 * one line, `RUN {"load": ms, "answered": [ms after each answer], "results": [...]}`, times counted
 * from just before the bundle is loaded.
 */
export const BUNDLE_RUNNER_SCRIPT = `
const { readFileSync } = require("node:fs");
const { pathToFileURL } = require("node:url");
const [bundle, eventsFile] = process.argv.slice(2);
const context = { getRemainingTimeInMillis: () => 10000, functionName: "bundle", awsRequestId: "bundle",
  invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:bundle", memoryLimitInMB: "512",
  functionVersion: "$LATEST" };
(async () => {
  const started = process.hrtime.bigint();
  const since = () => Number(process.hrtime.bigint() - started) / 1e6;
  // An ES module build (.mjs, as Lambda loads it) is imported; a CommonJS one is required.
  const { handler } = bundle.endsWith(".mjs") ? await import(pathToFileURL(bundle).href) : require(bundle);
  const load = since();
  const events = JSON.parse(readFileSync(eventsFile, "utf8"));
  const answered = [];
  const results = [];
  for (const event of events) {
    results.push(await handler(event, context));
    answered.push(since());
  }
  process.stdout.write("\\nRUN " + JSON.stringify({ load, answered, results }) + "\\n");
})().catch((error) => { process.stderr.write(String(error && error.stack)); process.exit(1); });
`;

export interface BundleRun {
  load: number;
  answered: number[];
  results: Record<string, unknown>[];
}

/** The run that BUNDLE_RUNNER_SCRIPT printed. */
export function parseBundleRun(output: string): BundleRun {
  const line = output.split("\n").find((text) => text.startsWith("RUN "));
  if (!line) throw new Error(`the bundle printed no run:\n${output}`);
  return JSON.parse(line.slice("RUN ".length)) as BundleRun;
}

export interface BuiltBundle {
  /** The file the function's handler is loaded from. */
  entry: string;
  /** Every file the build wrote for it (the entry and its chunks): what its package holds. */
  files: string[];
  metafile: Metafile;
}

/** Builds one function as serverless-esbuild does (one output folder per function) into `outdir`. */
export async function buildFunction(
  options: BuildOptions,
  entry: string,
  outdir: string,
): Promise<BuiltBundle> {
  const result = await build({
    ...options,
    entryPoints: [join(options.absWorkingDir ?? ROOT, entry)],
    outdir,
    bundle: true,
    metafile: true,
    logLevel: "error",
  });
  const outputs = Object.entries(result.metafile.outputs).filter(([path]) => !path.endsWith(".map"));
  const name = basename(entry).replace(/\.ts$/, "");
  const main = outputs.find(
    ([, output]) => output.entryPoint && basename(output.entryPoint).startsWith(name),
  );
  if (!main) throw new Error(`esbuild wrote no output for ${entry}`);
  const absolute = (path: string) => join(options.absWorkingDir ?? process.cwd(), path);
  return {
    entry: absolute(main[0]),
    files: outputs.map(([path]) => absolute(path)),
    metafile: result.metafile,
  };
}
