import type { KafkaMessage, Producer } from '../clients/kafkajs.ts';
import type { LoadedIndex } from '../index/loadIndex.ts';
import type { PipelineTopology } from '../index/pipelineTopology.ts';
import type { Logger } from '../logger.ts';
import { CoalescingSender } from './coalescingSender.ts';
import type { DeadLetter, DeadLetterQueue } from './deadLetters.ts';
import { DOCUMENT_HEADERS, type DocumentCodec } from './documentCodec.ts';
import {
  documentMessages,
  eventRoutes,
  lookUpPrimaryIds,
  refetchLetter,
  routeEvents,
  type EnrichOutcome,
  type PendingIds,
  type Route,
  type RoutedEvents,
} from './enrichSteps.ts';
import type { FetchResult, GatewayFetcher } from './gatewayFetcher.ts';
import type { PipelineEvents } from './pipelineEvents.ts';
import { reverseLookup, type LookupClient, type LookupTarget } from './reverseLookup.ts';
import { SharedRefresh } from './sharedRefresh.ts';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { inSpan, traceHeaders, tracer } from '../tracing/traces.ts';

export type { EnrichOutcome, PendingIds } from './enrichSteps.ts';

export interface EnricherDeps {
  loaded: Pick<LoadedIndex, 'config' | 'fields' | 'names' | 'query' | 'relatedLookups'>;
  topology: Pick<PipelineTopology, 'alias' | 'documentsTopic'>;
  /** Reverse lookups, and the refresh before the second one. */
  elasticsearch: LookupClient & { indices: { refresh(request: { index: string }): Promise<unknown> } };
  fetcher: Pick<GatewayFetcher, 'fetchInChunks'>;
  producer: Pick<Producer, 'send'>;
  codec: Pick<DocumentCodec, 'toMessage'>;
  deadLetters: Pick<DeadLetterQueue, 'send'>;
  /** Where lookups, fetches, produce requests and dead letters are reported (metrics subscribe). */
  events: PipelineEvents;
  logger: Logger;
  /**
   * A reindex's backfill: the index version its documents are for. They carry it in a header, and
   * the running sinks write them to that version alone — not also to the one the alias still
   * points at, which they would cost a second write in every bulk request a live change waits in.
   */
  documentsFor?: string;
}

const SEND_CHUNK = 500;

/** At most one forced refresh this often, shared by every second lookup waiting (Elasticsearch's own default interval). */
const REFRESH_INTERVAL_MS = 1_000;

/**
 * The enrichment every path shares — decode → look up → fetch → produce — over the steps of
 * enrichSteps.ts: the live enrich stage (EnrichStage, which adds the Kafka consumer, commits and
 * the timing of second lookups), backfill and replay each hold one. Failed fetches are returned
 * for the caller to dead-letter (with what it knows: the batch, the event times).
 */
export class Enricher {
  /** How each event topic of the index is read. */
  readonly routes: ReadonlyMap<string, readonly Route[]>;
  private readonly refreshes: SharedRefresh;
  /** Each enrich call under way (fetching or producing), settled or not: what a second lookup waits for. */
  private readonly enriching = new Set<Promise<void>>();

  constructor(private readonly deps: EnricherDeps) {
    this.routes = eventRoutes(deps.loaded);
    this.refreshes = new SharedRefresh(
      () => deps.elasticsearch.indices.refresh({ index: deps.topology.alias }),
      REFRESH_INTERVAL_MS,
      () => deps.events.emit('enrich.index_refresh', {}),
    );
  }

  /** The event topics of the index. */
  get topics(): string[] {
    return [...this.routes.keys()];
  }

  /** Decode: one topic partition's messages as ids to fetch, related ids to look up, and dead letters for what cannot be read. */
  decode(messages: readonly KafkaMessage[], where: { topic: string; partition: number }): RoutedEvents {
    const span = tracer.startSpan('fedsearch.decode', { attributes: { 'messaging.batch.message_count': messages.length } });
    try {
      const routed = routeEvents(messages, this.routes.get(where.topic) ?? [], where);
      let related = 0;
      for (const ids of routed.related.values()) related += ids.size;
      span.setAttributes({
        'fedsearch.events.decoded': routed.decoded,
        'fedsearch.events.undecodable': routed.letters.length,
        'fedsearch.events.skipped': routed.skipped.length,
        'fedsearch.ids.primary': routed.primary.size,
        'fedsearch.ids.related': related,
      });
      return routed;
    } finally {
      span.end();
    }
  }

  /** Look up: adds to `into` the primary ids of the documents that hold the related ids. */
  async lookUp(related: ReadonlyMap<Route, PendingIds>, into: PendingIds): Promise<void> {
    const { events, logger } = this.deps;
    await lookUpPrimaryIds(this.reverseLookup, related, into, (route, ids, found, added) => {
      events.emit('enrich.reverse_lookup', { entityType: route.entityType, relatedIds: ids.size, found: found.length, added, second: false });
      logger.debug({ entityType: route.entityType, related: ids.size, primary: found.length }, 'reverse lookup');
    });
  }

  /**
   * The second lookup: after an index refresh that started now or later (shared with the other
   * second lookups waiting), the primary ids not in `alreadyFetched` — documents written since the
   * first lookup ran.
   */
  async lookUpAgain(related: ReadonlyMap<Route, PendingIds>, alreadyFetched: PendingIds): Promise<PendingIds> {
    const span = tracer.startSpan('fedsearch.second_lookup');
    return inSpan(span, async () => {
      const late = await this.lookUpLate(related, alreadyFetched);
      span.setAttribute('fedsearch.ids.late', late.size);
      return late;
    });
  }

  private async lookUpLate(related: ReadonlyMap<Route, PendingIds>, alreadyFetched: PendingIds): Promise<PendingIds> {
    const { events, logger } = this.deps;
    await this.refreshes.after(performance.now());
    const late: PendingIds = new Map();
    await lookUpPrimaryIds(
      this.reverseLookup,
      related,
      late,
      (route, ids, found, added) => {
        events.emit('enrich.reverse_lookup', { entityType: route.entityType, relatedIds: ids.size, found: found.length, added, second: true });
        if (added > 0) logger.info({ entityType: route.entityType, late: added }, 'the second reverse lookup found documents written meanwhile');
      },
      new Set(alreadyFetched.keys()),
    );
    return late;
  }

  /**
   * Fetch and produce: the ids' documents (tombstones for entities that are gone) on the
   * documents topic, acknowledged by all replicas. `heartbeat` runs through every wait (a
   * consumer keeps its partitions). Failed ids are returned for the caller to dead-letter; so are
   * ids of `expectedToExist` the graph answered null (see documentMessages).
   */
  enrich(ids: PendingIds, heartbeat: () => Promise<void> = async () => {}, expectedToExist: ReadonlySet<string> = new Set()): Promise<EnrichOutcome> {
    const work = this.fetchAndProduce(ids, heartbeat, expectedToExist);
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.enriching.add(settled);
    void settled.then(() => this.enriching.delete(settled));
    return work;
  }

  /** Resolves once every enrich call under way now has produced its documents (or failed). */
  enrichesUnderWay(): Promise<unknown> {
    return Promise.all([...this.enriching]);
  }

  /** Writes dead letters (acknowledged by all replicas) and reports them by kind. */
  async deadLetter(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    await this.deps.deadLetters.send(letters);
    const counts = { event: 0, refetch: 0, document: 0 };
    for (const letter of letters) counts[letter.kind]++;
    for (const kind of ['event', 'refetch', 'document'] as const) {
      if (counts[kind] > 0) this.deps.events.emit('dead_letters', { stage: 'enrich', kind, count: counts[kind] });
    }
  }

  /** Fetches that kept failing, to the dead-letter topic where `replay` finds them. */
  deadLetterFailures(failed: EnrichOutcome['failed']): Promise<void> {
    return this.deadLetter(failed.map((failure) => refetchLetter(failure, null)));
  }

  private readonly reverseLookup = (target: LookupTarget, ids: readonly string[]): Promise<string[]> => {
    const span = tracer.startSpan('fedsearch.reverse_lookup', {
      kind: SpanKind.CLIENT,
      attributes: { 'db.system.name': 'elasticsearch', 'db.collection.name': target.index, 'fedsearch.lookup.fields': target.fields.join(','), 'fedsearch.ids.related': ids.length },
    });
    return inSpan(span, async () => {
      const found = await reverseLookup(this.deps.elasticsearch, target, ids);
      span.setAttribute('fedsearch.ids.found', found.length);
      return found;
    });
  };

  private async fetchAndProduce(ids: PendingIds, heartbeat: () => Promise<void>, expectedToExist: ReadonlySet<string>): Promise<EnrichOutcome> {
    const { fetcher, codec, producer, topology, events, logger, documentsFor } = this.deps;
    const outcome: EnrichOutcome = { written: 0, deleted: 0, failed: [] };
    if (ids.size === 0) return outcome;
    // Documents go out as their requests settle, not after the last one: a change fanning out to
    // a thousand documents is being written while the rest are fetched.
    // The sends run from whichever fetch settles first: their spans take the caller's context.
    const traced = context.active();
    const sender = new CoalescingSender(async (messages) => {
      events.emit('enrich.produce', { documents: messages.length });
      const span = tracer.startSpan(
        'fedsearch.produce',
        { kind: SpanKind.PRODUCER, attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': topology.documentsTopic, 'messaging.batch.message_count': messages.length } },
        traced,
      );
      // Each document carries the produce span's context, so the sink's bulk write joins this trace.
      const carried: Record<string, string> = traceHeaders(trace.setSpan(traced, span));
      if (documentsFor !== undefined) carried[DOCUMENT_HEADERS.onlyInto] = documentsFor;
      if (Object.keys(carried).length > 0) for (const message of messages) message.headers = { ...message.headers, ...carried };
      await inSpan(span, () => producer.send({ topic: topology.documentsTopic, acks: -1, messages }));
      await heartbeat();
    }, SEND_CHUNK);
    await fetcher.fetchInChunks([...ids.keys()], heartbeat, (results) => {
      events.emit('enrich.fetched', countResults(results));
      const { messages, outcome: part } = documentMessages(results, ids, codec, expectedToExist);
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
}

function countResults(results: ReadonlyMap<string, FetchResult>): { found: number; missing: number; failed: number } {
  const counts = { found: 0, missing: 0, failed: 0 };
  for (const result of results.values()) counts[result.kind]++;
  return counts;
}
