import type { Client } from '@elastic/elasticsearch';
import type { Dispatcher } from 'undici';
import type { Kafka, Producer, ProducerConfig } from '../clients/kafkajs.ts';
import { elasticsearchClient } from '../clients/elasticsearchClient.ts';
import { kafkaClient } from '../clients/kafkaClient.ts';
import { asInfrastructureError, UserError } from '../errors.ts';
import { generateAvroSchema } from '../generate/generateAvroSchema.ts';
import { readIndexMetadata, type IndexMetadata } from '../index/indexMetadata.ts';
import type { LoadedIndex } from '../index/loadIndex.ts';
import { pipelineTopology } from '../index/pipelineTopology.ts';
import { responsePathOwners, type ResponsePathOwners } from '../graph/responsePathOwners.ts';
import { avroFingerprint } from '../index/stableHash.ts';
import { createLogger, type Logger } from '../logger.ts';
import { DeadLetterQueue } from './deadLetters.ts';
import { DocumentCodec } from './documentCodec.ts';
import { Enricher } from './enricher.ts';
import { GatewayFetcher, type GatewayFetcherHooks, type GatewayFetcherOptions } from './gatewayFetcher.ts';
import type { GatewayTransport } from './gatewayTransport.ts';
import { PipelineEvents } from './pipelineEvents.ts';
import { ResourceStack } from './resourceStack.ts';
import { startTracing } from '../tracing/startTracing.ts';
import type { SchemaGate } from './schemaGuard.ts';

/** What an Enricher writes with, shared with a sink in the same process (runPipeline). */
export interface EnricherServices {
  elasticsearch: Client;
  codec: DocumentCodec;
  metadata: IndexMetadata;
  producer: Producer;
  deadLetters: DeadLetterQueue;
}

/** The documents' and dead letters' producer: idempotent, so a retried send writes nothing twice. */
export const PIPELINE_PRODUCER: ProducerConfig = { idempotent: true, maxInFlightRequests: 1 };

/**
 * Opens what an Enricher needs besides its fetcher — the Elasticsearch client (reverse lookups),
 * the documents topic's codec (once the index is provisioned with this query's schema), an
 * idempotent producer and the dead-letter queue — each closed with `resources`.
 */
export async function openEnricherServices(
  loaded: LoadedIndex,
  resources: ResourceStack,
  logger: Logger,
  kafka = kafkaClient(loaded.config.kafka),
  /** The process's client for this cluster (`run` of many indexes): borrowed, not closed with `resources`. */
  sharedElasticsearch?: Client,
  /** The process's producer for these brokers (`run` of many indexes), connected: borrowed, not closed with `resources`. */
  sharedProducer?: Producer,
): Promise<EnricherServices> {
  const { config } = loaded;
  const topology = pipelineTopology(loaded);
  // First in, so last out: the spans of everything closed after it are exported.
  const tracing = await startTracing();
  if (tracing) {
    resources.add('the trace exporter', tracing, (started) => started.shutdown());
    logger.info({ exporter: tracing.exporter }, 'traces on (OTEL_* environment variables)');
  }
  const elasticsearch = sharedElasticsearch ?? resources.add('the Elasticsearch client', elasticsearchClient(config.elasticsearch), (client) => client.close());
  const { codec, metadata } = await documentCodec(elasticsearch, loaded);
  const producer = sharedProducer ?? (await ownProducer(kafka, resources));
  const deadLetters = new DeadLetterQueue(producer, topology.dlqTopic, ({ letter, refusal }) =>
    logger.error(
      { ...letter.source, kind: letter.kind, entityId: letter.entityId, reason: letter.reason },
      `dead letter written as a bounded stand-in (${refusal}); the original stays at its source. ` +
        `\`fedsearch provision ${config.sourceFile}\` sets ${topology.dlqTopic}'s max.message.bytes to hold any source message`,
    ),
  );
  return { elasticsearch, codec, metadata, producer, deadLetters };
}

async function ownProducer(kafka: Kafka, resources: ResourceStack): Promise<Producer> {
  const producer = resources.add('the producer', kafka.producer(PIPELINE_PRODUCER), (p) => p.disconnect());
  await producer.connect();
  return producer;
}

/** Which subgraph answers each path of the index's query: from the supergraph a fetch by key composed, or the one the config names. */
export function ownersOf(loaded: Pick<LoadedIndex, 'schema' | 'query' | 'supergraph'>): ResponsePathOwners {
  return responsePathOwners(loaded.schema, loaded.query, loaded.query.fetchByKey?.supergraphSdl ?? loaded.supergraph?.sdl ?? null);
}

/** What sets one Enricher apart from another on the same services. */
export interface EnricherOptions {
  /** With it (the live pipeline), a fetch the graph refuses waits out a pause; without (backfill, replay), its ids fail at once, with the graph's reason. */
  schemaGate?: SchemaGate;
  /** The process's keep-alive agent for the gateway's origin (`run` of many indexes). */
  gatewayAgent?: Dispatcher;
  /** A reindex's backfill: its documents are for this index version only (EnricherDeps.documentsFor). */
  documentsFor?: string;
}

/** An Enricher on open services, reporting to `events`; its gateway fetcher is closed with `resources`. */
export function enricherOn(
  loaded: LoadedIndex,
  services: EnricherServices,
  resources: ResourceStack,
  events: PipelineEvents,
  logger: Logger,
  options: EnricherOptions = {},
): Enricher {
  const { config } = loaded;
  const { schemaGate, gatewayAgent, documentsFor } = options;
  const fetcher = reportingFetcher(
    { gateway: config.gateway, template: loaded.query, pipeline: config.pipeline, owners: ownersOf(loaded), ...(gatewayAgent ? { gatewayAgent } : {}) },
    events,
    schemaGate ? { schemaGate } : {},
  );
  resources.add('the graph fetcher', fetcher, (opened) => opened.close());
  return new Enricher({ loaded, topology: pipelineTopology(loaded), ...services, fetcher, events, logger, ...(documentsFor ? { documentsFor } : {}) });
}

/** The gateway client, reporting each request and retry to `events` (a test passes a fake transport and a sleep that does not wait). */
export function reportingFetcher(
  options: GatewayFetcherOptions,
  events: PipelineEvents,
  overrides: { transport?: GatewayTransport; sleep?: GatewayFetcherHooks['sleep']; schemaGate?: SchemaGate } = {},
): GatewayFetcher {
  return new GatewayFetcher(
    options,
    {
      onRequest: (ms, ok, entities) => events.emit('enrich.gateway_request', { ms, ok, entities }),
      onRetry: (reason) => events.emit('enrich.gateway_retry', { reason }),
      onFaults: (faults) => events.emit('enrich.subgraph_errors', { faults }),
      onSubgraphFetch: (subgraph, ms) => events.emit('enrich.subgraph_fetch', { subgraph, ms }),
      ...(overrides.sleep ? { sleep: overrides.sleep } : {}),
      ...(overrides.schemaGate ? { schemaGate: overrides.schemaGate } : {}),
    },
    overrides.transport,
  );
}

/** An Enricher of its own (backfill, replay), with what it opened. */
export interface RunningEnricher {
  enricher: Enricher;
  /** Its lookups, fetches, produce requests and dead letters, for a subscriber (metrics). */
  events: PipelineEvents;
  /** Closes the fetcher, the producer and the Elasticsearch client. */
  close(): Promise<void>;
}

/**
 * Starts an Enricher for a command that enriches ids outside the live pipeline (backfill,
 * replay): the same decode → look up → fetch → produce, on connections of its own.
 */
export async function startEnricher(
  loaded: LoadedIndex,
  options: { component: string; clientIdSuffix?: string; documentsFor?: string | null },
): Promise<RunningEnricher> {
  const { config } = loaded;
  const logger = createLogger(config.index, options.component);
  const resources = new ResourceStack();
  try {
    const services = await openEnricherServices(loaded, resources, logger, kafkaClient(config.kafka, options.clientIdSuffix));
    const events = new PipelineEvents();
    const enricher = enricherOn(loaded, services, resources, events, logger, options.documentsFor ? { documentsFor: options.documentsFor } : {});
    return { enricher, events, close: () => resources.closeAll() };
  } catch (error) {
    // Whatever started must stop, or the open connections keep the process alive.
    await resources.closeAll({ quietly: true });
    throw asInfrastructureError(error, `starting the enrichment of ${config.index}`);
  }
}

/** The codec for the documents topic, once the index is provisioned with this query's schema. */
async function documentCodec(elasticsearch: Client, loaded: LoadedIndex): Promise<{ codec: DocumentCodec; metadata: IndexMetadata }> {
  const { config } = loaded;
  const metadata = await readIndexMetadata(elasticsearch, config.index);
  if (!metadata) throw new UserError(`${config.index} is not provisioned yet: run \`fedsearch provision ${config.sourceFile}\` first`);
  const fingerprint = avroFingerprint(generateAvroSchema(loaded.shape, config).schema);
  if (!(fingerprint in metadata.avroSchemas)) {
    throw new UserError(
      `the query of ${config.sourceFile} changed since ${config.index} was provisioned: run \`fedsearch provision ${config.sourceFile}\` first`,
    );
  }
  return { codec: DocumentCodec.fromMetadata(metadata, fingerprint, { maxDocumentBytes: config.pipeline.maxDocumentBytes }), metadata };
}
