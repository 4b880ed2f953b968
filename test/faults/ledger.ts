/**
 * The ledger of a fault run: what the client was told, set against what the table and the dead-letter
 * queue hold, and what each fault did. Every figure is counted from observations; none is expected here.
 */
import { CONSUMER_LOG } from "../../src/consumer/log-messages";
import type { ConsumerEvent, FaultRunResult } from "./fault-run";

const SERVICE_UNAVAILABLE = "/problems/service-unavailable";
const KEY_IN_PROGRESS = "/problems/idempotency-key-in-progress";

export interface Ledger {
  client: {
    purchasesSent: number;
    firstAttempt2xx: number;
    firstAttempt503WithRetryAfter: number;
    /** Non-2xx first answers that were not a 503 with Retry-After: must be none. */
    firstAttemptOther: string[];
    failedFirst: number;
    retryAttempts: number;
    retried409InProgress: number;
    /** Non-2xx answers of retries that were neither a 503 nor a 409 in progress, both with Retry-After. */
    retryOther: string[];
    acceptedAfterRetry: number;
    neverAccepted: number;
    acceptedDistinctIds: number;
    /** Accepted purchases that share a purchase_id with another one. */
    idCollisions: number;
  };
  outage: {
    windowMs: number;
    refusedByProxy: number;
    answered503: number;
    /** 503s whose request did not overlap the outage: must be none. */
    answered503Outside: number;
  };
  throttling: {
    writesForwarded: number;
    writesThrottled: number;
    /** Records whose write failed after the SDK's own retries and that the queue delivered again. */
    recordsRedelivered: number;
    recordsRedeliveredThenStored: number;
  };
  redelivery: {
    published: number;
    recognizedAsStored: number;
    storedAtChanged: number;
  };
  kill: {
    kills: number;
    storedBeforeKill: number;
    inFlightAfterKill: number;
    openBatchSize: number;
    /** Messages of the killed batch that came back and were found already stored: stored before the kill. */
    openBatchFoundStored: number;
    /** Messages of any killed batch that no later consumer finished. */
    openBatchNeverFinished: number;
    deadLetteredInOpenBatch: number;
  };
  table: {
    items: number;
    lost: number;
    unknown: number;
    duplicates: number;
    altered: number;
    storedTwice: number;
    /** Stores the consumer reported in its batch summaries (a killed batch reports none). */
    reportedStored: number;
    /** Messages of the batches the consumer was killed in: the most it stored without reporting. */
    unreportedAtMost: number;
  };
  dlq: {
    breakingPublished: number;
    messages: number;
    distinctSources: number;
    matchedBreaking: number;
    missingBreaking: number;
    unexpected: number;
    reasonNamesField: number;
    copiesFromKill: number;
    byKind: Record<string, number>;
  };
  queueLeft: number;
  consumerExitCodeOnSigterm: number | null | undefined;
}

const is2xx = (status: number) => status >= 200 && status < 300;

function describeAttempt(attempt: { status: number; retryAfter?: string; problemType?: string }): string {
  return `${attempt.status} ${attempt.problemType ?? "-"} retry-after=${attempt.retryAfter ?? "-"}`;
}

export function ledgerOf(run: FaultRunResult): Ledger {
  const { purchases, items, deadLetters, consumerEvents, kills, outage } = run;

  const first = purchases.map((purchase) => purchase.attempts[0]);
  const firstOk = first.filter((attempt) => attempt && is2xx(attempt.status));
  const first503 = first.filter(
    (attempt) =>
      attempt?.status === 503 &&
      attempt.retryAfter !== undefined &&
      attempt.problemType === SERVICE_UNAVAILABLE,
  );
  const firstOther = first.filter(
    (attempt) => !attempt || (!is2xx(attempt.status) && !first503.includes(attempt)),
  );
  const failedFirst = purchases.filter((purchase) => !is2xx(purchase.attempts[0]?.status ?? 0));
  const retries = failedFirst.flatMap((purchase) => purchase.attempts.slice(1));
  const retryNon2xx = retries.filter((attempt) => !is2xx(attempt.status));
  const retryInProgress = retryNon2xx.filter(
    (attempt) => attempt.status === 409 && attempt.problemType === KEY_IN_PROGRESS && attempt.retryAfter,
  );
  const retry503 = retryNon2xx.filter(
    (attempt) => attempt.status === 503 && attempt.problemType === SERVICE_UNAVAILABLE && attempt.retryAfter,
  );
  const retryOther = retryNon2xx.filter(
    (attempt) => !retryInProgress.includes(attempt) && !retry503.includes(attempt),
  );
  const accepted = purchases.filter((purchase) => purchase.accepted);
  const acceptedIds = new Map(accepted.map((purchase) => [purchase.accepted?.purchaseId ?? "", purchase]));

  const all503 = purchases
    .flatMap((purchase) => purchase.attempts)
    .filter((attempt) => attempt.status === 503);
  const outside = all503.filter((attempt) => attempt.startedAt > outage.to || attempt.endedAt < outage.from);

  const byMessage = (message: string) => consumerEvents.filter((event) => event.message === message);
  const duplicates = byMessage(CONSUMER_LOG.duplicate);
  const failedRecords = byMessage(CONSUMER_LOG.failed);
  const deadLettered = byMessage(CONSUMER_LOG.deadLettered);
  /** Messages a batch finished: handled and not reported as failed (stored, already stored, dead-lettered). */
  const finishedIn = (events: ConsumerEvent[]) => {
    const finished = new Set<string>();
    for (const event of events) {
      if (event.message !== CONSUMER_LOG.batchHandled) continue;
      const failed = new Set(event.failedMessageIds ?? []);
      for (const id of event.messageIds ?? []) if (!failed.has(id)) finished.add(id);
    }
    return finished;
  };
  const finished = finishedIn(consumerEvents);

  const duplicatePurchaseIds = new Set(duplicates.map((event) => event.purchaseId));
  const itemsById = new Map(items.map((item) => [String(item.purchase_id), item]));
  const storedAtChanged = run.redeliveries.filter(
    (redelivery) => itemsById.get(redelivery.purchaseId)?.stored_at !== redelivery.storedAtBefore,
  );

  // The kill that landed in the middle of a batch (the last one: earlier ones were repeated for lack of it).
  const kill = kills.at(-1);
  const later = (generation: number) => consumerEvents.filter((event) => event.generation > generation);
  // A purchase found already stored may owe it to another message: an exact redelivery, or a publish
  // repeated by a retried request. Only purchases that had a single message count as evidence.
  const manyMessages = new Set([
    ...run.redeliveries.map((redelivery) => redelivery.purchaseId),
    ...purchases
      .filter((purchase) => purchase.attempts.length > 1)
      .map((purchase) => purchase.accepted?.purchaseId),
  ]);
  const foundStored = kill
    ? new Set(
        later(kill.generation)
          .filter(
            (event) =>
              event.message === CONSUMER_LOG.duplicate &&
              kill.openBatch.includes(event.messageId ?? "") &&
              !manyMessages.has(event.purchaseId),
          )
          .map((event) => event.messageId),
      )
    : new Set();
  const neverFinished = kills.flatMap((one) => {
    const finishedLater = finishedIn(later(one.generation));
    return one.openBatch.filter((id) => !finishedLater.has(id));
  });
  // A contract-breaking message the killed consumer had already forwarded comes back and is forwarded
  // again: the dead-letter queue then holds it twice, under the same source_message_id.
  const killedForwarded = kills.flatMap((one) =>
    deadLettered.filter(
      (event) =>
        event.generation === one.generation && event.messageId && one.openBatch.includes(event.messageId),
    ),
  );

  const byBuyer = new Map<number, number>();
  for (const item of items) byBuyer.set(Number(item.buyer_id), (byBuyer.get(Number(item.buyer_id)) ?? 0) + 1);
  const altered = items.filter((item) => {
    const purchase = acceptedIds.get(String(item.purchase_id));
    if (!purchase) return false;
    const sent = purchase.request;
    return (
      item.buyer_id !== sent.buyer_id ||
      item.product_id !== sent.product_id ||
      item.number_of_installments !== sent.number_of_installments ||
      item.total_amount !== sent.total_amount ||
      item.purchase_date !== sent.purchase_date
    );
  });
  const storedEventsPerPurchase = new Map<string, number>();
  for (const event of byMessage(CONSUMER_LOG.batchIngested)) {
    for (const id of event.purchaseIds ?? []) {
      storedEventsPerPurchase.set(id, (storedEventsPerPurchase.get(id) ?? 0) + 1);
    }
  }

  const breakingByBody = new Map(run.breaking.map((message) => [message.body, message]));
  const matched = deadLetters.filter((letter) => breakingByBody.has(letter.body));
  const matchedBodies = new Set(matched.map((letter) => letter.body));
  const byKind: Record<string, number> = {};
  for (const letter of matched) {
    const kind = breakingByBody.get(letter.body)?.kind ?? "?";
    byKind[kind] = (byKind[kind] ?? 0) + 1;
  }
  const namesField = matched.filter((letter) => {
    const field = breakingByBody.get(letter.body)?.field ?? "\u0000";
    return (letter.reason ?? "").split(";").some((part) => part.trim().startsWith(field));
  });

  return {
    client: {
      purchasesSent: purchases.length,
      firstAttempt2xx: firstOk.length,
      firstAttempt503WithRetryAfter: first503.length,
      firstAttemptOther: firstOther.map((attempt) => (attempt ? describeAttempt(attempt) : "none")),
      failedFirst: failedFirst.length,
      retryAttempts: retries.length,
      retried409InProgress: retryInProgress.length,
      retryOther: retryOther.map(describeAttempt),
      acceptedAfterRetry: failedFirst.filter((purchase) => purchase.accepted).length,
      neverAccepted: purchases.length - accepted.length,
      acceptedDistinctIds: acceptedIds.size,
      idCollisions: accepted.length - acceptedIds.size,
    },
    outage: {
      windowMs: outage.to - outage.from,
      refusedByProxy: run.apiProxy.refused,
      answered503: all503.length,
      answered503Outside: outside.length,
    },
    throttling: {
      writesForwarded: run.throttling.forwarded,
      writesThrottled: run.throttling.throttled,
      recordsRedelivered: failedRecords.length,
      recordsRedeliveredThenStored: failedRecords.filter((event) => finished.has(event.messageId ?? ""))
        .length,
    },
    redelivery: {
      published: run.redeliveries.length,
      recognizedAsStored: run.redeliveries.filter((redelivery) =>
        duplicatePurchaseIds.has(redelivery.purchaseId),
      ).length,
      storedAtChanged: storedAtChanged.length,
    },
    kill: {
      kills: kills.length,
      storedBeforeKill: kill?.storedBefore ?? 0,
      inFlightAfterKill: kill?.inFlightAfter ?? 0,
      openBatchSize: kill?.openBatch.length ?? 0,
      openBatchFoundStored: foundStored.size,
      openBatchNeverFinished: neverFinished.length,
      deadLetteredInOpenBatch: killedForwarded.length,
    },
    table: {
      items: items.length,
      lost: [...acceptedIds.keys()].filter((id) => !itemsById.has(id)).length,
      unknown: items.filter((item) => !acceptedIds.has(String(item.purchase_id))).length,
      duplicates: [...byBuyer.values()].filter((count) => count > 1).length,
      altered: altered.length,
      storedTwice: [...storedEventsPerPurchase.values()].filter((count) => count > 1).length,
      reportedStored: [...storedEventsPerPurchase.values()].reduce((sum, count) => sum + count, 0),
      unreportedAtMost: kills.reduce((sum, one) => sum + one.openBatch.length, 0),
    },
    dlq: {
      breakingPublished: run.breaking.length,
      messages: deadLetters.length,
      distinctSources: new Set(deadLetters.map((letter) => letter.sourceMessageId)).size,
      matchedBreaking: matchedBodies.size,
      missingBreaking: run.breaking.filter((message) => !matchedBodies.has(message.body)).length,
      unexpected: deadLetters.length - matched.length,
      reasonNamesField: namesField.length,
      copiesFromKill: killedForwarded.length,
      byKind,
    },
    queueLeft: run.queueLeft,
    consumerExitCodeOnSigterm: run.consumerExitOnSigterm?.code,
  };
}

export function formatLedger(ledger: Ledger, run: FaultRunResult): string {
  const { client, outage, throttling, redelivery, kill, table, dlq } = ledger;
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const phases = Object.entries(run.phases)
    .map(([phase, ms]) => `${phase} ${seconds(ms)}`)
    .join(", ");
  const rows: [string, string | number][] = [
    ["purchases sent through the API", client.purchasesSent],
    ["  2xx on the first attempt", client.firstAttempt2xx],
    ["  503 + Retry-After on the first attempt", client.firstAttempt503WithRetryAfter],
    ["  any other first answer", client.firstAttemptOther.length],
    ["  retries with the same Idempotency-Key", client.retryAttempts],
    ["    of which 409 in progress (+ Retry-After)", client.retried409InProgress],
    ["  accepted after a retry", `${client.acceptedAfterRetry} of ${client.failedFirst}`],
    ["  never accepted", client.neverAccepted],
    ["  valid, distinct purchases answered 2xx", client.acceptedDistinctIds],
    ["items in the table", table.items],
    ["  lost (2xx, not stored)", table.lost],
    ["  duplicates (one client purchase, two items)", table.duplicates],
    ["  unknown (stored, never answered 2xx)", table.unknown],
    ["  altered (fields differ from the request)", table.altered],
    ["  written twice (two 'stored' outcomes)", table.storedTwice],
    [
      "  stored by the consumer's own account",
      `${table.reportedStored} (+ at most ${table.unreportedAtMost} in killed batches)`,
    ],
    ["contract-breaking messages published to the topic", dlq.breakingPublished],
    ["DLQ messages", dlq.messages],
    ["  distinct sources (source_message_id)", dlq.distinctSources],
    ["  matching a breaking message", dlq.matchedBreaking],
    ["  with a reason naming the field", dlq.reasonNamesField],
    ["  copies forwarded again after the kill", dlq.copiesFromKill],
    ["  anything else (e.g. redriven valid purchases)", dlq.unexpected],
    ["  by kind", JSON.stringify(dlq.byKind)],
    ["exact redeliveries published to the topic", redelivery.published],
    ["  recognized as already stored", redelivery.recognizedAsStored],
    ["  stored_at changed", redelivery.storedAtChanged],
    ["API outage window", seconds(outage.windowMs)],
    ["  connections refused by the API's proxy", outage.refusedByProxy],
    ["  503 answers, all attempts", outage.answered503],
    ["  503 answers outside the window", outage.answered503Outside],
    [
      "consumer DynamoDB writes forwarded / throttled",
      `${throttling.writesForwarded} / ${throttling.writesThrottled}`,
    ],
    ["  records failed after the SDK's retries", throttling.recordsRedelivered],
    ["  of which finished on a later delivery", throttling.recordsRedeliveredThenStored],
    ["consumer SIGKILLs", kill.kills],
    ["  stored before the kill", kill.storedBeforeKill],
    ["  messages in flight right after it", kill.inFlightAfterKill],
    ["  messages in the batch it was killed in", kill.openBatchSize],
    ["  of which came back and were found already stored", kill.openBatchFoundStored],
    ["  of which no later consumer finished", kill.openBatchNeverFinished],
    ["queue left undrained", ledger.queueLeft],
    ["consumer exit code on SIGTERM", String(ledger.consumerExitCodeOnSigterm)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  const breakingBodies = new Set(run.breaking.map((message) => message.body));
  const unexpected = run.deadLetters.filter((letter) => !breakingBodies.has(letter.body));
  const durations = run.consumerEvents
    .filter((event) => event.message === CONSUMER_LOG.batchHandled)
    .map((event) => event.durationMs ?? 0)
    .sort((x, y) => x - y);
  const quantile = (q: number) =>
    durations[Math.min(durations.length - 1, Math.floor(q * durations.length))] ?? 0;
  const timeline = run.timeline
    .map(
      (sample) =>
        `${seconds(sample.at)}: ${sample.answered}/${sample.stored}/${sample.waiting}/${sample.inFlight}`,
    )
    .join(", ");
  return [
    "",
    `Fault ledger (seed ${run.options.seed}; ${phases})`,
    ...rows.map(([label, value]) => `  ${label.padEnd(width, ".")} ${value}`),
    `  consumer batches: ${durations.length}, handler time p50 ${quantile(0.5)} ms, p95 ${quantile(0.95)} ms, max ${quantile(1)} ms`,
    `  timeline (answered/stored/waiting/in flight): ${timeline}`,
    ...unexpected.flatMap((letter) => [
      `  unexpected DLQ message ${letter.messageId} (received ${letter.receiveCount} times): ${letter.body}`,
      ...run.consumerEvents
        .filter(
          (event) =>
            event.messageId === letter.messageId || event.messageIds?.includes(letter.messageId ?? ""),
        )
        .map((event) => `    consumer ${event.generation}: ${event.message}`),
    ]),
    ...(run.consumerStderr.length > 0
      ? ["  consumer stderr:", ...run.consumerStderr.map((line) => `    ${line}`)]
      : []),
    "",
  ].join("\n");
}
