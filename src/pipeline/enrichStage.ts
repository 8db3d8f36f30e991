import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@elastic/elasticsearch';
import type { Consumer, EachBatchPayload, Message, Producer } from 'kafkajs';
import type { EventSource } from '../config/indexConfig.ts';
import type { LoadedIndex } from '../index/loadIndex.ts';
import type { Logger } from '../logger.ts';
import type { DeadLetter, DeadLetterQueue } from './deadLetters.ts';
import { decodeChangeEvent } from './decodeChangeEvent.ts';
import type { DocumentCodec } from './documentCodec.ts';
import type { GatewayFetcher } from './gatewayFetcher.ts';
import type { PipelineMetrics } from './pipelineMetrics.ts';
import type { PipelineTopology } from '../index/pipelineTopology.ts';
import { reverseLookup, type LookupTarget } from './reverseLookup.ts';
import { commitBatch } from './commitBatch.ts';

/** How events of one topic are read: as the primary entity, or as a related one to look up. */
interface Route {
  entityType: string;
  source: EventSource;
  lookup: LookupTarget | null;
}

/** Entity ids with the oldest source-event time seen for each (for end-to-end latency). */
export type PendingIds = Map<string, number | null>;

export interface EnrichOutcome {
  written: number;
  deleted: number;
  failed: Array<{ id: string; reason: string }>;
}

export interface EnrichStageDeps {
  loaded: LoadedIndex;
  topology: PipelineTopology;
  elasticsearch: Client;
  fetcher: GatewayFetcher;
  producer: Producer;
  codec: DocumentCodec;
  deadLetters: DeadLetterQueue;
  metrics: PipelineMetrics;
  logger: Logger;
  /**
   * Resolves once the sink has written everything on the documents topic so far (polling, with
   * `onPoll` between polls), or rejects after `timeoutMs`.
   */
  sinkCaughtUp(timeoutMs: number, onPoll: () => Promise<void>): Promise<void>;
}

const SEND_CHUNK = 500;

/**
 * Time for a fetch that read a related entity's old state just before it changed to reach the
 * documents topic: the gap between a gateway answer and its produce is milliseconds, not seconds.
 */
const IN_FLIGHT_MS = 1_000;
/** How long the second lookup waits for the sink; past this it looks anyway (and says so). */
const SINK_WAIT_MS = 60_000;

/**
 * Change events → primary ids (reverse lookups for related entities) → documents fetched from
 * the gateway → the documents topic. Offsets are committed only after the documents (and any
 * dead letters) are acknowledged by all replicas.
 */
export class EnrichStage {
  private readonly routes = new Map<string, Route[]>();

  constructor(private readonly deps: EnrichStageDeps) {
    const { config } = deps.loaded;
    const add = (topic: string, route: Route): void => void this.routes.set(topic, [...(this.routes.get(topic) ?? []), route]);
    for (const source of config.primary.events) add(source.topic, { entityType: config.primary.type, source, lookup: null });
    for (const related of config.related) {
      const field = deps.loaded.fields.find((candidate) => candidate.path === related.lookup);
      for (const source of related.events) {
        add(source.topic, {
          entityType: related.type,
          source,
          lookup: {
            index: deps.topology.alias,
            field: field?.exactField ?? related.lookup,
            nestedPath: field?.nestedPath ?? null,
          },
        });
      }
    }
  }

  get topics(): string[] {
    return [...this.routes.keys()];
  }

  /** Subscribes to every event topic of the index and processes batches until the consumer stops. */
  async run(consumer: Consumer): Promise<void> {
    await consumer.subscribe({ topics: this.topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // A batch of related events holds its partition for its second lookup (about a second or
      // more); other partitions go on meanwhile.
      partitionsConsumedConcurrently: 8,
      eachBatch: (payload) => this.handleBatch(payload, consumer),
    });
  }

  /**
   * Fetches the ids and writes their documents (tombstones for entities that are gone) to the
   * documents topic. Shared by the live consumer, backfill and replay. Failed ids are returned
   * for the caller to dead-letter.
   */
  async enrich(ids: PendingIds, heartbeat: () => Promise<void> = async () => {}): Promise<EnrichOutcome> {
    const { fetcher, codec, producer, topology, metrics, logger } = this.deps;
    const outcome: EnrichOutcome = { written: 0, deleted: 0, failed: [] };
    if (ids.size === 0) return outcome;
    const results = await fetcher.fetch([...ids.keys()], heartbeat);
    await heartbeat();
    const messages: Message[] = [];
    for (const [id, result] of results) {
      metrics.documentsFetched.inc({ result: result.kind });
      if (result.kind === 'failed') {
        outcome.failed.push({ id, reason: result.reason });
        continue;
      }
      const document = result.kind === 'found' ? result.document : null;
      try {
        messages.push(codec.toMessage({ id, document, version: result.version, eventTsMs: ids.get(id) ?? null }));
        if (document === null) outcome.deleted++;
        else outcome.written++;
      } catch (error) {
        const reason = `document does not fit the Avro schema: ${(error as Error).message}`;
        logger.error({ entityId: id, err: error }, reason);
        outcome.failed.push({ id, reason });
      }
    }
    for (let start = 0; start < messages.length; start += SEND_CHUNK) {
      await producer.send({ topic: topology.documentsTopic, acks: -1, messages: messages.slice(start, start + SEND_CHUNK) });
      await heartbeat();
    }
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
   * lookup ran (a credit added a moment before the person is renamed). So once the sink has
   * written everything produced so far, the index is refreshed and searched again; documents
   * only this second lookup finds are fetched too. The batch is committed after both, so a crash
   * in between redoes them. Returns the ids to fetch (those not fetched already).
   */
  private async lookUpAgainWhenSettled(
    related: Map<Route, PendingIds>,
    alreadyFetched: PendingIds,
    heartbeat: () => Promise<void>,
  ): Promise<PendingIds> {
    const { elasticsearch, metrics, logger, topology } = this.deps;
    await sleep(IN_FLIGHT_MS);
    await heartbeat();
    try {
      await this.deps.sinkCaughtUp(SINK_WAIT_MS, heartbeat);
    } catch (error) {
      logger.warn({ err: error }, `the sink did not catch up within ${SINK_WAIT_MS / 1000}s; looking up again anyway`);
    }
    await elasticsearch.indices.refresh({ index: topology.alias });
    const late: PendingIds = new Map();
    for (const [route, ids] of related) {
      const found = await reverseLookup(elasticsearch, route.lookup as LookupTarget, [...ids.keys()]);
      const oldest = oldestOf(ids);
      let count = 0;
      for (const id of found) {
        if (alreadyFetched.has(id) || late.has(id)) continue;
        late.set(id, oldest);
        count++;
      }
      if (count > 0) {
        metrics.reverseLookupLate.inc({ entity_type: route.entityType }, count);
        logger.info({ entityType: route.entityType, late: count }, 'the second reverse lookup found documents written meanwhile');
      }
      await heartbeat();
    }
    return late;
  }

  private async handleBatch(payload: EachBatchPayload, consumer: Consumer): Promise<void> {
    const { batch, heartbeat, resolveOffset, isRunning, isStale } = payload;
    if (batch.isEmpty() || !isRunning() || isStale()) return;
    const { metrics, logger, deadLetters, elasticsearch } = this.deps;
    const routes = this.routes.get(batch.topic) ?? [];
    const primary: PendingIds = new Map();
    const related = new Map<Route, PendingIds>();
    const letters: DeadLetter[] = [];

    for (const message of batch.messages) {
      for (const route of routes) {
        const decoded = decodeChangeEvent(message, route.source);
        if (!decoded.ok) {
          metrics.eventsIn.inc({ topic: batch.topic, outcome: 'undecodable' });
          const where = { topic: batch.topic, partition: batch.partition, offset: message.offset };
          logger.warn({ ...where, reason: decoded.reason }, 'undecodable change event sent to the dead-letter topic');
          letters.push({ kind: 'event', stage: 'enrich', reason: decoded.reason, entityId: null, source: where, key: message.key, value: message.value });
          continue;
        }
        metrics.eventsIn.inc({ topic: batch.topic, outcome: 'decoded' });
        let target = primary;
        if (route.lookup) {
          target = related.get(route) ?? new Map();
          related.set(route, target);
        }
        keepOldest(target, decoded.event.id, decoded.event.tsMs);
      }
    }

    for (const [route, ids] of related) {
      const lookup = route.lookup as LookupTarget;
      const found = await reverseLookup(elasticsearch, lookup, [...ids.keys()]);
      metrics.reverseLookupFanout.observe({ entity_type: route.entityType }, found.length);
      const oldest = oldestOf(ids);
      for (const id of found) keepOldest(primary, id, oldest);
      logger.debug({ entityType: route.entityType, related: ids.size, primary: found.length }, 'reverse lookup');
      await heartbeat();
    }

    const outcome = await this.enrich(primary, heartbeat);
    if (related.size > 0) {
      const late = await this.lookUpAgainWhenSettled(related, primary, heartbeat);
      const lateOutcome = await this.enrich(late, heartbeat);
      for (const failure of lateOutcome.failed) outcome.failed.push(failure);
      for (const [id, tsMs] of late) primary.set(id, tsMs);
    }
    for (const failure of outcome.failed) {
      logger.error(
        { entityId: failure.id, topic: batch.topic, partition: batch.partition, offsets: `${batch.firstOffset()}-${batch.lastOffset()}` },
        `fetch failed after retries, sent to the dead-letter topic: ${failure.reason}`,
      );
      letters.push(refetchLetter(failure, primary.get(failure.id) ?? null));
    }
    await deadLetters.send(letters);
    for (const letter of letters) metrics.deadLetters.inc({ stage: 'enrich', kind: letter.kind });

    await commitBatch(consumer, batch, resolveOffset, metrics, this.deps.topology.enrichGroup);
  }
}

function refetchLetter(failure: { id: string; reason: string }, tsMs: number | null): DeadLetter {
  return {
    kind: 'refetch',
    stage: 'enrich',
    reason: failure.reason,
    entityId: failure.id,
    source: null,
    key: failure.id,
    value: JSON.stringify({ id: failure.id, tsMs }),
  };
}

function keepOldest(ids: PendingIds, id: string, tsMs: number | null): void {
  const known = ids.get(id);
  if (!ids.has(id) || (tsMs !== null && (known === null || known === undefined || tsMs < known))) ids.set(id, tsMs);
}

function oldestOf(ids: PendingIds): number | null {
  let oldest: number | null = null;
  for (const ts of ids.values()) if (ts !== null && (oldest === null || ts < oldest)) oldest = ts;
  return oldest;
}
