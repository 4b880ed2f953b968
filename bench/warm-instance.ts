/**
 * One execution environment of a function, as Lambda runs it: bundles loaded once, then invoked one at a
 * time, never two at once. It holds the bundle of the function's bare SDK calls and one or more builds of
 * its handler; asked over IPC for `invocations` of one of them, it builds their inputs (what Lambda or
 * the client would hand over) before any clock starts, runs them one after the other, and answers with
 * each one's elapsed time and the CPU time this process spent on it, in milliseconds. The handlers log
 * to stdout, as in Lambda.
 *
 * Built by bench/warm.ts into one ES module and run by plain node:
 *   node warm-instance.mjs <api|consumer> <batch size> <bare bundle> <handler bundle>...
 */
import { randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";
import type { Context } from "aws-lambda";
import { contractVersion } from "../generated/validators/contract";
import { type PurchaseMessage, type PurchaseRequest, toMessage } from "../src/purchases/purchase";
import { apiEvent, lambdaContext, sqsEvent, sqsRecord, validPurchase } from "../test/support/events";

/** Subject 0 is the bare calls, 1 and on the handler bundles in the order given. */
export interface WarmRequest {
  subject: number;
  invocations: number;
}

export interface WarmResult {
  ms: number[];
  cpuMs: number[];
}

type Invocation = () => Promise<void>;
type Handler = (event: unknown, context: Context) => Promise<Record<string, unknown>>;

const [fn, batchText, bareFile, ...handlerFiles] = process.argv.slice(2);
const batch = Number(batchText);
const env = process.env;

interface Bare {
  publish(message: string, topicArn: string | undefined, schemaVersion: string): Promise<void>;
  item(message: PurchaseMessage, storedAt: Date): Record<string, unknown>;
  putAll(items: Record<string, unknown>[], tableName: string | undefined): Promise<void>;
}

let bare: Bare;
const handlers: Handler[] = [];

/** Lambda's context of one invocation; its deadline is far enough not to matter here. */
const context = () => lambdaContext(600_000);

const body = JSON.stringify(validPurchase());

function newMessage(): PurchaseMessage {
  return toMessage(validPurchase() as PurchaseRequest, randomUUID(), new Date().toISOString());
}

function apiInvocation(subject: number): Invocation {
  const handler = handlers[subject - 1];
  if (handler === undefined) {
    const message = JSON.stringify(newMessage());
    return () => bare.publish(message, env.PURCHASES_TOPIC_ARN, contractVersion);
  }
  const event = apiEvent({
    method: "POST",
    path: "/purchases",
    headers: { "content-type": "application/json" },
    body,
  });
  const invocationContext = context();
  return async () => {
    const result = await handler(event, invocationContext);
    if (result.statusCode !== 202) throw new Error(`the API answered ${result.statusCode}: ${result.body}`);
  };
}

function consumerInvocation(subject: number): Invocation {
  const messages = Array.from({ length: batch }, newMessage);
  const handler = handlers[subject - 1];
  if (handler === undefined) {
    const items = messages.map((message) => bare.item(message, new Date()));
    return () => bare.putAll(items, env.PURCHASES_TABLE_NAME);
  }
  const event = sqsEvent(messages.map((message) => sqsRecord(JSON.stringify(message))));
  const invocationContext = context();
  return async () => {
    const result = await handler(event, invocationContext);
    if ((result.batchItemFailures as unknown[]).length > 0) throw new Error("the consumer reported failures");
  };
}

const prepare = fn === "api" ? apiInvocation : consumerInvocation;

async function run({ subject, invocations }: WarmRequest): Promise<WarmResult> {
  const prepared = Array.from({ length: invocations }, () => prepare(subject));
  const ms: number[] = [];
  const cpuMs: number[] = [];
  for (const invoke of prepared) {
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    await invoke();
    ms.push(Number(process.hrtime.bigint() - started) / 1e6);
    const { user, system } = process.cpuUsage(cpu);
    cpuMs.push((user + system) / 1000);
  }
  return { ms, cpuMs };
}

function fail(error: unknown): never {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const load = (file: string | undefined) => import(pathToFileURL(file ?? "").href);
  bare = await load(bareFile);
  for (const file of handlerFiles) handlers.push((await load(file)).handler);
  process.on("message", (message) => {
    run(message as WarmRequest).then((result) => process.send?.(result), fail);
  });
  process.send?.({ ready: true });
}

main().catch(fail);
