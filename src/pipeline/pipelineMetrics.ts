import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PipelineEvents } from './pipelineEvents.ts';
import { PAUSE_REASONS } from './pauseReasons.ts';

/** Node's own metrics (memory, CPU, event loop lag) under the fedsearch_process_ prefix. */
export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry, prefix: 'fedsearch_process_' });
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30];

/**
 * The pipeline's Prometheus metrics, on a registry of its own (served at /metrics), fed by the
 * stages' named events (`observe`): the stages report what happened and know nothing of Prometheus.
 */
export class PipelineMetrics {
  readonly registry = new Registry();
  readonly eventsIn: Counter<'topic' | 'outcome'>;
  readonly eventsSkipped: Counter<'topic' | 'reason'>;
  readonly reverseLookupFanout: Histogram<'entity_type'>;
  readonly reverseLookupLate: Counter<'entity_type'>;
  readonly forcedRefreshes: Counter;
  readonly documentsFetched: Counter<'result'>;
  readonly gatewayLatency: Histogram<'outcome'>;
  readonly subgraphErrors: Counter<'subgraph' | 'code'>;
  readonly subgraphFetchLatency: Histogram<'subgraph'>;
  readonly documentsWritten: Counter<'operation' | 'result'>;
  readonly endToEndLatency: Histogram;
  readonly consumerLag: Gauge<'group' | 'topic' | 'partition'>;
  readonly retries: Counter<'stage' | 'reason'>;
  readonly deadLetters: Counter<'stage' | 'kind'>;
  readonly deadLettersWaiting: Gauge<'subgraph'>;
  readonly oldestDeadLetterAge: Gauge;
  readonly deadLetterRetries: Counter<'outcome'>;
  /** When the oldest letter waiting first failed; the age gauge is computed from it when scraped. */
  private oldestFirstFailedAtMs: number | null = null;
  private readonly waitingSubgraphs = new Set<string>();
  readonly batchMessages: Histogram<'stage'>;
  readonly documentsPerProduce: Histogram;
  readonly paused: Gauge<'reason'>;
  readonly needsReindex: Gauge;

  /** `processMetrics: false` when the process serves many indexes' registries: its own are collected once, without an index. */
  constructor(index: string, options: { processMetrics?: boolean } = {}) {
    this.registry.setDefaultLabels({ index });
    if (options.processMetrics ?? true) collectProcessMetrics(this.registry);
    const registers = [this.registry];
    this.eventsIn = new Counter({
      name: 'fedsearch_events_total',
      help: 'Change events read, by topic and whether they could be decoded',
      labelNames: ['topic', 'outcome'],
      registers,
    });
    this.eventsSkipped = new Counter({
      name: 'fedsearch_events_skipped_total',
      help: 'Messages on event topics that are no change (tombstones, heartbeats, transaction boundaries), passed over',
      labelNames: ['topic', 'reason'],
      registers,
    });
    this.reverseLookupLate = new Counter({
      name: 'fedsearch_reverse_lookup_late_total',
      help: 'Primary documents only the second reverse lookup found (written while the first ran)',
      labelNames: ['entity_type'],
      registers,
    });
    this.forcedRefreshes = new Counter({
      name: 'fedsearch_index_refreshes_total',
      help: 'Index refreshes the enrich stage forced before a second reverse lookup (shared between batches, at most one a second)',
      registers,
    });
    this.reverseLookupFanout = new Histogram({
      name: 'fedsearch_reverse_lookup_fanout',
      help: 'Primary documents found per related-entity batch in a reverse lookup',
      labelNames: ['entity_type'],
      buckets: [0, 1, 10, 100, 1_000, 10_000, 100_000],
      registers,
    });
    this.documentsFetched = new Counter({
      name: 'fedsearch_documents_fetched_total',
      help: 'Entities fetched from the gateway: found, missing (deleted) or failed after retries',
      labelNames: ['result'],
      registers,
    });
    this.gatewayLatency = new Histogram({
      name: 'fedsearch_gateway_request_seconds',
      help: 'Gateway request latency (one batched request)',
      labelNames: ['outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.subgraphErrors = new Counter({
      name: 'fedsearch_subgraph_errors_total',
      help: 'Fetch errors by the subgraph whose they are (the gateway names it, else the query plan\'s owner of the error\'s path; "(gateway)" for the gateway\'s own) and code; every attempt counts',
      labelNames: ['subgraph', 'code'],
      registers,
    });
    this.subgraphFetchLatency = new Histogram({
      name: 'fedsearch_subgraph_fetch_seconds',
      help: 'Subgraph fetch latency: each subgraph request of a fetch by @key; through a gateway, the request\'s, under its one subgraph or "(gateway)"',
      labelNames: ['subgraph'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.documentsWritten = new Counter({
      name: 'fedsearch_documents_written_total',
      help: 'Bulk operations on Elasticsearch: index or delete; ok, stale (a newer version is there) or dead-lettered',
      labelNames: ['operation', 'result'],
      registers,
    });
    this.endToEndLatency = new Histogram({
      name: 'fedsearch_end_to_end_seconds',
      help: 'From the source change (event ts_ms) to the document written to Elasticsearch',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.consumerLag = new Gauge({
      name: 'fedsearch_consumer_lag',
      help: 'Messages behind the end of the partition, as of the last batch',
      labelNames: ['group', 'topic', 'partition'],
      registers,
    });
    this.retries = new Counter({
      name: 'fedsearch_retries_total',
      help: 'Retries of gateway fetches and Elasticsearch bulk items',
      labelNames: ['stage', 'reason'],
      registers,
    });
    this.batchMessages = new Histogram({
      name: 'fedsearch_batch_messages',
      help: 'Messages per batch a stage handles (a partition\'s share of one Kafka fetch): small batches cost more per message',
      labelNames: ['stage'],
      buckets: [1, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000],
      registers,
    });
    this.documentsPerProduce = new Histogram({
      name: 'fedsearch_documents_per_produce',
      help: 'Documents per produce request to the documents topic (what settles while one is in flight goes into the next)',
      buckets: [1, 5, 10, 25, 50, 100, 250, 500],
      registers,
    });
    this.paused = new Gauge({
      name: 'fedsearch_index_paused',
      help: 'The index\'s pipeline is paused because the graph no longer takes its query (1), by reason: breaks, subgraph_rejects, needs_reindex; see /healthz for the field and subgraph',
      labelNames: ['reason'],
      registers,
    });
    // Every reason at 0 from the start, so an alert on `== 1` has a series to read.
    for (const reason of PAUSE_REASONS) this.paused.set({ reason }, 0);
    this.needsReindex = new Gauge({
      name: 'fedsearch_index_needs_reindex',
      help: 'Document fields whose shape the graph changed in a way the provisioned Avro reader still reads (indexing goes on; a new version takes the new shape)',
      registers,
    });
    this.needsReindex.set(0);
    this.deadLetters = new Counter({
      name: 'fedsearch_dead_letters_total',
      help: 'Messages sent to the dead-letter topic',
      labelNames: ['stage', 'kind'],
      registers,
    });
    this.deadLettersWaiting = new Gauge({
      name: 'fedsearch_dead_letters_waiting',
      help: 'Dead letters waiting for an automatic retry (the graph\'s failures), by the subgraph whose failure each is',
      labelNames: ['subgraph'],
      registers,
    });
    // Read when scraped, so it grows between retries instead of standing still.
    const metrics = this;
    this.oldestDeadLetterAge = new Gauge({
      name: 'fedsearch_dead_letter_oldest_age_seconds',
      help: 'Seconds since the oldest dead letter waiting for an automatic retry first failed (0: none waiting)',
      registers,
      collect() {
        this.set(metrics.oldestFirstFailedAtMs === null ? 0 : Math.max(0, (Date.now() - metrics.oldestFirstFailedAtMs) / 1000));
      },
    });
    this.deadLetterRetries = new Counter({
      name: 'fedsearch_dead_letter_retries_total',
      help: 'Automatic retries of dead letters, by outcome: recovered (document written), failed_again (back to wait), gave_up (left for replay)',
      labelNames: ['outcome'],
      registers,
    });
  }

  /** Subscribes these metrics to the stages' events; returns the function that unsubscribes. */
  observe(events: PipelineEvents): () => void {
    const unsubscribe = [
      events.on('enrich.batch', ({ messages }) => this.batchMessages.observe({ stage: 'enrich' }, messages)),
      events.on('enrich.events', ({ topic, decoded, undecodable }) => {
        if (decoded > 0) this.eventsIn.inc({ topic, outcome: 'decoded' }, decoded);
        if (undecodable > 0) this.eventsIn.inc({ topic, outcome: 'undecodable' }, undecodable);
      }),
      events.on('enrich.skipped', ({ topic, reason, count }) => this.eventsSkipped.inc({ topic, reason }, count)),
      events.on('enrich.reverse_lookup', ({ entityType, found, added, second }) => {
        if (!second) this.reverseLookupFanout.observe({ entity_type: entityType }, found);
        else if (added > 0) this.reverseLookupLate.inc({ entity_type: entityType }, added);
      }),
      events.on('enrich.index_refresh', () => this.forcedRefreshes.inc()),
      events.on('enrich.fetched', (counts) => {
        for (const result of ['found', 'missing', 'failed'] as const) if (counts[result] > 0) this.documentsFetched.inc({ result }, counts[result]);
      }),
      events.on('enrich.gateway_request', ({ ms, ok }) => this.gatewayLatency.observe({ outcome: ok ? 'ok' : 'error' }, ms / 1000)),
      events.on('enrich.subgraph_errors', ({ faults }) => {
        for (const { subgraph, code } of faults) this.subgraphErrors.inc({ subgraph, code });
      }),
      events.on('enrich.subgraph_fetch', ({ subgraph, ms }) => this.subgraphFetchLatency.observe({ subgraph }, ms / 1000)),
      events.on('enrich.gateway_retry', ({ reason }) => this.retries.inc({ stage: 'enrich', reason })),
      events.on('enrich.produce', ({ documents }) => this.documentsPerProduce.observe(documents)),
      events.on('sink.batch', ({ messages }) => this.batchMessages.observe({ stage: 'sink' }, messages)),
      events.on('sink.written', (written) => {
        for (const operation of ['index', 'delete'] as const) {
          for (const [result, count] of Object.entries(written[operation])) if (count > 0) this.documentsWritten.inc({ operation, result }, count);
        }
        for (const seconds of written.endToEndSeconds) this.endToEndLatency.observe(seconds);
      }),
      events.on('sink.retry', ({ reason, count }) => this.retries.inc({ stage: 'sink', reason }, count)),
      events.on('dead_letters', ({ stage, kind, count }) => this.deadLetters.inc({ stage, kind }, count)),
      events.on('dead_letters.waiting', ({ bySubgraph, oldestFirstFailedAtMs }) => {
        // A subgraph with none waiting any more reads 0 rather than vanishing (an alert sees it clear).
        for (const subgraph of this.waitingSubgraphs) if (!bySubgraph.has(subgraph)) this.deadLettersWaiting.set({ subgraph }, 0);
        for (const subgraph of bySubgraph.keys()) this.waitingSubgraphs.add(subgraph);
        for (const [subgraph, count] of bySubgraph) this.deadLettersWaiting.set({ subgraph }, count);
        this.oldestFirstFailedAtMs = oldestFirstFailedAtMs;
      }),
      events.on('dead_letters.retried', ({ outcome, count }) => this.deadLetterRetries.inc({ outcome }, count)),
      events.on('pipeline.paused', ({ reason }) => {
        for (const each of PAUSE_REASONS) this.paused.set({ reason: each }, each === reason ? 1 : 0);
      }),
      events.on('pipeline.resumed', () => {
        for (const reason of PAUSE_REASONS) this.paused.set({ reason }, 0);
      }),
      events.on('pipeline.needs_reindex', ({ fields }) => this.needsReindex.set(fields)),
      events.on('consumer.lag', ({ group, topic, partition, lag }) => this.consumerLag.set({ group, topic, partition: String(partition) }, lag)),
    ];
    return () => {
      for (const off of unsubscribe) off();
    };
  }
}
