import type { RetryReason } from '../retryPolicy.ts';
import type { DeadLetterKind } from './deadLetters.ts';
import type { PauseReason } from './pauseReasons.ts';
import type { Attribution } from './subgraphAttribution.ts';

/** Bulk operations of one request by result, for one operation (index or delete). */
export interface WriteCounts {
  ok: number;
  /** A newer version was already there (409). */
  stale: number;
  'dead-lettered': number;
}

/**
 * What the enricher and the sink report, by event name: once per batch, chunk or request with
 * counts, never once per document (the hot paths allocate nothing per document for this). Metrics
 * (pipelineMetrics.ts) subscribe; anything else may, as with kafkajs's instrumentation events.
 */
export interface PipelineEventMap {
  /** The enrich stage took a batch of one topic partition. */
  'enrich.batch': { topic: string; partition: number; messages: number };
  /** Change events of a batch counted for the first time (a batch read again is not counted again). */
  'enrich.events': { topic: string; decoded: number; undecodable: number };
  /** Messages of a batch that are no change (a tombstone, a heartbeat), passed over: `count` for one reason, counted once like `enrich.events`. */
  'enrich.skipped': { topic: string; reason: string; count: number };
  /** One route's reverse lookup: `found` primary ids; `added` those not known before; `second` for the lookup after the sink settled. */
  'enrich.reverse_lookup': { entityType: string; relatedIds: number; found: number; added: number; second: boolean };
  /** The enricher forced an index refresh before a second reverse lookup. */
  'enrich.index_refresh': Record<string, never>;
  /** One gateway request's results. */
  'enrich.fetched': { found: number; missing: number; failed: number };
  /** One gateway request settled; `ok`: data and no GraphQL errors. */
  'enrich.gateway_request': { ms: number; ok: boolean; entities: number };
  /** A request's errors (every attempt's), each attributed to the subgraph whose it is. */
  'enrich.subgraph_errors': { faults: readonly Attribution[] };
  /** One subgraph fetch settled: a subgraph request of a fetch by key, else a gateway request (see latencySubgraph). */
  'enrich.subgraph_fetch': { subgraph: string; ms: number };
  /** A gateway request is about to be tried again. */
  'enrich.gateway_retry': { reason: RetryReason };
  /** One produce request to the documents topic, as it is sent. */
  'enrich.produce': { documents: number };
  /** The sink took a batch of the documents topic. */
  'sink.batch': { partition: number; messages: number };
  /** One bulk request's answer: operations by result, and the end-to-end latency of each write that landed. */
  'sink.written': { index: WriteCounts; delete: WriteCounts; endToEndSeconds: readonly number[] };
  /** Bulk items about to be tried again, `count` of them for this reason. */
  'sink.retry': { reason: RetryReason; count: number };
  /** Dead letters written, `count` of one kind. */
  'dead_letters': { stage: 'enrich' | 'sink'; kind: DeadLetterKind; count: number };
  /** Letters waiting for an automatic retry, by subgraph, and when the oldest of them first failed (null: none waiting). */
  'dead_letters.waiting': { bySubgraph: ReadonlyMap<string, number>; oldestFirstFailedAtMs: number | null };
  /** Automatic retries of dead letters: their documents written, sent back to wait again, or given up on (left for replay). */
  'dead_letters.retried': { outcome: 'recovered' | 'failed_again' | 'gave_up'; count: number };
  /** The pipeline paused for a graph change (or paused now for another reason than before). */
  'pipeline.paused': { reason: PauseReason };
  /** The pipeline resumed: the graph takes the query again. */
  'pipeline.resumed': Record<string, never>;
  /** How many document fields changed shape in a way the provisioned reader still reads (0: none now). */
  'pipeline.needs_reindex': { fields: number };
  /** A stage is done with a batch; `lag` messages of the partition remain behind it. */
  'consumer.lag': { group: string; topic: string; partition: number; lag: number };
}

export type PipelineEventName = keyof PipelineEventMap;

type Listener<K extends PipelineEventName> = (payload: PipelineEventMap[K]) => void;

/**
 * Named events with typed payloads, delivered synchronously to each listener in the order they
 * subscribed. An event nobody listens to costs a map lookup.
 */
export class PipelineEvents {
  private readonly listeners = new Map<PipelineEventName, Array<Listener<never>>>();

  /** Subscribes; returns the function that unsubscribes. */
  on<K extends PipelineEventName>(name: K, listener: Listener<K>): () => void {
    const list = this.listeners.get(name) ?? [];
    list.push(listener as Listener<never>);
    this.listeners.set(name, list);
    return () => {
      const at = list.indexOf(listener as Listener<never>);
      if (at >= 0) list.splice(at, 1);
    };
  }

  emit<K extends PipelineEventName>(name: K, payload: PipelineEventMap[K]): void {
    const list = this.listeners.get(name) as Array<Listener<K>> | undefined;
    if (list === undefined) return;
    for (const listener of list) listener(payload);
  }
}
