/**
 * A record of the AWS calls the functions make, for the test that checks each one against the role of
 * the function that makes it on AWS (test/iac/test_recorded_calls.py). With AWS_CALL_LOG_DIR set, a
 * handler wrapped by `asFunction` runs with a middleware on the functions' SDK clients (src/clients,
 * the ones Powertools' idempotency uses too) that appends one JSON line per request, naming the
 * function, the service, the operation and the request's resource names. Unset, the handler is
 * returned as it is and nothing is installed.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { InitializeMiddleware, MetadataBearer } from "@smithy/types";
import { localEnv } from "./local-env";
import type { LocalFunction } from "./processes";

// Request fields that carry data rather than name a resource.
const BODY_FIELDS = new Set(["Message", "MessageBody", "Subject", "MessageAttributes", "Item", "Key"]);
const MAX_VALUE = 300;

const invoking = new AsyncLocalStorage<LocalFunction>();
let installed: Promise<void> | undefined;

function resourceFields(input: Record<string, unknown>): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input)) {
    if (BODY_FIELDS.has(name)) continue;
    if (typeof value === "string") kept[name] = value.slice(0, MAX_VALUE);
    else if (name === "RequestItems" && value && typeof value === "object") kept[name] = Object.keys(value);
  }
  return kept;
}

const MIDDLEWARE = { step: "initialize", name: "awsCallLog", override: true } as const;

/** A middleware that appends each request to the process's file, as `principal()`'s call. */
function recorder(directory: string, principal: () => string): InitializeMiddleware<object, MetadataBearer> {
  mkdirSync(directory, { recursive: true });
  const file = join(directory, `functions-${process.pid}.jsonl`);
  return (next, context) => async (args) => {
    const line = {
      source: "functions",
      function: principal(),
      service: String(context.clientName)
        .replace(/Client$/, "")
        .toLowerCase(),
      operation: String(context.commandName).replace(/Command$/, ""),
      params: resourceFields(args.input as Record<string, unknown>),
    };
    try {
      return await next(args);
    } catch (error) {
      Object.assign(line, { error: error instanceof Error ? error.name : String(error) });
      throw error;
    } finally {
      appendFileSync(file, `${JSON.stringify(line)}\n`);
    }
  };
}

async function install(directory: string): Promise<void> {
  const [{ dynamoDbClient }, { snsClient }, { sqsClient }] = await Promise.all([
    import("../clients/dynamodb"),
    import("../clients/sns"),
    import("../clients/sqs"),
  ]);
  // A call outside a wrapped invocation is one no role is known for: the check fails on it.
  const record = recorder(directory, () => invoking.getStore() ?? "unattributed");
  dynamoDbClient.middlewareStack.add(record, MIDDLEWARE);
  snsClient.middlewareStack.add(record, MIDDLEWARE);
  sqsClient.middlewareStack.add(record, MIDDLEWARE);
}

/**
 * Records the local event source's calls (receive, delete, change visibility) as the consumer's: on AWS
 * the SQS event source mapping polls with the consumer function's role.
 */
export function recordAsEventSource(client: SQSClient): void {
  const directory = localEnv.awsCallLogDir;
  if (directory !== undefined)
    client.middlewareStack.add(
      recorder(directory, () => "consumer"),
      MIDDLEWARE,
    );
}

/** `handler`, whose AWS calls are recorded as `fn`'s when AWS_CALL_LOG_DIR is set. */
export function asFunction<E, C, R>(
  fn: LocalFunction,
  handler: (event: E, context: C) => Promise<R>,
): (event: E, context: C) => Promise<R> {
  const directory = localEnv.awsCallLogDir;
  if (directory === undefined) return handler;
  return async (event, context) => {
    installed ??= install(directory);
    await installed;
    return invoking.run(fn, () => handler(event, context));
  };
}
