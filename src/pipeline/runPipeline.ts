import type { Client } from '@elastic/elasticsearch';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import { elasticsearchClient } from '../clients/elasticsearchClient.ts';
import { kafkaClient } from '../clients/kafkaClient.ts';
import { asInfrastructureError, InfrastructureError, UserError } from '../errors.ts';
import { generateAvroSchema } from '../generate/generateAvroSchema.ts';
import type { LoadedIndex } from '../index/loadIndex.ts';
import { createLogger, type Logger } from '../logger.ts';
import { readIndexMetadata } from '../index/indexMetadata.ts';
import { ReindexTargetWatch } from './reindexTargetWatch.ts';
import { waitForGroup } from './consumerGroupProgress.ts';
import { KAFKA_CONSUMER_RETRIES } from '../retryPolicy.ts';
import { avroFingerprint } from '../index/stableHash.ts';
import { DeadLetterQueue } from './deadLetters.ts';
import { DocumentCodec } from './documentCodec.ts';
import { EnrichStage } from './enrichStage.ts';
import { GatewayFetcher } from './gatewayFetcher.ts';
import { startMetricsServer, type MetricsServer } from './metricsServer.ts';
import { PipelineMetrics } from './pipelineMetrics.ts';
import { pipelineTopology, type PipelineTopology } from '../index/pipelineTopology.ts';
import { SinkStage } from './sinkStage.ts';

export type PipelineStage = 'enrich' | 'sink' | 'all';

export interface RunningPipeline {
  metricsUrl: string;
  topology: PipelineTopology;
  /** Waits until the sink group has committed everything on the documents topic so far. */
  sinkCaughtUp(timeoutMs?: number): Promise<void>;
  /** The enrich stage (for backfill and replay, which reuse its enrichment). */
  enrich: EnrichStage;
  /** Drains the in-flight batches, commits, and disconnects. */
  stop(): Promise<void>;
}

/** Wires the pipeline for a loaded index and starts the requested stages' consumers. */
export async function runPipeline(
  loaded: LoadedIndex,
  options: { stage: PipelineStage; metricsPort?: number; consume?: boolean },
): Promise<RunningPipeline> {
  const { config } = loaded;
  const logger = createLogger(config.index, `pipeline-${options.stage}`);
  const topology = pipelineTopology(loaded);
  const elasticsearch = elasticsearchClient(config.elasticsearch);
  const metadata = await readIndexMetadata(elasticsearch, config.index);
  if (!metadata) throw new UserError(`${config.index} is not provisioned yet: run \`fedsearch provision ${config.sourceFile}\` first`);
  const fingerprint = avroFingerprint(generateAvroSchema(loaded.shape, config).schema);
  if (!(fingerprint in metadata.avroSchemas)) {
    throw new UserError(
      `the query of ${config.sourceFile} changed since ${config.index} was provisioned: run \`fedsearch provision ${config.sourceFile}\` first`,
    );
  }
  const codec = DocumentCodec.fromMetadata(metadata, fingerprint);
  const metrics = new PipelineMetrics(config.index);
  const kafka = kafkaClient(config.kafka);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const deadLetters = new DeadLetterQueue(producer, topology.dlqTopic);
  const fetcher = new GatewayFetcher(
    { gateway: config.gateway, template: loaded.query, pipeline: config.pipeline },
    {
      onRequest: (ms, ok) => metrics.gatewayLatency.observe({ outcome: ok ? 'ok' : 'error' }, ms / 1000),
      onRetry: (reason) => metrics.retries.inc({ stage: 'enrich', reason }),
    },
  );
  const consume = options.consume ?? true;
  // One admin connection serves every "has the sink caught up?" wait: the enrich stage asks after
  // each batch of related-entity events, and a connection per ask would be a connect and
  // disconnect per batch. Connected on first use; a failed connect is tried again next time.
  let offsetsAdmin: Promise<Admin> | undefined;
  const connectedAdmin = (): Promise<Admin> => {
    offsetsAdmin ??= connectAdmin(kafka).catch((error: unknown) => {
      offsetsAdmin = undefined;
      throw error;
    });
    return offsetsAdmin;
  };
  const sinkCaughtUp = async (timeoutMs = 600_000, onPoll?: () => Promise<void>): Promise<void> =>
    waitForGroup(await connectedAdmin(), topology.sinkGroup, topology.documentsTopic, timeoutMs, onPoll);
  const disconnectAdmin = async (): Promise<void> => {
    const admin = await offsetsAdmin?.catch(() => undefined);
    await admin?.disconnect();
  };
  const enrich = new EnrichStage({
    loaded,
    topology,
    elasticsearch,
    fetcher,
    producer,
    codec,
    deadLetters,
    metrics,
    logger,
    sinkCaughtUp,
  });
  const reindexTarget = new ReindexTargetWatch(elasticsearch, config.index, metadata.reindexTarget ?? null, logger);
  const sink = new SinkStage({
    topology,
    elasticsearch,
    codec,
    deadLetters,
    metrics,
    logger,
    extraTargets: () => reindexTarget.targets(),
  });

  const consumers: Consumer[] = [];
  const crashed: string[] = [];
  let server: MetricsServer;
  try {
    if (consume && options.stage !== 'sink') await requireTopics(kafka, enrich.topics, config.sourceFile);
    const startConsumer = async (groupId: string, run: (consumer: Consumer) => Promise<void>): Promise<void> => {
      const consumer = kafka.consumer({ groupId, sessionTimeout: 30_000, heartbeatInterval: 3_000, retry: { retries: KAFKA_CONSUMER_RETRIES } });
      consumer.on(consumer.events.CRASH, (event) => {
        logger.error({ groupId, err: event.payload.error, restart: event.payload.restart }, 'consumer crashed');
        if (!event.payload.restart) crashed.push(groupId);
      });
      consumers.push(consumer);
      await consumer.connect();
      await run(consumer);
    };
    if (consume && options.stage !== 'sink') await startConsumer(topology.enrichGroup, (consumer) => enrich.run(consumer));
    if (consume && options.stage !== 'enrich') {
      await startConsumer(topology.sinkGroup, (consumer) => {
        // A backfill building a new version waits for this member id's acknowledgement of it.
        consumer.on(consumer.events.GROUP_JOIN, (event) => reindexTarget.joined(event.payload.memberId));
        return sink.run(consumer);
      });
    }
    server = await startMetricsServer(metrics, options.metricsPort ?? config.pipeline.metricsPort, () => ({
      ok: crashed.length === 0,
      detail: { stage: options.stage, consumers: consumers.length, crashed },
    }));
  } catch (error) {
    // Whatever started must stop, or the open connections keep the process alive.
    for (const consumer of consumers) await consumer.disconnect().catch(() => undefined);
    await disconnectAdmin().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    reindexTarget.stop();
    await elasticsearch.close();
    throw asInfrastructureError(error, `starting the pipeline for ${config.index}`);
  }
  logger.info({ stage: options.stage, metrics: `${server.url}/metrics`, topics: enrich.topics }, 'pipeline running');

  return {
    metricsUrl: server.url,
    topology,
    enrich,
    sinkCaughtUp: (timeoutMs) => sinkCaughtUp(timeoutMs),
    async stop() {
      // disconnect() lets the batch in flight finish (and commit) before leaving the group.
      for (const consumer of consumers) await consumer.disconnect();
      await disconnectAdmin();
      reindexTarget.stop();
      await producer.disconnect();
      await server.close();
      await elasticsearch.close();
      logger.info('pipeline stopped');
    },
  };
}

async function connectAdmin(kafka: Kafka): Promise<Admin> {
  const admin = kafka.admin();
  await admin.connect();
  return admin;
}

/** The source topics belong to the teams that publish them; say clearly which ones are missing. */
async function requireTopics(kafka: Kafka, topics: string[], configFile: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      throw new InfrastructureError(
        `the event topic(s) ${missing.join(', ')} named in ${configFile} do not exist on the brokers; ` +
          'create them (or start the services that publish them) and run again',
      );
    }
  } finally {
    await admin.disconnect();
  }
}
