/**
 * The service's promise under faults: a purchase the API accepted is stored exactly once, whatever
 * breaks on the way, and a request the API did not accept is known to the client as failed and succeeds
 * on a retry with its Idempotency-Key once the fault clears. One run of the local system, with every
 * fault at once (see fault-run.ts), judged on its ledger, which is printed for the CI log.
 */
import { type FaultRunOptions, type FaultRunResult, RunResources, runFaults } from "./fault-run";
import { formatLedger, type Ledger, ledgerOf } from "./ledger";

const options: FaultRunOptions = {
  purchases: 2_000,
  // Modest: moto serves one request at a time per core, and the machine has two.
  concurrency: 8,
  contractBreakingShare: 0.01,
  duplicateShare: 0.05,
  throttleShare: 0.1,
  outageFrom: 800,
  outageRequests: 150,
  maxBacklog: 200,
  killAfterStored: 600,
  killDelayMs: 150,
  retryAfterSeconds: 2,
  drainTimeoutMs: 150_000,
  seed: Number(process.env.FAULT_SEED ?? 20_241_105),
};

const resources = new RunResources();
let run: FaultRunResult;
let ledger: Ledger;

beforeAll(async () => {
  run = await runFaults(options, resources);
  ledger = ledgerOf(run);
  process.stdout.write(formatLedger(ledger, run));
}, 280_000);

afterAll(async () => {
  const problems = await resources.close();
  if (problems.length > 0) process.stderr.write(`cleaning up the fault run: ${problems.join("; ")}\n`);
}, 60_000);

describe("every accepted purchase is stored exactly once", () => {
  it("answers every purchase 2xx in the end, each with its own purchase_id", () => {
    expect(ledger.client.neverAccepted).toBe(0);
    expect(ledger.client.idCollisions).toBe(0);
    expect(ledger.client.acceptedDistinctIds).toBe(ledger.client.purchasesSent);
  });

  it("stores the purchases the API accepted, and only those: none lost, none unknown", () => {
    expect(ledger.table.lost).toBe(0);
    expect(ledger.table.unknown).toBe(0);
    expect(ledger.table.items).toBe(ledger.client.acceptedDistinctIds);
  });

  it("never stores a purchase twice or changes what the client sent", () => {
    expect(ledger.table.duplicates).toBe(0);
    expect(ledger.table.storedTwice).toBe(0);
    expect(ledger.table.altered).toBe(0);
  });

  it("agrees with the consumer's own account of what it stored", () => {
    expect(ledger.table.reportedStored).toBeLessThanOrEqual(ledger.table.items);
    expect(ledger.table.reportedStored).toBeGreaterThanOrEqual(
      ledger.table.items - ledger.table.unreportedAtMost,
    );
  });

  it("leaves the queue drained", () => {
    expect(ledger.queueLeft).toBe(0);
  });
});

describe("exact redeliveries of a message (SNS at-least-once)", () => {
  it("were published for about 5% of the accepted purchases", () => {
    expect(ledger.redelivery.published).toBe(
      run.purchases.filter(
        (purchase) => purchase.accepted && purchase.index % Math.round(1 / options.duplicateShare) === 3,
      ).length,
    );
    expect(ledger.redelivery.published).toBeGreaterThan(0);
  });

  it("are each recognized as already stored, and leave stored_at as the first write set it", () => {
    expect(ledger.redelivery.recognizedAsStored).toBe(ledger.redelivery.published);
    expect(ledger.redelivery.storedAtChanged).toBe(0);
  });
});

describe("contract-breaking messages published straight to the topic", () => {
  it("are all in the DLQ, and nothing else is", () => {
    expect(ledger.dlq.breakingPublished).toBe(Math.ceil(options.purchases * options.contractBreakingShare));
    expect(ledger.dlq.missingBreaking).toBe(0);
    expect(ledger.dlq.unexpected).toBe(0);
    expect(ledger.dlq.matchedBreaking).toBe(ledger.dlq.breakingPublished);
    // A message the killed consumer had forwarded but not deleted is forwarded again on redelivery,
    // under the same source_message_id: those copies, and only those, are extra.
    expect(ledger.dlq.distinctSources).toBe(ledger.dlq.breakingPublished);
    expect(ledger.dlq.messages).toBe(ledger.dlq.breakingPublished + ledger.dlq.copiesFromKill);
  });

  it("each carry a reason that names the broken field", () => {
    expect(ledger.dlq.reasonNamesField).toBe(ledger.dlq.messages);
    expect(Object.keys(ledger.dlq.byKind).sort()).toEqual(
      [...new Set(run.breaking.map((message) => message.kind))].sort(),
    );
  });
});

describe("the API's AWS endpoint unreachable for a window of requests", () => {
  it("really refused connections and answered 503 during the window", () => {
    expect(ledger.outage.refusedByProxy).toBeGreaterThan(0);
    expect(ledger.client.firstAttempt503WithRetryAfter).toBeGreaterThan(0);
    expect(ledger.outage.answered503Outside).toBe(0);
  });

  it("told the client of every failure: a 503 with Retry-After, never another error or silence", () => {
    expect(ledger.client.firstAttemptOther).toEqual([]);
    expect(ledger.client.retryOther).toEqual([]);
    expect(ledger.client.firstAttempt2xx + ledger.client.firstAttempt503WithRetryAfter).toBe(
      ledger.client.purchasesSent,
    );
  });

  it("accepted every failed request on a retry with the same Idempotency-Key", () => {
    expect(ledger.client.acceptedAfterRetry).toBe(ledger.client.failedFirst);
  });
});

describe("DynamoDB throttling of the consumer's writes", () => {
  it("reached the consumer through AWS_ENDPOINT_URL_DYNAMODB and throttled a share of its writes", () => {
    expect(ledger.throttling.writesThrottled).toBeGreaterThan(0);
    expect(ledger.throttling.writesForwarded).toBeGreaterThanOrEqual(ledger.table.items);
  });

  it("sent every record whose write still failed back to the queue, and stored it later", () => {
    expect(ledger.throttling.recordsRedeliveredThenStored).toBe(ledger.throttling.recordsRedelivered);
  });
});

describe("the consumer killed in the middle of a batch and started again", () => {
  it("was killed in a batch it had received and not finished", () => {
    expect(ledger.kill.kills).toBeGreaterThan(0);
    expect(ledger.kill.openBatchSize).toBeGreaterThan(0);
    expect(ledger.kill.inFlightAfterKill).toBeGreaterThan(0);
  });

  it("had stored part of that batch: it came back and was found already stored, not stored again", () => {
    expect(ledger.kill.openBatchFoundStored).toBeGreaterThan(0);
    expect(ledger.table.storedTwice).toBe(0);
  });

  it("lost nothing of it: another consumer finished every message of the killed batch", () => {
    expect(ledger.kill.openBatchNeverFinished).toBe(0);
  });

  it("exits 0 on SIGTERM once its batch is done", () => {
    expect(ledger.consumerExitCodeOnSigterm).toBe(0);
  });
});
