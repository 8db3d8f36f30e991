import { setTimeout as sleep } from 'node:timers/promises';
import type { Batch, Consumer, EachBatchPayload } from '../clients/kafkajs.ts';
import type { PipelineTopology } from '../index/pipelineTopology.ts';
import type { Logger } from '../logger.ts';
import { nextOffset, reportLag } from './commitBatch.ts';
import { heartbeatWhile } from './heartbeatWhile.ts';
import { OrderedCommits } from './orderedCommits.ts';
import type { DeadLetter } from './deadLetters.ts';
import type { Enricher } from './enricher.ts';
import { EventCounts } from './eventCounts.ts';
import { refetchLetter, type EnrichOutcome, type PendingIds, type Route } from './enrichSteps.ts';
import type { PipelineEvents } from './pipelineEvents.ts';
import { batchSpan, inSpan } from '../tracing/traces.ts';

export interface EnrichStageDeps {
  /** Decode, look up, fetch and produce: what the stage does with each batch. */
  enricher: Pick<Enricher, 'topics' | 'routes' | 'decode' | 'lookUp' | 'lookUpAgain' | 'enrich' | 'enrichesUnderWay' | 'deadLetter'>;
  topology: Pick<PipelineTopology, 'enrichGroup'>;
  /** Where batches, event counts and lag are reported (the enricher reports the rest). */
  events: PipelineEvents;
  logger: Logger;
  /** Resolves once the sink has written everything on the documents topic so far, or rejects after `timeoutMs`. */
  sinkCaughtUp(timeoutMs: number): Promise<void>;
  /** How the second lookup waits for other processes' fetches in flight (a test passes one that does not). */
  sleep?: (ms: number) => Promise<unknown>;
}

/**
 * Time for a fetch under way in another process (a second `fedsearch run` of the group) that read
 * a related entity's old state just before it changed to reach the documents topic: that gap is
 * milliseconds unless the graph is slow. Fetches under way in this process are waited for exactly.
 */
const OTHER_PROCESS_IN_FLIGHT_MS = 1_000;

/** How long the second lookup waits for the sink; past this it looks anyway (and says so). */
const SINK_WAIT_MS = 60_000;
/** Batches of one partition whose second lookup may run in the background before the partition waits for the oldest. */
const MAX_SETTLING_BATCHES = 4;

/**
 * The live enrich stage: the Kafka consumer side of the Enricher. Change events → primary ids
 * (reverse lookups for related entities) → documents fetched from the gateway → the documents
 * topic. Offsets are committed only after the documents (and any dead letters) are acknowledged
 * by all replicas.
 */
export class EnrichStage {
  private readonly commits: OrderedCommits;
  private readonly eventCounts: EventCounts;
  private consumer: Consumer | null = null;
  private batchesInFlight = 0;
  private draining = false;

  constructor(private readonly deps: EnrichStageDeps) {
    this.eventCounts = new EventCounts(deps.events, deps.logger);
    this.commits = new OrderedCommits({
      commit: async (topic, partition, offset) => {
        try {
          await this.consumer?.commitOffsets([{ topic, partition, offset }]);
        } catch (error) {
          // Not lost: a later batch's commit covers this one, or the partition's next owner redoes it.
          deps.logger.warn({ err: error, topic, partition, offset }, 'committing the enrich offset failed');
        }
      },
      redo: (topic, partition, offset, error) => {
        deps.logger.error({ err: error, topic, partition, offset }, 'the second reverse lookup of a batch failed; reading the partition again from that batch');
        try {
          this.consumer?.seek({ topic, partition, offset });
        } catch (seekError) {
          // A consumer that stopped or lost the partition reads it from its last commit anyway.
          deps.logger.warn({ err: seekError, topic, partition, offset }, 'could not seek back; the partition is read again from its last commit');
        }
      },
    });
  }

  get topics(): string[] {
    return this.deps.enricher.topics;
  }

  /**
   * Stops fetching new batches (the pipeline paused for a graph change); the batches under way
   * wait inside their fetches and hold their partitions, so nothing past them is committed.
   */
  pauseConsuming(): void {
    this.consumer?.pause(this.topics.map((topic) => ({ topic })));
  }

  /** Fetches batches again, from where each partition stood. */
  resumeConsuming(): void {
    if (!this.draining) this.consumer?.resume(this.topics.map((topic) => ({ topic })));
  }

  /** Subscribes to every event topic of the index and processes batches until the consumer stops. */
  async run(consumer: Consumer): Promise<void> {
    this.consumer = consumer;
    // After a rebalance a partition is read from its last commit, by whichever member holds it:
    // second lookups still running from before commit nothing.
    consumer.on(consumer.events.REBALANCING, () => this.commits.reset());
    consumer.on(consumer.events.GROUP_JOIN, () => this.commits.reset());
    await consumer.subscribe({ topics: this.topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 8,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  /**
   * Before the consumer stops: no new batches, and the batches under way (second lookups
   * included) finished and committed, for up to `timeoutMs`; what is left is read again by the
   * next run (at-least-once).
   */
  async drain(timeoutMs: number): Promise<void> {
    const consumer = this.consumer;
    if (!consumer) return;
    this.draining = true;
    consumer.pause(this.topics.map((topic) => ({ topic })));
    const deadline = performance.now() + timeoutMs;
    const done = async (): Promise<void> => {
      while (this.batchesInFlight > 0 && performance.now() < deadline) await sleep(20);
      await this.commits.settled();
    };
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    try {
      if ((await Promise.race([done(), timedOut])) === 'timeout') {
        this.deps.logger.warn(`second reverse lookups still running after ${timeoutMs / 1000}s; their batches are read again next run`);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A related change must reach every document that holds the related id, including one whose
   * fetch read the old state just before the change and was not yet searchable when the first
   * lookup ran (a credit added a moment before the person is renamed). So once those fetches have
   * landed (`inFlightLanded`) and the sink has written everything produced so far, the index is
   * refreshed (a refresh shared with the other batches waiting, sharedRefresh.ts) and searched
   * again; documents only this second lookup finds are fetched too. The batch is committed after
   * both, so a crash in between redoes them. It runs in the background (the partition goes on;
   * the consumer heartbeats by itself meanwhile). Returns the ids to fetch (those not fetched already).
   */
  private async lookUpAgainWhenSettled(related: Map<Route, PendingIds>, alreadyFetched: PendingIds, inFlightLanded: Promise<unknown>): Promise<PendingIds> {
    await inFlightLanded;
    try {
      await this.deps.sinkCaughtUp(SINK_WAIT_MS);
    } catch (error) {
      this.deps.logger.warn({ err: error }, `the sink did not catch up within ${SINK_WAIT_MS / 1000}s; looking up again anyway`);
    }
    return this.deps.enricher.lookUpAgain(related, alreadyFetched);
  }

  /**
   * decode → route → look up → fetch and produce → dead letters → resolve, so the partition goes
   * on; the second lookup of related changes (and what it finds) runs in the background, and the
   * batch is committed once that and every earlier batch of the partition are done.
   */
  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, isRunning, isStale } = payload;
    if (batch.isEmpty() || !isRunning() || isStale()) return;
    // One span per batch, the parent of its decode, lookups, fetches and produce requests (and of
    // the background second lookup); events that carry a trace context are linked to it.
    const span = batchSpan('fedsearch.enrich', batch, this.deps.topology.enrichGroup);
    span.setAttribute('fedsearch.offsets', `${batch.firstOffset() ?? batch.lastOffset()}-${batch.lastOffset()}`);
    await inSpan(span, () => this.enrichBatch(payload));
  }

  private async enrichBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, resolveOffset, isStale } = payload;
    this.batchesInFlight++;
    try {
      const ticket = this.commits.ticket(batch.topic, batch.partition);
      const { enricher, events } = this.deps;
      events.emit('enrich.batch', { topic: batch.topic, partition: batch.partition, messages: batch.messages.length });
      const { primary, expectedToExist, related, letters, skipped } = enricher.decode(batch.messages, { topic: batch.topic, partition: batch.partition });
      // A fetch under way when these related changes were read may have read the old state: the
      // second lookup waits until every such fetch of this process has produced its documents
      // (however slow the graph), and a moment for other processes' — a wait that runs beside
      // this batch's own lookups and fetches, not after them.
      const inFlightLanded = related.size > 0 ? Promise.all([enricher.enrichesUnderWay(), (this.deps.sleep ?? sleep)(OTHER_PROCESS_IN_FLIGHT_MS)]) : Promise.resolve();

      // Each call below may outlast the session timeout (Elasticsearch or the graph stalled).
      await heartbeatWhile(enricher.lookUp(related, primary), heartbeat);
      const outcome = await heartbeatWhile(enricher.enrich(primary, heartbeat, expectedToExist), heartbeat);
      await heartbeatWhile(this.deadLetter(batch, outcome.failed, primary, letters), heartbeat);
      this.eventCounts.count(batch, enricher.routes.get(batch.topic)?.length ?? 0, letters, skipped);

      const settled = related.size > 0 ? this.settleRelated(batch, related, primary, inFlightLanded) : Promise.resolve();
      // Sent back (an earlier batch's second lookup failed) or reassigned while this ran: the
      // partition is read again from before this batch, which is redone then.
      const offsets = { first: batch.firstOffset() ?? batch.lastOffset(), next: nextOffset(batch) };
      if (isStale() || !this.commits.add(batch.topic, batch.partition, ticket, offsets, settled)) {
        settled.catch(() => undefined);
        return;
      }
      resolveOffset(batch.lastOffset());
      reportLag(events, this.deps.topology.enrichGroup, batch);
      // Bounded: a partition whose second lookups fall behind waits for the oldest.
      await this.commits.below(batch.topic, batch.partition, MAX_SETTLING_BATCHES, heartbeat);
    } finally {
      this.batchesInFlight--;
    }
  }

  /** The second lookup of a batch's related changes, the documents only it finds, and their dead letters. */
  private async settleRelated(batch: Batch, related: Map<Route, PendingIds>, primary: PendingIds, inFlightLanded: Promise<unknown>): Promise<void> {
    const late = await this.lookUpAgainWhenSettled(related, primary, inFlightLanded);
    const outcome = await this.deps.enricher.enrich(late);
    await this.deadLetter(batch, outcome.failed, late, []);
  }

  /** Failed fetches (with their event times) and undecodable events to the dead-letter topic, before the batch can commit. */
  private async deadLetter(batch: Batch, failed: EnrichOutcome['failed'], eventTimes: PendingIds, letters: DeadLetter[]): Promise<void> {
    const { logger, enricher } = this.deps;
    for (const failure of failed) {
      logger.error(
        { entityId: failure.id, topic: batch.topic, partition: batch.partition, offsets: `${batch.firstOffset()}-${batch.lastOffset()}` },
        `fetch failed after retries, sent to the dead-letter topic: ${failure.reason}`,
      );
      letters.push(refetchLetter(failure, eventTimes.get(failure.id) ?? null));
    }
    await enricher.deadLetter(letters);
  }
}
