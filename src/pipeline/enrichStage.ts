import { setTimeout as sleep } from 'node:timers/promises';
import type { Batch, Consumer, EachBatchPayload, Producer } from '../clients/kafkajs.ts';
import type { LoadedIndex } from '../index/loadIndex.ts';
import type { PipelineTopology } from '../index/pipelineTopology.ts';
import type { Logger } from '../logger.ts';
import { CoalescingSender } from './coalescingSender.ts';
import { nextOffset, recordLag } from './commitBatch.ts';
import { heartbeatWhile } from './heartbeatWhile.ts';
import { OrderedCommits } from './orderedCommits.ts';
import type { DeadLetter, DeadLetterQueue } from './deadLetters.ts';
import type { DocumentCodec } from './documentCodec.ts';
import { EventCounts } from './eventCounts.ts';
import {
  documentMessages,
  eventRoutes,
  lookUpPrimaryIds,
  refetchLetter,
  routeEvents,
  type EnrichOutcome,
  type PendingIds,
  type Route,
} from './enrichSteps.ts';
import type { GatewayFetcher } from './gatewayFetcher.ts';
import type { PipelineMetrics } from './pipelineMetrics.ts';
import { reverseLookup, type LookupClient } from './reverseLookup.ts';
import { SharedRefresh } from './sharedRefresh.ts';

export type { EnrichOutcome, PendingIds } from './enrichSteps.ts';

export interface EnrichStageDeps {
  loaded: Pick<LoadedIndex, 'config' | 'fields' | 'names' | 'query' | 'relatedLookups'>;
  topology: Pick<PipelineTopology, 'alias' | 'documentsTopic' | 'enrichGroup'>;
  /** Reverse lookups, and the refresh before the second one. */
  elasticsearch: LookupClient & { indices: { refresh(request: { index: string }): Promise<unknown> } };
  fetcher: Pick<GatewayFetcher, 'fetchInChunks'>;
  producer: Pick<Producer, 'send'>;
  codec: Pick<DocumentCodec, 'toMessage'>;
  deadLetters: Pick<DeadLetterQueue, 'send'>;
  metrics: PipelineMetrics;
  logger: Logger;
  /** Resolves once the sink has written everything on the documents topic so far, or rejects after `timeoutMs`. */
  sinkCaughtUp(timeoutMs: number): Promise<void>;
  /** How the second lookup waits for other processes' fetches in flight (a test passes one that does not). */
  sleep?: (ms: number) => Promise<unknown>;
}

const SEND_CHUNK = 500;

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
/** At most one forced refresh this often, shared by every batch waiting (Elasticsearch's own default interval). */
const REFRESH_INTERVAL_MS = 1_000;

/**
 * Change events → primary ids (reverse lookups for related entities) → documents fetched from
 * the gateway → the documents topic. Offsets are committed only after the documents (and any
 * dead letters) are acknowledged by all replicas.
 */
export class EnrichStage {
  private readonly routes: Map<string, Route[]>;
  private readonly refreshes: SharedRefresh;
  private readonly commits: OrderedCommits;
  private readonly eventCounts: EventCounts;
  private consumer: Consumer | null = null;
  private batchesInFlight = 0;
  /** Each enrich call under way (fetching or producing), settled or not: what a second lookup waits for. */
  private readonly enriching = new Set<Promise<void>>();

  constructor(private readonly deps: EnrichStageDeps) {
    this.routes = eventRoutes(deps.loaded);
    this.eventCounts = new EventCounts(deps.metrics, deps.logger);
    this.refreshes = new SharedRefresh(
      () => deps.elasticsearch.indices.refresh({ index: deps.topology.alias }),
      REFRESH_INTERVAL_MS,
      () => deps.metrics.forcedRefreshes.inc(),
    );
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
    return [...this.routes.keys()];
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
   * Fetches the ids and writes their documents (tombstones for entities that are gone) to the
   * documents topic. Shared by the live consumer, backfill and replay. Failed ids are returned
   * for the caller to dead-letter.
   */
  enrich(ids: PendingIds, heartbeat: () => Promise<void> = async () => {}): Promise<EnrichOutcome> {
    const work = this.fetchAndProduce(ids, heartbeat);
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.enriching.add(settled);
    void settled.then(() => this.enriching.delete(settled));
    return work;
  }

  /** Resolves once every enrich call under way now has produced its documents (or failed). */
  private enrichesUnderWay(): Promise<unknown> {
    return Promise.all([...this.enriching]);
  }

  private async fetchAndProduce(ids: PendingIds, heartbeat: () => Promise<void>): Promise<EnrichOutcome> {
    const { fetcher, codec, producer, topology, metrics, logger } = this.deps;
    const outcome: EnrichOutcome = { written: 0, deleted: 0, failed: [] };
    if (ids.size === 0) return outcome;
    // Documents go out as their requests settle, not after the last one: a change fanning out to
    // a thousand documents is being written while the rest are fetched.
    const sender = new CoalescingSender(async (messages) => {
      metrics.documentsPerProduce.observe(messages.length);
      await producer.send({ topic: topology.documentsTopic, acks: -1, messages });
      await heartbeat();
    }, SEND_CHUNK);
    await fetcher.fetchInChunks([...ids.keys()], heartbeat, (results) => {
      for (const result of results.values()) metrics.documentsFetched.inc({ result: result.kind });
      const { messages, outcome: part } = documentMessages(results, ids, codec);
      for (const failure of part.failed) {
        if (results.get(failure.id)?.kind !== 'failed') logger.error({ entityId: failure.id }, failure.reason);
        outcome.failed.push(failure);
      }
      outcome.written += part.written;
      outcome.deleted += part.deleted;
      sender.add(messages);
    });
    await heartbeat();
    await sender.flushed();
    return outcome;
  }

  /** Sends fetches that kept failing to the dead-letter topic, where `replay` finds them. */
  async deadLetterFailures(failed: EnrichOutcome['failed']): Promise<void> {
    if (failed.length === 0) return;
    await this.deps.deadLetters.send(failed.map((failure) => refetchLetter(failure, null)));
    this.deps.metrics.deadLetters.inc({ stage: 'enrich', kind: 'refetch' }, failed.length);
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
    const { elasticsearch, metrics, logger } = this.deps;
    await inFlightLanded;
    try {
      await this.deps.sinkCaughtUp(SINK_WAIT_MS);
    } catch (error) {
      logger.warn({ err: error }, `the sink did not catch up within ${SINK_WAIT_MS / 1000}s; looking up again anyway`);
    }
    await this.refreshes.after(performance.now());
    const late: PendingIds = new Map();
    await lookUpPrimaryIds(
      (target, ids) => reverseLookup(elasticsearch, target, ids),
      related,
      late,
      async (route, _ids, _found, added) => {
        if (added > 0) {
          metrics.reverseLookupLate.inc({ entity_type: route.entityType }, added);
          logger.info({ entityType: route.entityType, late: added }, 'the second reverse lookup found documents written meanwhile');
        }
      },
      new Set(alreadyFetched.keys()),
    );
    return late;
  }

  /**
   * decode → route → look up → fetch and produce → dead letters → resolve, so the partition goes
   * on; the second lookup of related changes (and what it finds) runs in the background, and the
   * batch is committed once that and every earlier batch of the partition are done.
   */
  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, resolveOffset, isRunning, isStale } = payload;
    if (batch.isEmpty() || !isRunning() || isStale()) return;
    this.batchesInFlight++;
    try {
      const ticket = this.commits.ticket(batch.topic, batch.partition);
      const { metrics, logger, elasticsearch } = this.deps;
      metrics.batchMessages.observe({ stage: 'enrich' }, batch.messages.length);
      const where = { topic: batch.topic, partition: batch.partition };
      const { primary, related, letters, skipped } = routeEvents(batch.messages, this.routes.get(batch.topic) ?? [], where);
      // A fetch under way when these related changes were read may have read the old state: the
      // second lookup waits until every such fetch of this process has produced its documents
      // (however slow the graph), and a moment for other processes' — a wait that runs beside
      // this batch's own lookups and fetches, not after them.
      const inFlightLanded = related.size > 0 ? Promise.all([this.enrichesUnderWay(), (this.deps.sleep ?? sleep)(OTHER_PROCESS_IN_FLIGHT_MS)]) : Promise.resolve();

      // Each call below may outlast the session timeout (Elasticsearch or the graph stalled).
      await heartbeatWhile(
        lookUpPrimaryIds((target, ids) => reverseLookup(elasticsearch, target, ids), related, primary, async (route, ids, found) => {
          metrics.reverseLookupFanout.observe({ entity_type: route.entityType }, found.length);
          logger.debug({ entityType: route.entityType, related: ids.size, primary: found.length }, 'reverse lookup');
        }),
        heartbeat,
      );
      const outcome = await heartbeatWhile(this.enrich(primary, heartbeat), heartbeat);
      await heartbeatWhile(this.deadLetter(batch, outcome.failed, primary, letters), heartbeat);
      this.eventCounts.count(batch, this.routes.get(batch.topic)?.length ?? 0, letters, skipped);

      const settled = related.size > 0 ? this.settleRelated(batch, related, primary, inFlightLanded) : Promise.resolve();
      // Sent back (an earlier batch's second lookup failed) or reassigned while this ran: the
      // partition is read again from before this batch, which is redone then.
      const offsets = { first: batch.firstOffset() ?? batch.lastOffset(), next: nextOffset(batch) };
      if (isStale() || !this.commits.add(batch.topic, batch.partition, ticket, offsets, settled)) {
        settled.catch(() => undefined);
        return;
      }
      resolveOffset(batch.lastOffset());
      recordLag(metrics, this.deps.topology.enrichGroup, batch);
      // Bounded: a partition whose second lookups fall behind waits for the oldest.
      await this.commits.below(batch.topic, batch.partition, MAX_SETTLING_BATCHES, heartbeat);
    } finally {
      this.batchesInFlight--;
    }
  }

  /** The second lookup of a batch's related changes, the documents only it finds, and their dead letters. */
  private async settleRelated(batch: Batch, related: Map<Route, PendingIds>, primary: PendingIds, inFlightLanded: Promise<unknown>): Promise<void> {
    const late = await this.lookUpAgainWhenSettled(related, primary, inFlightLanded);
    const outcome = await this.enrich(late);
    await this.deadLetter(batch, outcome.failed, late, []);
  }

  /** Failed fetches (with their event times) and undecodable events to the dead-letter topic, before the batch can commit. */
  private async deadLetter(batch: Batch, failed: EnrichOutcome['failed'], eventTimes: PendingIds, letters: DeadLetter[]): Promise<void> {
    const { logger, metrics, deadLetters } = this.deps;
    for (const failure of failed) {
      logger.error(
        { entityId: failure.id, topic: batch.topic, partition: batch.partition, offsets: `${batch.firstOffset()}-${batch.lastOffset()}` },
        `fetch failed after retries, sent to the dead-letter topic: ${failure.reason}`,
      );
      letters.push(refetchLetter(failure, eventTimes.get(failure.id) ?? null));
    }
    if (letters.length === 0) return;
    await deadLetters.send(letters);
    for (const letter of letters) metrics.deadLetters.inc({ stage: 'enrich', kind: letter.kind });
  }
}
