/**
 * `npm run contracts:breaking [-- --markdown [FILE]]`: fails when a contract breaks its released baseline
 * without a new major version. The Markdown report goes to FILE (a job's $GITHUB_STEP_SUMMARY), else to
 * standard output.
 * `npm run release`: makes the current contracts the released baseline.
 * `page` (run by `npm run generate`): puts the data contract's version and changelog into its HTML page.
 */
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { insertChangelogSection, renderChangelogSection } from "./changelog-page";
import {
  ContractToolError,
  checkContracts,
  dataContractBreakingChanges,
  diffDataContracts,
  RELEASED_DIR,
  ROOT,
  readVersion,
  releaseContracts,
  renderMarkdown,
  renderText,
} from "./compare";

async function breaking(args: string[]): Promise<number> {
  const { verdicts } = await checkContracts();
  process.stdout.write(renderText(verdicts));
  const flag = args.indexOf("--markdown");
  if (flag >= 0) {
    const markdown = renderMarkdown(verdicts);
    const file = args[flag + 1];
    if (file) appendFileSync(file, markdown);
    else process.stdout.write(`\n${markdown}`);
  }
  return verdicts.every((v) => v.passed) ? 0 : 1;
}

function release(): number {
  for (const { file, version, released, changed } of releaseContracts()) {
    console.log(
      `${file} ${version}: ${changed ? "released to" : "already the release in"} ${relative(ROOT, released)}`,
    );
  }
  console.log("Now npm run generate: the contract page shows its changelog against the release.");
  return 0;
}

async function page(): Promise<number> {
  const current = join(ROOT, "datacontract.yaml");
  const released = join(RELEASED_DIR, "datacontract.yaml");
  const [diff] = await diffDataContracts([[released, current]]);
  if (!diff) throw new ContractToolError("datacontract-cli's comparison printed nothing");
  const section = renderChangelogSection({
    version: readVersion("datacontract.yaml", current),
    releasedVersion: readVersion("datacontract.yaml", released),
    changelog: diff.changelog,
    breaking: dataContractBreakingChanges(diff),
  });
  const html = join(ROOT, "generated", "html", "contract.html");
  writeFileSync(html, insertChangelogSection(readFileSync(html, "utf8"), section));
  return 0;
}

async function main(): Promise<number> {
  const [command, ...args] = process.argv.slice(2);
  if (command === "breaking") return breaking(args);
  if (command === "release") return release();
  if (command === "page") return page();
  console.error("usage: contracts (breaking [--markdown [FILE]] | release | page)");
  return 2;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof ContractToolError ? error.message : error);
    process.exitCode = 2;
  },
);
