/**
 * What the release scripts read about a deployed stage: its stack's outputs (as `serverless info
 * --verbose` prints them), and the `--stage` argument that names it.
 */
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { DomainError } from "../../src/errors";
import { SERVICE } from "../../src/local/stack";

export class ReleaseError extends DomainError {}

/** osls names each stage's stack `<service>-<stage>`. */
export function stackName(stage: string): string {
  return `${SERVICE}-${stage}`;
}

/** The value of `--stage <name>` (or `--stage=<name>`) in a script's arguments. */
export function stageArgument(argv: readonly string[]): string {
  const index = argv.findIndex((a) => a === "--stage" || a.startsWith("--stage="));
  const arg = argv[index];
  const value = arg?.startsWith("--stage=") ? arg.slice("--stage=".length) : argv[index + 1];
  if (index < 0 || !value) throw new ReleaseError("usage: --stage <stage> (dev, staging, prod or another)");
  if (!/^[a-z][a-z0-9-]*$/.test(value)) throw new ReleaseError(`not a stage name: ${value}`);
  return value;
}

export type StackOutputs = Record<string, string>;

/** The deployed stack's outputs, by key. Credentials and region come from the usual AWS chain. */
export async function stackOutputs(
  stage: string,
  client: CloudFormationClient = new CloudFormationClient({}),
): Promise<StackOutputs> {
  const name = stackName(stage);
  const answer = await client.send(new DescribeStacksCommand({ StackName: name })).catch((error: unknown) => {
    throw new ReleaseError(`cannot read the stack ${name}: is the stage deployed?`, { cause: error });
  });
  const outputs = answer.Stacks?.[0]?.Outputs ?? [];
  return Object.fromEntries(
    outputs.flatMap((o) =>
      o.OutputKey && o.OutputValue !== undefined ? [[o.OutputKey, o.OutputValue]] : [],
    ),
  );
}

export function requireOutput(outputs: StackOutputs, key: string, stage: string): string {
  const value = outputs[key];
  if (!value) throw new ReleaseError(`the stack ${stackName(stage)} has no output ${key}`);
  return value;
}
