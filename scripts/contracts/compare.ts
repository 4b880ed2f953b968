/**
 * Compares openapi.yaml and datacontract.yaml with their released baseline in contracts/released/ and
 * says which changes break a client of the API or a reader of the data.
 *
 * - openapi.yaml: oasdiff `breaking`, allOf branches merged first (`--flatten-allof`) so that a message
 *   names the property rather than the branch. Changes at ERR and at WARN level break: the request
 *   schemas refuse unknown fields (`unevaluatedProperties: false`), so the WARN-level changes oasdiff
 *   cannot prove safe (a request property or parameter removed, a pattern changed) refuse requests
 *   that the released API accepted.
 * - datacontract.yaml: datacontract-cli's changelog and breaking-change rules. A change breaks a data
 *   reader when datacontract-cli grades it an error from the consumer's perspective (the contract
 *   loosens: a field removed, a type changed, a bound widened, a required field made optional, an allowed
 *   value added; or may loosen: a pattern changed, a warning there), and also when it tightens a field that already exists (a bound narrowed, an optional
 *   field made required, an allowed value removed: an error from the producer's perspective). Silver and
 *   gold keep years of partitions written under the released contract, and a reader reads them under
 *   the new one: a tightened rule would describe history that does not satisfy it. Adding an optional
 *   field or a new schema object breaks nobody; adding a required field does (history lacks it).
 *
 * A contract whose major version is above the baseline's may break: that is what a major version says.
 */
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { DomainError } from "../../src/errors";

export const ROOT = join(__dirname, "..", "..");
export const RELEASED_DIR = join(ROOT, "contracts", "released");
export const CONTRACT_FILES = ["openapi.yaml", "datacontract.yaml"] as const;
export type ContractFile = (typeof CONTRACT_FILES)[number];

const OASDIFF = join(ROOT, ".tools", "bin", "oasdiff");
const DATACONTRACT_PYTHON = join(ROOT, ".tools", "pipx", "venvs", "datacontract-cli", "bin", "python");
const DATACONTRACT_DIFF = join(__dirname, "datacontract_diff.py");

/** One change that breaks a reader of the released contract. */
export interface BreakingChange {
  /** The field it is about: a property name (openapi.yaml) or schema object and property (datacontract.yaml). */
  field: string;
  /** What changed, in words. */
  change: string;
  /** Where: the operation (openapi.yaml) or the contract path (datacontract.yaml). */
  where: string;
  /** The tool's rule id. */
  rule: string;
}

export interface Verdict {
  file: ContractFile;
  releasedVersion: string;
  version: string;
  majorBumped: boolean;
  breaking: BreakingChange[];
  /** True when nothing breaks, or the major version was bumped over the baseline's. */
  passed: boolean;
}

/** A change in datacontract-cli's changelog, as `datacontract changelog` reports it. */
export interface ChangelogEntry {
  path: string;
  type: "added" | "removed" | "updated";
  old_value: string | null;
  new_value: string | null;
}

interface GradedEntry {
  path: string;
  change_type: "added" | "removed" | "updated";
  level: "info" | "warning" | "error";
  direction: string | null;
  message: string;
  rule_id: string;
  old_value: string | null;
  new_value: string | null;
}

export interface DataContractDiff {
  changelog: ChangelogEntry[];
  consumer: GradedEntry[];
  producer: GradedEntry[];
}

export class ContractToolError extends DomainError {}

export function readVersion(file: ContractFile, path: string): string {
  const doc = parse(readFileSync(path, "utf8")) as { info?: { version?: unknown }; version?: unknown };
  const version = file === "openapi.yaml" ? doc.info?.version : doc.version;
  if (typeof version !== "string" || !/^\d+\.\d+\.\d+/.test(version)) {
    throw new ContractToolError(`${path}: the version must be a semantic version, got ${String(version)}`);
  }
  return version;
}

export const major = (version: string): number => Number(version.split(".")[0]);

function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on("error", (cause) => reject(new ContractToolError(`${command} did not start`, { cause })));
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

interface OasdiffChange {
  id: string;
  text: string;
  level: number;
  operation?: string;
  path?: string;
}
const OASDIFF_WARN = 2;

/** The property or parameter an oasdiff message is about: "the request property `x`", "the `x` request property's max". */
function openapiField(text: string): string | undefined {
  const named =
    /(?:property|parameter) `([^`]+)`/.exec(text) ??
    /`([^`]+)` (?:request|response) (?:property|parameter)/.exec(text);
  return (named ?? /`([^`]+)`/.exec(text))?.[1];
}

/** The changes of `candidate` that break a client of `released` (oasdiff levels ERR and WARN). */
export async function openapiBreakingChanges(released: string, candidate: string): Promise<BreakingChange[]> {
  const { code, stdout, stderr } = await run(OASDIFF, [
    "breaking",
    "--flatten-allof",
    // The contracts are self-contained: nothing is fetched while comparing them.
    "--allow-external-refs=false",
    "--format",
    "json",
    released,
    candidate,
  ]);
  if (code !== 0) throw new ContractToolError(`oasdiff breaking failed (exit ${code}): ${stderr.trim()}`);
  const changes = JSON.parse(stdout || "[]") as OasdiffChange[] | null;
  return (changes ?? [])
    .filter((c) => c.level >= OASDIFF_WARN)
    .map((c) => ({
      field: openapiField(c.text) ?? c.path ?? "",
      change: `${c.level > OASDIFF_WARN ? "" : "(warning) "}${c.text.replaceAll("`", "'")}`,
      where: [c.operation, c.path].filter(Boolean).join(" "),
      rule: c.id,
    }));
}

/** datacontract-cli's changelog and grades for each (released, candidate) pair, in one start of the library. */
export async function diffDataContracts(pairs: [string, string][]): Promise<DataContractDiff[]> {
  const { code, stdout, stderr } = await run(DATACONTRACT_PYTHON, [DATACONTRACT_DIFF, ...pairs.flat()]);
  if (code !== 0)
    throw new ContractToolError(`datacontract-cli's comparison failed (exit ${code}): ${stderr.trim()}`);
  return stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as DataContractDiff);
}

/** `schema.silver_purchases.properties.ingest_hour.logicalTypeOptions.pattern` → silver_purchases.ingest_hour */
export function fieldOf(path: string): string {
  const m = /^schema\.([^.]+)(?:\.properties\.([^.]+))?/.exec(path);
  if (!m) return path;
  return m[2] ? `${m[1]}.${m[2]}` : (m[1] ?? path);
}

function isAddedOptional(entry: GradedEntry, changelog: ChangelogEntry[]): boolean {
  if (entry.change_type !== "added") return false;
  if (entry.rule_id === "schema-added-or-removed") return true;
  const required = changelog.find((c) => c.path === `${entry.path}.required`);
  return entry.rule_id === "property-added-or-removed" && required?.new_value !== "True";
}

/** The changes in one datacontract-cli comparison that break a reader of the released data (see the top). */
export function dataContractBreakingChanges(diff: DataContractDiff): BreakingChange[] {
  // A warning is a change whose direction datacontract-cli cannot tell (a pattern changed): it may loosen.
  const loosened = diff.consumer.filter((e) => e.level !== "info");
  const tightened = diff.producer.filter(
    (e) => e.level === "error" && !isAddedOptional(e, diff.changelog) && e.direction !== "loosens",
  );
  const byPath = new Map<string, BreakingChange>();
  for (const [entry, why] of [
    ...loosened.map((e) => [e, "readers of the released contract may break"] as const),
    ...tightened.map((e) => [e, "data already published may not satisfy it"] as const),
  ]) {
    if (byPath.has(entry.path)) continue;
    const element = /^schema\.[^.]+(?:\.properties\.[^.]+)?/.exec(entry.path)?.[0];
    const aspect = element ? entry.path.slice(element.length + 1) : "";
    const message = entry.message.replace(` at ${entry.path}`, "");
    byPath.set(entry.path, {
      field: fieldOf(entry.path),
      change: `${aspect ? `${aspect}: ` : ""}${message} (${why})`,
      where: entry.path,
      rule: entry.rule_id,
    });
  }
  return [...byPath.values()];
}

export function verdict(
  file: ContractFile,
  released: string,
  candidate: string,
  breaking: BreakingChange[],
): Verdict {
  const releasedVersion = readVersion(file, released);
  const version = readVersion(file, candidate);
  const majorBumped = major(version) > major(releasedVersion);
  return {
    file,
    releasedVersion,
    version,
    majorBumped,
    breaking,
    passed: breaking.length === 0 || majorBumped,
  };
}

/** Both contracts of a folder (the repository root by default) against the released ones. */
export async function checkContracts(
  dir = ROOT,
  releasedDir = RELEASED_DIR,
): Promise<{ verdicts: Verdict[]; changelog: ChangelogEntry[] }> {
  const path = (file: ContractFile) => [join(releasedDir, file), join(dir, file)] as const;
  const [openapiBreaks, [dataDiff]] = await Promise.all([
    openapiBreakingChanges(...path("openapi.yaml")),
    diffDataContracts([[...path("datacontract.yaml")]]),
  ]);
  if (!dataDiff) throw new ContractToolError("datacontract-cli's comparison printed nothing");
  return {
    verdicts: [
      verdict("openapi.yaml", ...path("openapi.yaml"), openapiBreaks),
      verdict("datacontract.yaml", ...path("datacontract.yaml"), dataContractBreakingChanges(dataDiff)),
    ],
    changelog: dataDiff.changelog,
  };
}

/**
 * Makes the contracts of `dir` the released baseline. Refuses, copying nothing, when a contract differs
 * from its released copy but carries the same version: a release carries a new version.
 */
export function releaseContracts(
  dir = ROOT,
  releasedDir = RELEASED_DIR,
): { file: ContractFile; version: string; released: string; changed: boolean }[] {
  const plan = CONTRACT_FILES.map((file) => {
    const current = join(dir, file);
    const released = join(releasedDir, file);
    const version = readVersion(file, current);
    if (!existsSync(released)) return { file, current, released, version, changed: true };
    const changed = readFileSync(current, "utf8") !== readFileSync(released, "utf8");
    if (changed && readVersion(file, released) === version) {
      throw new ContractToolError(
        `${file} differs from the released one but keeps its version ${version}: a release carries a new version`,
      );
    }
    return { file, current, released, version, changed };
  });
  mkdirSync(releasedDir, { recursive: true });
  for (const { current, released, changed } of plan) if (changed) copyFileSync(current, released);
  return plan.map(({ file, version, released, changed }) => ({ file, version, released, changed }));
}

const nextMajor = (version: string) => `${major(version) + 1}.0.0`;
const versionKey = (file: ContractFile) => (file === "openapi.yaml" ? "info.version" : "version");

function summaryLine(v: Verdict): string {
  if (v.breaking.length === 0) return "no breaking change";
  const n = `${v.breaking.length} breaking change${v.breaking.length === 1 ? "" : "s"}`;
  return v.majorBumped
    ? `${n}, allowed by the new major version`
    : `${n}: bump ${versionKey(v.file)} to ${nextMajor(v.releasedVersion)} to ship them`;
}

/** For a terminal: one line per contract, one line per breaking change. */
export function renderText(verdicts: Verdict[]): string {
  const lines: string[] = [];
  for (const v of verdicts) {
    lines.push(
      `${v.passed ? "ok  " : "FAIL"} ${v.file} ${v.version} against released ${v.releasedVersion}: ${summaryLine(v)}`,
    );
    for (const b of v.breaking) {
      lines.push(`       ${b.field}: ${b.change}`, `         at ${b.where} [${b.rule}]`);
    }
  }
  return `${lines.join("\n")}\n`;
}

const cell = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");

/** For a GitHub job summary. */
export function renderMarkdown(verdicts: Verdict[]): string {
  const out = ["## Contracts against the released baseline", ""];
  for (const v of verdicts) {
    out.push(
      `### ${v.passed ? "✅" : "❌"} \`${v.file}\` ${v.version} (released ${v.releasedVersion})`,
      "",
      `${summaryLine(v).replace(/^./, (c) => c.toUpperCase())}.`,
      "",
    );
    if (v.breaking.length > 0) {
      out.push("| field | change | where | rule |", "|---|---|---|---|");
      for (const b of v.breaking) {
        out.push(`| \`${cell(b.field)}\` | ${cell(b.change)} | \`${cell(b.where)}\` | ${b.rule} |`);
      }
      out.push("");
    }
  }
  return `${out.join("\n")}\n`;
}
