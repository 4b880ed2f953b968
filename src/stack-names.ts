/**
 * The names of a stage, resolved from resources/stack.yml in one place, and the checks that keep a stage
 * from being deployed with a name AWS refuses or with a setting still holding its shipped placeholder.
 *
 * serverless reads the same file (`${file(resources/stack.yml):names.x}`) and, through the local plugin
 * scripts/serverless/stack-names.cjs, runs these checks when it packages; the local stack
 * (src/local/stack.ts) imports this module; Python (the lake's local run, the IaC tests, `npm run deploy`)
 * reads its output: `tsx src/stack-names.ts --stage <stage> [--region R] [--account-id N] [--check]`
 * prints the names and settings as JSON, or names what is wrong and exits 1.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { DomainError } from "./errors";

export const REPO_ROOT = join(__dirname, "..");

/** The stack.yml names every caller may rely on (the file holds a few more, for the deployed stack). */
export type StackNames = Record<
  | "purchasesTopic"
  | "purchasesQueue"
  | "purchasesDlq"
  | "purchasesTable"
  | "idempotencyTable"
  | "alertsTopic"
  | "bronzeBucket"
  | "silverBucket"
  | "goldBucket"
  | "artifactsBucket"
  | "accessLogsBucket"
  | "athenaResultsBucket"
  | "glueDatabase"
  | "silverCrawler"
  | "goldCrawler"
  | "athenaWorkgroup"
  | "emrApplication"
  | "mwaaEnvironment",
  string
>;

export interface StackFile {
  names: Record<string, string>;
  settings: Record<string, number | string>;
}

export interface StageTarget {
  stage: string;
  region: string;
  /** The account the names are for; the 12-digit account id of AWS or of the emulator. */
  accountId: string;
}

/** A stage name or a stage's parameters that cannot be deployed; the message names which and why. */
export class StackNameError extends DomainError {}

/** What AWS accepts for each kind of name stack.yml declares. */
interface NameRule {
  what: string;
  maxLength: number;
  pattern: RegExp;
  allowed: string;
}

const S3_BUCKET: NameRule = {
  what: "S3 bucket",
  maxLength: 63,
  pattern: /^[a-z0-9][a-z0-9-]*[a-z0-9]$/,
  allowed: "lower-case letters, digits and hyphens",
};
const NAME_RULES: Record<keyof StackNames, NameRule> = {
  purchasesTopic: {
    what: "SNS topic",
    maxLength: 256,
    pattern: /^[A-Za-z0-9_-]+$/,
    allowed: "A-Z a-z 0-9 _ -",
  },
  alertsTopic: { what: "SNS topic", maxLength: 256, pattern: /^[A-Za-z0-9_-]+$/, allowed: "A-Z a-z 0-9 _ -" },
  purchasesQueue: {
    what: "SQS queue",
    maxLength: 80,
    pattern: /^[A-Za-z0-9_-]+$/,
    allowed: "A-Z a-z 0-9 _ -",
  },
  purchasesDlq: { what: "SQS queue", maxLength: 80, pattern: /^[A-Za-z0-9_-]+$/, allowed: "A-Z a-z 0-9 _ -" },
  purchasesTable: {
    what: "DynamoDB table",
    maxLength: 255,
    pattern: /^[A-Za-z0-9_.-]+$/,
    allowed: "A-Z a-z 0-9 _ . -",
  },
  idempotencyTable: {
    what: "DynamoDB table",
    maxLength: 255,
    pattern: /^[A-Za-z0-9_.-]+$/,
    allowed: "A-Z a-z 0-9 _ . -",
  },
  bronzeBucket: S3_BUCKET,
  silverBucket: S3_BUCKET,
  goldBucket: S3_BUCKET,
  artifactsBucket: S3_BUCKET,
  accessLogsBucket: S3_BUCKET,
  athenaResultsBucket: S3_BUCKET,
  // Athena reads the Glue catalog too, and its SQL takes only lower case, digits and underscores unquoted.
  glueDatabase: {
    what: "Glue database",
    maxLength: 255,
    pattern: /^[a-z0-9_]+$/,
    allowed: "lower-case letters, digits and underscores",
  },
  silverCrawler: {
    what: "Glue crawler",
    maxLength: 255,
    pattern: /^[A-Za-z0-9_-]+$/,
    allowed: "A-Z a-z 0-9 _ -",
  },
  goldCrawler: {
    what: "Glue crawler",
    maxLength: 255,
    pattern: /^[A-Za-z0-9_-]+$/,
    allowed: "A-Z a-z 0-9 _ -",
  },
  athenaWorkgroup: {
    what: "Athena workgroup",
    maxLength: 128,
    pattern: /^[A-Za-z0-9._-]+$/,
    allowed: "A-Z a-z 0-9 . _ -",
  },
  emrApplication: {
    what: "EMR Serverless application",
    maxLength: 64,
    pattern: /^[A-Za-z0-9_/#-]+$/,
    allowed: "A-Z a-z 0-9 _ / # -",
  },
  mwaaEnvironment: {
    what: "MWAA environment",
    maxLength: 80,
    pattern: /^[A-Za-z][A-Za-z0-9_-]*$/,
    allowed: "a letter, then A-Z a-z 0-9 _ -",
  },
};

/**
 * Stage names: lower case, digits and single hyphens, starting with a letter, so that every name derived
 * from them is valid wherever it lands (S3 takes no upper case and no underscore; Glue gets the stage with
 * underscores for hyphens). The length limit is computed from the longest derived name.
 */
const STAGE_PATTERN = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
// The longest region codes (ap-southeast-2, ap-northeast-3, ...) have 14 characters. Names are checked
// as if deployed there, so a stage valid in one region stays valid when a second region is added.
const LONGEST_REGION = "xx-xxxxxxxxx-9";
const ACCOUNT_ID_LENGTH = 12;

/** Stages that must never be deployed with a placeholder setting, beside those whose `production` param is true. */
export const FULLY_CONFIGURED_STAGES = ["staging", "prod"] as const;

/**
 * Shipped example values: the domains RFC 2606 reserves for examples, and an explicit CHANGE_ME. A stage
 * that must be fully configured refuses any parameter holding one.
 */
const PLACEHOLDER = /(^|[^a-z0-9-])example\.(com|net|org)\b|\.(example|invalid)\b|change[_-]?me/i;

export function readStackFile(root = REPO_ROOT): StackFile {
  return parse(readFileSync(join(root, "resources", "stack.yml"), "utf8")) as StackFile;
}

/** serverless.yml's `service`, the first word of every name. */
export function serviceName(root = REPO_ROOT): string {
  const match = /^service:\s*(\S+)/m.exec(readFileSync(join(root, "serverless.yml"), "utf8"));
  if (!match?.[1]) throw new StackNameError("serverless.yml has no service name");
  return match[1];
}

/** The stage as Glue and Athena spell it: hyphens become underscores. */
export function underscoredStage(stage: string): string {
  return stage.replaceAll("-", "_");
}

/**
 * Replaces the variables stack.yml uses: serverless's `${self:service}`, `${sls:stage}`, `${aws:region}`,
 * CloudFormation's `${AWS::AccountId}`, and `${stackNames:stageUnderscored}`, which the local plugin
 * gives serverless.
 */
function substitute(template: string, what: string, service: string, target: StageTarget): string {
  const variables: Record<string, string> = {
    "self:service": service,
    "sls:stage": target.stage,
    "aws:region": target.region,
    "AWS::AccountId": target.accountId,
    "stackNames:stageUnderscored": underscoredStage(target.stage),
  };
  return template.replace(/\$\{([^}]+)\}/g, (whole, variable: string) => {
    const value = variables[variable.trim()];
    if (value === undefined) throw new StackNameError(`resources/stack.yml: ${what} uses unknown ${whole}`);
    return value;
  });
}

/** Every name of resources/stack.yml for a stage, region and account, without checking them. */
export function resolveNames(
  target: StageTarget,
  file = readStackFile(),
  service = serviceName(),
): StackNames {
  const names: Record<string, string> = {};
  for (const [key, template] of Object.entries(file.names)) {
    names[key] = substitute(template, key, service, target);
  }
  return names as StackNames;
}

/** The settings of resources/stack.yml, their string templates resolved for the stage. */
export function resolveSettings(
  target: StageTarget,
  file = readStackFile(),
  service = serviceName(),
): Record<string, number | string> {
  return Object.fromEntries(
    Object.entries(file.settings).map(([key, value]) => [
      key,
      typeof value === "string" ? substitute(value, `settings.${key}`, service, target) : value,
    ]),
  );
}

/** Why each name breaks AWS's rules for its kind; empty when all fit. */
export function nameProblems(names: StackNames): string[] {
  const problems: string[] = [];
  for (const [key, rule] of Object.entries(NAME_RULES)) {
    const name = names[key as keyof StackNames];
    if (name === undefined) {
      problems.push(`resources/stack.yml declares no ${key}`);
      continue;
    }
    if (name.length > rule.maxLength) {
      problems.push(
        `${key} "${name}" has ${name.length} characters; an ${rule.what} name takes at most ${rule.maxLength}`,
      );
    }
    if (!rule.pattern.test(name)) {
      problems.push(`${key} "${name}" is not a valid ${rule.what} name (${rule.allowed})`);
    }
  }
  return problems;
}

/**
 * The longest stage every name still fits with, and the name that sets it: computed from stack.yml's
 * names with the longest region code and a 12-digit account id, so it changes by itself when a name
 * gets longer.
 */
export function stageLengthBound(
  file = readStackFile(),
  service = serviceName(),
): { maxLength: number; boundBy: keyof StackNames } {
  const target = { stage: "", region: LONGEST_REGION, accountId: "0".repeat(ACCOUNT_ID_LENGTH) };
  const names = resolveNames(target, file, service);
  let bound = { maxLength: Number.POSITIVE_INFINITY, boundBy: "purchasesTopic" as keyof StackNames };
  for (const [key, rule] of Object.entries(NAME_RULES)) {
    const name = names[key as keyof StackNames];
    const uses = file.names[key]?.match(/\$\{(sls:stage|stackNames:stageUnderscored)\}/g)?.length ?? 0;
    if (name === undefined || uses === 0) continue;
    const maxLength = Math.floor((rule.maxLength - name.length) / uses);
    if (maxLength < bound.maxLength) bound = { maxLength, boundBy: key as keyof StackNames };
  }
  return bound;
}

/** Refuses a stage name that breaks the naming rules, or a stack.yml name that AWS would refuse. */
export function checkStageName(stage: string, file = readStackFile(), service = serviceName()): void {
  const { maxLength, boundBy } = stageLengthBound(file, service);
  if (!STAGE_PATTERN.test(stage)) {
    throw new StackNameError(
      `stage "${stage}" is not a valid stage name: use lower-case letters, digits and single hyphens, ` +
        "starting with a letter (S3 bucket names take no upper case or underscore)",
    );
  }
  if (stage.length > maxLength) {
    const rule = NAME_RULES[boundBy];
    throw new StackNameError(
      `stage "${stage}" has ${stage.length} characters; at most ${maxLength} fit every name derived from it ` +
        `(${boundBy}, an ${rule.what} name of ${rule.maxLength} characters at most, is the longest)`,
    );
  }
  const problems = nameProblems(
    resolveNames({ stage, region: LONGEST_REGION, accountId: "0".repeat(ACCOUNT_ID_LENGTH) }, file, service),
  );
  if (problems.length > 0) throw new StackNameError(`stage "${stage}": ${problems.join("; ")}`);
}

/** The names of a stage, checked. */
export function stackNames(target: StageTarget, file = readStackFile(), service = serviceName()): StackNames {
  checkStageName(target.stage, file, service);
  const names = resolveNames(target, file, service);
  const problems = nameProblems(names);
  if (problems.length > 0) throw new StackNameError(`stage "${target.stage}": ${problems.join("; ")}`);
  return names;
}

export type StageParams = Record<string, unknown>;

/** Whether a stage must be deployed with every parameter set to a real value. */
export function mustBeFullyConfigured(stage: string, params: StageParams): boolean {
  const production = params.production === true || params.production === "true";
  return (FULLY_CONFIGURED_STAGES as readonly string[]).includes(stage) || production;
}

/** The parameters that still hold a shipped placeholder, with their value. */
export function placeholderParams(params: StageParams): [string, string][] {
  return Object.entries(params)
    .filter((entry): entry is [string, string] => typeof entry[1] === "string" && PLACEHOLDER.test(entry[1]))
    .sort(([a], [b]) => a.localeCompare(b));
}

/** Refuses a stage that must be fully configured while any parameter holds a placeholder. */
export function checkStageParams(stage: string, params: StageParams): void {
  if (!mustBeFullyConfigured(stage, params)) return;
  const placeholders = placeholderParams(params);
  if (placeholders.length === 0) return;
  const listed = placeholders.map(([name, value]) => `${name} (${value})`).join(", ");
  throw new StackNameError(
    `stage "${stage}" cannot be deployed while a parameter holds a placeholder: ${listed}. ` +
      "Set the real value in serverless.yml's params or pass --param '<name>=<value>'",
  );
}

/**
 * The parameters a stage resolves, as serverless merges them: `--param name=value` over the stage's
 * params over `default`.
 */
export function stageParams(stage: string, cliParams: string[] = [], root = REPO_ROOT): StageParams {
  // CloudFormation's short tags (!Ref, !GetAtt...) stay unresolved: only `params` is read.
  const config = parse(readFileSync(join(root, "serverless.yml"), "utf8"), { logLevel: "error" }) as {
    params?: Record<string, StageParams>;
  };
  const params = config.params ?? {};
  return { ...params.default, ...params[stage], ...parseCliParams(cliParams) };
}

export function parseCliParams(values: string[]): StageParams {
  const params: StageParams = {};
  for (const value of values) {
    const match = /^([^=]+)=(.+)$/.exec(value);
    if (!match?.[1] || match[2] === undefined) {
      throw new StackNameError(`--param "${value}": expected <name>=<value>`);
    }
    params[match[1]] = match[2].trimEnd();
  }
  return params;
}

interface CliOptions {
  stage: string;
  region: string;
  accountId: string;
  check: boolean;
  params: string[];
}

function parseArgs(argv: string[]): CliOptions {
  const options: CliOptions = {
    stage: "",
    region: "us-east-1",
    accountId: "123456789012",
    check: false,
    params: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new StackNameError(`${flag} needs a value`);
      return next;
    };
    if (flag === "--stage") options.stage = value();
    else if (flag === "--region") options.region = value();
    else if (flag === "--account-id") options.accountId = value();
    else if (flag === "--param") options.params.push(value());
    else if (flag === "--check") options.check = true;
    else if (flag === "--json") continue;
    else throw new StackNameError(`unknown option ${flag}`);
  }
  if (!options.stage) throw new StackNameError("--stage is required");
  return options;
}

/** The CLI: the names and settings as JSON, after the checks (`--check` adds the parameters'). */
export function main(argv: string[]): number {
  try {
    const options = parseArgs(argv);
    const target = { stage: options.stage, region: options.region, accountId: options.accountId };
    const names = stackNames(target);
    if (options.check) checkStageParams(options.stage, stageParams(options.stage, options.params));
    const output = { service: serviceName(), ...target, names, settings: resolveSettings(target) };
    process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof StackNameError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 1;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
