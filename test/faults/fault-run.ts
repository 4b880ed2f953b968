/**
 * One run of the local system under faults, as a client and an operator would see it:
 * purchases through the API (a child process whose AWS endpoint is a proxy taken down for a window of
 * requests), contract-breaking messages and exact redeliveries published straight to the topic, the
 * consumer (a child process whose DynamoDB endpoint is a proxy that throttles a share of writes) killed
 * in the middle of a batch and started again. It returns what was observed; the test judges it.
 */
import { randomUUID } from "node:crypto";
import { DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import {
  GetQueueAttributesCommand,
  type Message,
  type QueueAttributeName,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { contractVersion } from "../../generated/validators/contract";
import { FAILURE_REASON_ATTRIBUTE, SOURCE_MESSAGE_ID_ATTRIBUTE } from "../../src/consumer/dead-letter";
import { CONSUMER_LOG } from "../../src/consumer/log-messages";
import type { LocalProcess } from "../../src/local/processes";
import type { LocalStack } from "../../src/local/stack";
import { startApi, startConsumer, startLocalAws } from "../../src/local/system";
import { type PurchaseRequest, toMessage } from "../../src/purchases/purchase";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy";

export interface FaultRunOptions {
  purchases: number;
  /** Client requests in flight at once. */
  concurrency: number;
  /** Share of contract-breaking messages published straight to the topic, per purchase sent. */
  contractBreakingShare: number;
  /** Share of accepted purchases whose exact message is published a second time. */
  duplicateShare: number;
  /** Share of the consumer's DynamoDB writes answered with ProvisionedThroughputExceededException. */
  throttleShare: number;
  /** The API's endpoint is down from this request (0-based index) on, for `outageRequests` requests. */
  outageFrom: number;
  outageRequests: number;
  /** The client holds back while more messages than this wait in the queue. */
  maxBacklog: number;
  /** The consumer is killed in its first batch after it has stored this many purchases, */
  killAfterStored: number;
  /** this long after it received the batch. */
  killDelayMs: number;
  /** Visibility timeout of the consumer's receives: how soon an unfinished message comes back. */
  retryAfterSeconds: number;
  /** How long the queue may take to drain once the client is done. */
  drainTimeoutMs: number;
  seed: number;
}

/** One HTTP exchange of the client. */
export interface Attempt {
  /** The HTTP status, or 0 when no answer came back at all. */
  status: number;
  retryAfter: string | undefined;
  problemType: string | undefined;
  purchaseId: string | undefined;
  replayed: string | undefined;
  startedAt: number;
  endedAt: number;
}

export interface ClientPurchase {
  index: number;
  key: string;
  request: PurchaseRequest;
  attempts: Attempt[];
  /** The purchase of the final 2xx answer. */
  accepted?: { purchaseId: string; receivedAt: string };
}

export interface BreakingMessage {
  kind: string;
  /** The field the DLQ's reason must name. */
  field: string;
  body: string;
  schemaVersion: string;
}

export interface Redelivery {
  purchaseId: string;
  storedAtBefore: string;
}

export interface ConsumerEvent {
  generation: number;
  message: string;
  messageId?: string;
  purchaseId?: string;
  messageIds?: string[];
  failedMessageIds?: string[];
  /** Purchases a batch stored (CONSUMER_LOG.batchIngested). */
  purchaseIds?: string[];
  stored?: number;
  durationMs?: number;
  reason?: string;
}

export interface Kill {
  generation: number;
  storedBefore: number;
  /** Messages received and not deleted, right after the kill (ApproximateNumberOfMessagesNotVisible). */
  inFlightAfter: number;
  /** The batch the killed consumer had received and not finished. */
  openBatch: string[];
}

export interface DeadLetter {
  messageId: string | undefined;
  /** Receives of the message, the reading of the DLQ included. */
  receiveCount: number;
  body: string;
  reason: string | undefined;
  sourceMessageId: string | undefined;
  attributes: Record<string, string>;
}

export interface Window {
  from: number;
  to: number;
}

export interface FaultRunResult {
  options: FaultRunOptions;
  purchases: ClientPurchase[];
  breaking: BreakingMessage[];
  redeliveries: Redelivery[];
  consumerEvents: ConsumerEvent[];
  kills: Kill[];
  outage: Window;
  throttling: FaultProxy["stats"];
  apiProxy: FaultProxy["stats"];
  items: Record<string, unknown>[];
  deadLetters: DeadLetter[];
  queueLeft: number;
  consumerExitOnSigterm: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  phases: Record<string, number>;
  /** Every few seconds: purchases answered, purchases stored, messages waiting, messages in flight. */
  timeline: { at: number; answered: number; stored: number; waiting: number; inFlight: number }[];
  /** What the consumer processes wrote to stderr besides their logs (the event source's errors). */
  consumerStderr: string[];
}

/** Everything a run starts, stopped in reverse order by close(), whatever happened in between. */
export class RunResources {
  private readonly closers: { name: string; close: () => Promise<unknown> }[] = [];
  private closed = false;

  /** Registers what stops a resource; one started after close() is stopped at once. */
  add(name: string, close: () => Promise<unknown>): void {
    if (this.closed) void close().catch(() => undefined);
    else this.closers.push({ name, close });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async close(): Promise<string[]> {
    this.closed = true;
    const problems: string[] = [];
    for (const { name, close } of this.closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        problems.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return problems;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A seeded generator (xorshift32), so that a run's purchases can be produced again. */
function generator(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

/** Client purchase identities: buyer ids no other message of the run uses, one per purchase. */
const BUYER_BASE = 1_000_000;
const BREAKING_BUYER_BASE = 9_000_000;

function makePurchases(count: number, seed: number): ClientPurchase[] {
  const random = generator(seed);
  const pick = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const today = Date.now();
  return Array.from({ length: count }, (_, index) => ({
    index,
    key: `fault-run-${seed}-${index}`,
    request: {
      buyer_id: BUYER_BASE + index,
      product_id: pick(1, 5_000),
      number_of_installments: pick(1, 24),
      // Integer cents divided by 100 print with at most two places: exactly what a client sends.
      // From 0.24, a cent for each of up to 24 installments (the least installment the API accepts).
      total_amount: pick(24, 2_000_000) / 100,
      purchase_date: new Date(today - pick(0, 60) * 86_400_000).toISOString().slice(0, 10),
    },
    attempts: [],
  }));
}

/** The contract breakages the consumer's guard must catch, each naming the field it breaks. */
function breakingMessage(k: number): BreakingMessage {
  const valid = {
    purchase_id: randomUUID(),
    buyer_id: BREAKING_BUYER_BASE + k,
    product_id: 1,
    number_of_installments: 1,
    total_amount: 10,
    purchase_date: new Date().toISOString().slice(0, 10),
    received_at: new Date().toISOString(),
  };
  const json = (body: object, kind: string, field: string): BreakingMessage => ({
    kind,
    field,
    body: JSON.stringify(body),
    schemaVersion: contractVersion,
  });
  const { buyer_id: _missing, ...withoutBuyer } = valid;
  const kinds: (() => BreakingMessage)[] = [
    () => json(withoutBuyer, "missing field", "buyer_id"),
    () => json({ ...valid, purchase_id: `not-a-uuid-${k}` }, "bad uuid", "purchase_id"),
    () => json({ ...valid, total_amount: -12.5 }, "negative amount", "total_amount"),
    () => json({ ...valid, total_amount: 12.345 }, "three decimal places", "total_amount"),
    () => json({ ...valid, number_of_installments: 25 }, "25 installments", "number_of_installments"),
    () => ({
      kind: "not JSON",
      field: "body",
      body: JSON.stringify(valid).slice(0, 60),
      schemaVersion: contractVersion,
    }),
    () => ({
      ...json(valid, "unsupported contract version", "schema_version"),
      schemaVersion: `${Number(contractVersion.split(".")[0]) + 1}.0.0`,
    }),
  ];
  const make = kinds[k % kinds.length];
  if (!make) throw new Error("no breakage kinds");
  return make();
}

function parseConsumerLine(line: string, generation: number): ConsumerEvent | undefined {
  if (!line.startsWith("{")) return undefined;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof parsed.message !== "string") return undefined;
  const text = (name: string) => (typeof parsed[name] === "string" ? (parsed[name] as string) : undefined);
  const count = (name: string) => (typeof parsed[name] === "number" ? (parsed[name] as number) : undefined);
  const list = (name: string) => (Array.isArray(parsed[name]) ? (parsed[name] as string[]) : undefined);
  return {
    generation,
    message: parsed.message,
    messageId: text("message_id"),
    purchaseId: text("purchase_id"),
    messageIds: list("message_ids"),
    failedMessageIds: list("failed_message_ids"),
    purchaseIds: list("purchase_ids"),
    stored: count("stored"),
    durationMs: count("duration_ms"),
    reason: text("reason"),
  };
}

export async function runFaults(options: FaultRunOptions, resources: RunResources): Promise<FaultRunResult> {
  const clock = phaseClock();
  const system = await startFaultySystem(options, resources);
  const consumer = new KillingConsumer(system, options, resources);
  await consumer.start();
  clock.mark("started");

  const purchases = makePurchases(options.purchases, options.seed);
  const redeliveries = startRedeliveries(system, options, resources);
  const timeline = startTimeline(system, purchases, consumer, clock.started, resources);

  system.dynamoProxy.throttleWrites(options.throttleShare);
  const { breaking, outage } = await sendFirstAttempts(system, purchases, options, timeline, redeliveries);
  clock.mark("client first attempts done");
  await retryUntilAccepted(system.apiUrl, purchases, options, redeliveries);
  const published = redeliveries.finish();
  clock.mark("client retries done");
  await published;
  clock.mark("redeliveries published");
  // Whatever kill was to happen has happened by now; the queue drains with the consumer that runs.
  await consumer.stopKilling();

  const queueLeft = await waitUntilDrained(system, options);
  clock.mark("queue drained");
  await timeline.stop();
  const consumerExitOnSigterm = await consumer.stop();
  system.dynamoProxy.throttleWrites(0);
  const items = await scanTable(system);
  const deadLetters = await readAll(system.sqs, system.stack.dlqUrl);
  clock.mark("ledger read");

  return {
    options,
    purchases,
    breaking,
    redeliveries: redeliveries.published,
    consumerEvents: consumer.events,
    kills: consumer.kills,
    outage,
    throttling: { ...system.dynamoProxy.stats },
    apiProxy: { ...system.apiProxy.stats },
    items,
    deadLetters,
    queueLeft,
    consumerExitOnSigterm,
    phases: clock.phases,
    timeline: timeline.samples,
    consumerStderr: consumer.stderr,
  };
}

/** Milliseconds from the start of the run to the end of each phase. */
function phaseClock() {
  const started = Date.now();
  const phases: Record<string, number> = {};
  return {
    started,
    phases,
    mark: (phase: string) => {
      phases[phase] = Date.now() - started;
    },
  };
}

/** The local system with a fault proxy between each function and AWS, and the test's own clients. */
interface FaultySystem {
  stack: LocalStack;
  /** The emulator's own endpoint, which the test's clients and the consumer's SQS client reach. */
  endpoint: string;
  /** Between the consumer and DynamoDB: throttles a share of writes. */
  dynamoProxy: FaultProxy;
  /** Between the API and every AWS service: taken down for a window of requests. */
  apiProxy: FaultProxy;
  apiUrl: string;
  sns: SNSClient;
  sqs: SQSClient;
  dynamodb: DynamoDBDocumentClient;
}

async function startFaultySystem(options: FaultRunOptions, resources: RunResources): Promise<FaultySystem> {
  const { emulator, stack } = await startLocalAws(0);
  resources.add("emulator", () => emulator.stop());
  const dynamoProxy = await startFaultProxy(emulator.endpoint, options.seed);
  resources.add("DynamoDB fault proxy", () => dynamoProxy.close());
  const apiProxy = await startFaultProxy(emulator.endpoint, options.seed + 1);
  resources.add("API fault proxy", () => apiProxy.close());

  // The test's own clients talk to the emulator directly, never through a proxy.
  const direct = {
    endpoint: emulator.endpoint,
    region: stack.region,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  } satisfies DynamoDBClientConfig;
  const sns = new SNSClient(direct);
  const sqs = new SQSClient(direct);
  const dynamodb = DynamoDBDocumentClient.from(new DynamoDBClient(direct));
  resources.add("SDK clients", async () => {
    for (const client of [sns, sqs, dynamodb]) client.destroy();
  });

  // The API reaches every AWS service through the proxy that goes down.
  const api = await startApi(stack, {
    endpoint: apiProxy.endpoint,
    port: 0,
    env: { POWERTOOLS_LOG_LEVEL: "ERROR" },
  });
  resources.add("API process", () => api.stop());
  return { stack, endpoint: emulator.endpoint, dynamoProxy, apiProxy, apiUrl: api.ready, sns, sqs, dynamodb };
}

async function queueCounts(system: FaultySystem) {
  const names: QueueAttributeName[] = [
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
  ];
  const output = await system.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: system.stack.queueUrl, AttributeNames: names }),
  );
  const count = (name: QueueAttributeName) => Number(output.Attributes?.[name] ?? "0");
  return {
    visible: count("ApproximateNumberOfMessages"),
    inFlight: count("ApproximateNumberOfMessagesNotVisible"),
    delayed: count("ApproximateNumberOfMessagesDelayed"),
  };
}

/**
 * The consumer, killed in the middle of a batch once it has stored `killAfterStored` purchases and
 * started again, each process a generation; what each wrote is kept as ConsumerEvents.
 */
class KillingConsumer {
  readonly events: ConsumerEvent[] = [];
  readonly stderr: string[] = [];
  readonly kills: Kill[] = [];
  /** Purchases stored, by the consumers' own account. */
  storedCount = 0;
  private generation = 0;
  private current: LocalProcess | undefined;
  private currentGeneration = 0;
  private killArmed = true;
  /** Cleared once the client is done: a later kill would race the drain. */
  private killsAllowed = true;
  private killAt: number;
  private restarting: Promise<void> = Promise.resolve();

  constructor(
    private readonly system: FaultySystem,
    private readonly options: FaultRunOptions,
    private readonly resources: RunResources,
  ) {
    this.killAt = options.killAfterStored;
  }

  async start(): Promise<void> {
    this.generation += 1;
    const mine = this.generation;
    let openBatch: string[] = [];
    let batches = 0;
    // The consumer reaches SQS directly and DynamoDB, by the SDK's service-specific endpoint variable,
    // through the proxy that throttles.
    const child = await startConsumer(this.system.stack, {
      endpoint: this.system.endpoint,
      retryAfterSeconds: this.options.retryAfterSeconds,
      env: {
        AWS_ENDPOINT_URL_DYNAMODB: this.system.dynamoProxy.endpoint,
        // DEBUG: the handler names each record it found already stored.
        POWERTOOLS_LOG_LEVEL: "DEBUG",
      },
      // WARN logs (dead-lettered, not ingested) and the event source's errors.
      onStderrLine: (line) => {
        const event = parseConsumerLine(line, mine);
        if (event) this.events.push(event);
        else this.stderr.push(`[${mine}] ${line}`);
      },
      onLine: (line) => {
        const event = parseConsumerLine(line, mine);
        if (!event) return;
        this.events.push(event);
        if (event.message === CONSUMER_LOG.batchIngested) this.storedCount += event.stored ?? 0;
        if (event.message === CONSUMER_LOG.batchHandled) openBatch = [];
        if (event.message !== CONSUMER_LOG.batchReceived) return;
        openBatch = event.messageIds ?? [];
        batches += 1;
        const batch = batches;
        if (!this.killArmed || this.currentGeneration !== mine || this.storedCount < this.killAt) return;
        // The handler stores the records of a batch in parallel; a moment after it received the batch,
        // some are stored and the batch has not returned, so none of it has been deleted yet.
        this.killArmed = false;
        setTimeout(() => {
          if (!this.killsAllowed || this.resources.isClosed) return;
          if (batches === batch && openBatch.length > 0) {
            this.restarting = this.killAndRestart(mine);
            // Awaited later; a failure is reported there, not as an unhandled rejection now.
            this.restarting.catch(() => undefined);
          } else {
            this.killArmed = true;
          }
        }, this.options.killDelayMs);
      },
    });
    this.current = child;
    this.currentGeneration = mine;
    this.resources.add(`consumer process ${mine}`, () => child.stop());
  }

  /** No more kills; resolves once a kill under way has started the next consumer. */
  async stopKilling(): Promise<void> {
    this.killsAllowed = false;
    this.killArmed = false;
    await this.restarting;
  }

  /** SIGTERM to the consumer that runs; resolves with how it exited, once its output is read. */
  async stop(): Promise<FaultRunResult["consumerExitOnSigterm"]> {
    const consumer = this.current;
    if (!consumer) return undefined;
    const exit = await consumer.stop();
    await consumer.outputClosed;
    return exit;
  }

  private async killAndRestart(killedGeneration: number): Promise<void> {
    const killed = this.current;
    if (!killed) return;
    const storedBefore = this.storedCount;
    void killed.kill();
    await killed.exited;
    const { inFlight } = await queueCounts(this.system);
    await killed.outputClosed;
    let openBatch: string[] = [];
    for (const event of this.events) {
      if (event.generation !== killedGeneration) continue;
      if (event.message === CONSUMER_LOG.batchReceived) openBatch = event.messageIds ?? [];
      if (event.message === CONSUMER_LOG.batchHandled) openBatch = [];
    }
    const kill: Kill = { generation: killedGeneration, storedBefore, inFlightAfter: inFlight, openBatch };
    this.kills.push(kill);
    if (this.resources.isClosed) return;
    await this.start();
    // The kill must have landed after some of the batch was stored: once the batch has come back and
    // been handled, a consumer must have found part of it already stored. If not, kill another batch.
    void (async () => {
      while (this.killsAllowed && !this.resources.isClosed && !this.finishedLater(kill)) await sleep(500);
      if (this.killsAllowed && !this.storedBeforeTheKill(kill) && this.kills.length < 3) {
        this.killAt = this.storedCount + 100;
        this.killArmed = true;
      }
    })();
  }

  /** Whether a later consumer found a message of the killed batch already stored. */
  private storedBeforeTheKill(kill: Kill): boolean {
    return this.events.some(
      (event) =>
        event.generation > kill.generation &&
        event.message === CONSUMER_LOG.duplicate &&
        kill.openBatch.includes(event.messageId ?? ""),
    );
  }

  /** Whether later consumers have finished every message of the killed batch. */
  private finishedLater(kill: Kill): boolean {
    const finished = new Set<string>();
    for (const event of this.events) {
      if (event.generation <= kill.generation || event.message !== CONSUMER_LOG.batchHandled) continue;
      const failed = new Set(event.failedMessageIds ?? []);
      for (const id of event.messageIds ?? []) if (!failed.has(id)) finished.add(id);
    }
    return kill.openBatch.every((id) => finished.has(id));
  }
}

/**
 * Exact redeliveries: once a purchase is stored, its message as the API published it goes to the topic
 * a second time, as SNS's at-least-once delivery may do.
 */
function startRedeliveries(system: FaultySystem, options: FaultRunOptions, resources: RunResources) {
  const queue: ClientPurchase[] = [];
  const published: Redelivery[] = [];
  let clientDone = false;
  const storedAt = async (purchaseId: string): Promise<string | undefined> => {
    const deadline = Date.now() + options.drainTimeoutMs;
    while (Date.now() < deadline && !resources.isClosed) {
      const output = await system.dynamodb.send(
        new GetCommand({
          TableName: system.stack.names.purchasesTable,
          Key: { purchase_id: purchaseId },
          ConsistentRead: true,
        }),
      );
      const value = output.Item?.stored_at;
      if (typeof value === "string") return value;
      await sleep(250);
    }
    return undefined;
  };
  const running = (async () => {
    while ((!clientDone || queue.length > 0) && !resources.isClosed) {
      const purchase = queue.shift();
      if (!purchase?.accepted) {
        await sleep(100);
        continue;
      }
      const { purchaseId, receivedAt } = purchase.accepted;
      const storedAtBefore = await storedAt(purchaseId);
      if (storedAtBefore === undefined) throw new Error(`purchase ${purchaseId} was never stored`);
      await system.sns.send(
        new PublishCommand({
          TopicArn: system.stack.purchasesTopicArn,
          Message: JSON.stringify(toMessage(purchase.request, purchaseId, receivedAt)),
          MessageAttributes: {
            [system.stack.settings.schemaVersionAttribute]: {
              DataType: "String",
              StringValue: contractVersion,
            },
          },
        }),
      );
      published.push({ purchaseId, storedAtBefore });
    }
  })();
  // Awaited once the client is done; a failure before then is reported there, not as an unhandled rejection.
  running.catch(() => undefined);
  return {
    published,
    /** Publishes the purchase's message again once it is stored. */
    add: (purchase: ClientPurchase) => queue.push(purchase),
    /** The client will add no more: resolves once every redelivery added is published. */
    finish: (): Promise<void> => {
      clientDone = true;
      return running;
    },
  };
}

type Redeliveries = ReturnType<typeof startRedeliveries>;

/**
 * Samples the queue every second, for the client's backlog limit, and every five seconds for the
 * timeline: purchases answered, purchases stored, messages waiting, messages in flight.
 */
function startTimeline(
  system: FaultySystem,
  purchases: ClientPurchase[],
  consumer: KillingConsumer,
  started: number,
  resources: RunResources,
) {
  const samples: FaultRunResult["timeline"] = [];
  const state = { waiting: 0, sampling: true };
  const sampler = (async () => {
    for (let tick = 0; state.sampling; tick += 1) {
      const counts = await queueCounts(system);
      state.waiting = counts.visible;
      if (tick % 5 === 0) {
        samples.push({
          at: Date.now() - started,
          answered: purchases.filter((purchase) => purchase.attempts.length > 0).length,
          stored: consumer.storedCount,
          waiting: counts.visible,
          inFlight: counts.inFlight,
        });
      }
      await sleep(1_000);
    }
  })();
  resources.add("timeline sampler", async () => {
    state.sampling = false;
    await sampler.catch(() => undefined);
  });
  return {
    samples,
    /** Messages waiting in the queue at the last sample. */
    get waiting() {
      return state.waiting;
    },
    stop: async () => {
      state.sampling = false;
      await sampler;
    },
  };
}

/** One POST of the purchase with its Idempotency-Key; a request with no answer is an attempt of status 0. */
async function sendPurchase(apiUrl: string, purchase: ClientPurchase): Promise<Attempt> {
  const startedAt = Date.now();
  let attempt: Attempt = {
    status: 0,
    retryAfter: undefined,
    problemType: undefined,
    purchaseId: undefined,
    replayed: undefined,
    startedAt,
    endedAt: startedAt,
  };
  try {
    const response = await fetch(`${apiUrl}/purchases`, {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": purchase.key },
      body: JSON.stringify(purchase.request),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    attempt = {
      status: response.status,
      retryAfter: response.headers.get("retry-after") ?? undefined,
      problemType: typeof body.type === "string" ? body.type : undefined,
      purchaseId: typeof body.purchase_id === "string" ? body.purchase_id : undefined,
      replayed: response.headers.get("idempotent-replayed") ?? undefined,
      startedAt,
      endedAt: Date.now(),
    };
    if (response.status >= 200 && response.status < 300 && attempt.purchaseId) {
      purchase.accepted = { purchaseId: attempt.purchaseId, receivedAt: String(body.received_at) };
    }
  } catch {
    attempt.endedAt = Date.now();
  }
  purchase.attempts.push(attempt);
  return attempt;
}

/** Whether the purchase's message is one the run publishes a second time (about duplicateShare of them). */
function isRedelivered(purchase: ClientPurchase, options: FaultRunOptions): boolean {
  const duplicateEvery = Math.max(1, Math.round(1 / options.duplicateShare));
  return purchase.accepted !== undefined && purchase.index % duplicateEvery === 3;
}

/**
 * Every purchase sent once, `concurrency` at a time, with the API's AWS endpoint down for a window of
 * requests and contract-breaking messages published straight to the topic in between.
 * moto's SQS scans the whole queue on every receive and publish (about 1 s to receive and delete ten
 * messages with 2,000 waiting), so a backlog would measure the emulator rather than the service: the
 * client holds back while more than maxBacklog messages wait, and the consumer keeps draining meanwhile.
 */
async function sendFirstAttempts(
  system: FaultySystem,
  purchases: ClientPurchase[],
  options: FaultRunOptions,
  timeline: { readonly waiting: number },
  redeliveries: Redeliveries,
): Promise<{ breaking: BreakingMessage[]; outage: Window }> {
  const breakingEvery = Math.max(1, Math.round(1 / options.contractBreakingShare));
  const breaking: BreakingMessage[] = [];
  const outage: Window = { from: 0, to: 0 };
  let next = 0;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      for (let index = next++; index < purchases.length; index = next++) {
        if (index === options.outageFrom) {
          system.apiProxy.down();
          outage.from = Date.now();
        }
        if (index === options.outageFrom + options.outageRequests) {
          system.apiProxy.up();
          outage.to = Date.now();
        }
        if (index % breakingEvery === Math.floor(breakingEvery / 2)) {
          const message = breakingMessage(breaking.length);
          await publishBreaking(system, message);
          breaking.push(message);
        }
        const purchase = purchases[index];
        if (!purchase) continue;
        while (timeline.waiting > options.maxBacklog) await sleep(200);
        await sendPurchase(system.apiUrl, purchase);
        if (isRedelivered(purchase, options)) redeliveries.add(purchase);
      }
    }),
  );
  if (outage.to === 0) {
    system.apiProxy.up();
    outage.to = Date.now();
  }
  return { breaking, outage };
}

async function publishBreaking(system: FaultySystem, message: BreakingMessage): Promise<void> {
  await system.sns.send(
    new PublishCommand({
      TopicArn: system.stack.purchasesTopicArn,
      Message: message.body,
      MessageAttributes: {
        [system.stack.settings.schemaVersionAttribute]: {
          DataType: "String",
          StringValue: message.schemaVersion,
        },
      },
    }),
  );
}

/**
 * Every purchase that got no 2xx is retried with its Idempotency-Key once the fault has cleared,
 * waiting as long as each answer's Retry-After says.
 */
async function retryUntilAccepted(
  apiUrl: string,
  purchases: ClientPurchase[],
  options: FaultRunOptions,
  redeliveries: Redeliveries,
): Promise<void> {
  const failed = purchases.filter((purchase) => !purchase.accepted);
  let next = 0;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      for (let index = next++; index < failed.length; index = next++) {
        const purchase = failed[index];
        if (!purchase) continue;
        for (let attempt = 0; attempt < 10 && !purchase.accepted; attempt += 1) {
          const last = purchase.attempts.at(-1);
          const waitMs = Number(last?.retryAfter ?? "1") * 1000 - (Date.now() - (last?.endedAt ?? 0));
          if (waitMs > 0) await sleep(waitMs);
          await sendPurchase(apiUrl, purchase);
        }
        if (isRedelivered(purchase, options)) redeliveries.add(purchase);
      }
    }),
  );
}

/**
 * Drained: nothing visible and nothing in flight, twice, further apart than a visibility timeout, so
 * that a message whose consumer died would have come back in between. Returns what is left.
 */
async function waitUntilDrained(system: FaultySystem, options: FaultRunOptions): Promise<number> {
  const deadline = Date.now() + options.drainTimeoutMs;
  let emptyTwice = 0;
  let queueLeft = Number.NaN;
  while (Date.now() < deadline) {
    const counts = await queueCounts(system);
    queueLeft = counts.visible + counts.inFlight + counts.delayed;
    emptyTwice = queueLeft === 0 ? emptyTwice + 1 : 0;
    if (emptyTwice >= 2) break;
    await sleep(queueLeft === 0 ? options.retryAfterSeconds * 1000 + 500 : 1000);
  }
  return queueLeft;
}

/** Every item of the purchases table. */
async function scanTable(system: FaultySystem): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await system.dynamodb.send(
      new ScanCommand({
        TableName: system.stack.names.purchasesTable,
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** Every message of a queue, each received once (it stays invisible for the rest of the run). */
async function readAll(sqs: SQSClient, queueUrl: string): Promise<DeadLetter[]> {
  const messages: Message[] = [];
  for (let emptyReceives = 0; emptyReceives < 2; ) {
    const output = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 600,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["ApproximateReceiveCount"],
      }),
    );
    const received = output.Messages ?? [];
    emptyReceives = received.length === 0 ? emptyReceives + 1 : 0;
    messages.push(...received);
  }
  return messages.map((message) => {
    const attributes: Record<string, string> = {};
    for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
      if (value.StringValue !== undefined) attributes[name] = value.StringValue;
    }
    return {
      messageId: message.MessageId,
      receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? "0"),
      body: message.Body ?? "",
      reason: attributes[FAILURE_REASON_ATTRIBUTE],
      sourceMessageId: attributes[SOURCE_MESSAGE_ID_ATTRIBUTE],
      attributes,
    };
  });
}
