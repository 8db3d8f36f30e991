import type { Admin, Kafka } from '../clients/kafkajs.ts';
import { kafkaClient } from '../clients/kafkaClient.ts';
import { asInfrastructureError, InfrastructureError } from '../errors.ts';
import type { LoadedIndex } from '../index/loadIndex.ts';
import { createLogger } from '../logger.ts';
import { ResourceStack } from './resourceStack.ts';
import { ReindexTargetWatch } from './reindexTargetWatch.ts';
import { GroupCatchUp } from './consumerGroupProgress.ts';
import type { Enricher } from './enricher.ts';
import { enricherOn, openEnricherServices, PIPELINE_PRODUCER } from './enricherResources.ts';
import { EnrichStage } from './enrichStage.ts';
import { DeadLetterRecovery } from './deadLetterRecovery.ts';
import { DeadLetterWatch } from './deadLetterWatch.ts';
import { metricsPort, startMetricsServer } from './metricsServer.ts';
import { PipelineEvents } from './pipelineEvents.ts';
import { PipelineMetrics } from './pipelineMetrics.ts';
import { pipelineTopology, type PipelineTopology } from '../index/pipelineTopology.ts';
import { SinkStage } from './sinkStage.ts';
import { sinkDecodingFor } from './sinkDecoding.ts';
import { GraphWatch, rejectionCause } from './graphWatch.ts';
import { SchemaGuard } from './schemaGuard.ts';
import type { SharedClients } from './sharedClients.ts';
import { StageConsumers } from './stageConsumers.ts';

/** How long a stopping pipeline lets the enrich stage's background second lookups finish and commit. */
const DRAIN_TIMEOUT_MS = 15_000;

/** Where /metrics listens unless told otherwise; a second indexer on the host gets any free port. */
export const DEFAULT_PIPELINE_METRICS_PORT = 9464;

export type PipelineStage = 'enrich' | 'sink' | 'all';

/** What /healthz says of one pipeline. */
export interface PipelineHealth {
  ok: boolean;
  status?: string;
  detail: Record<string, unknown>;
}

/**
 * One index of a `run` process carrying many: it borrows the process's clients and is served by
 * the process's /metrics and /healthz (at `metricsUrl`) instead of a server of its own.
 */
export interface SharedProcess {
  clients: SharedClients;
  metricsUrl: string;
}

export interface RunningPipeline {
  metricsUrl: string;
  /** Its metrics (labelled with the index), for a process serving many pipelines' registries. */
  metrics: PipelineMetrics;
  /** What /healthz says of it now. */
  health(): PipelineHealth;
  topology: PipelineTopology;
  /** Waits until the sink group has committed everything on the documents topic so far. */
  sinkCaughtUp(timeoutMs?: number): Promise<void>;
  /** The enrichment the enrich stage runs (a test or `audit --repair` enriches ids with it). */
  enrich: Enricher;
  /** Drains the in-flight batches, commits, and disconnects. */
  stop(): Promise<void>;
}

/** Wires the pipeline for a loaded index and starts the requested stages' consumers. */
export async function runPipeline(
  loaded: LoadedIndex,
  options: { stage: PipelineStage; metricsPort?: number; consume?: boolean; shared?: SharedProcess },
): Promise<RunningPipeline> {
  const { config } = loaded;
  const logger = createLogger(config.index, `pipeline-${options.stage}`);
  const topology = pipelineTopology(loaded);
  const consume = options.consume ?? true;
  const resources = new ResourceStack();
  try {
    const shared = options.shared?.clients;
    const kafka = shared ? shared.kafka(config.kafka) : kafkaClient(config.kafka);
    // One producer and one admin per broker list serve every index of a `run` of many (sharedClients.ts).
    const sharedAdmin = shared ? (): Promise<Admin> => shared.admin(config.kafka) : undefined;
    const sharedProducer = shared ? await shared.producer(config.kafka, PIPELINE_PRODUCER) : undefined;
    const services = await openEnricherServices(loaded, resources, logger, kafka, shared?.elasticsearch(config.elasticsearch), sharedProducer);
    const { elasticsearch, codec, metadata, deadLetters } = services;
    const events = new PipelineEvents();
    const metrics = new PipelineMetrics(config.index, { processMetrics: shared === undefined });
    metrics.observe(events);
    const sinkProgress = resources.add('the offsets admin', new SinkProgress(kafka, topology, sharedAdmin), (progress) => progress.close());
    const enriching = consume && options.stage !== 'sink';
    // Pause instead of failing when the graph changes under the query (enrich stage only: the
    // sink never asks the graph). Its stage is known once made; the guard only calls it later.
    let enrich: EnrichStage | undefined;
    let stopRecovery = (): void => {};
    const graph = shared
      ? new GraphWatch(loaded, logger, (gateway) => shared.gatewayGraph(gateway, (config.pipeline.graphCheckSeconds * 1000) / 2))
      : new GraphWatch(loaded, logger);
    const guard = new SchemaGuard({
      checkGraph: () => graph.check(),
      causeOf: (rejection) => rejectionCause(rejection, loaded.supergraph),
      pauseConsuming: () => enrich?.pauseConsuming(),
      resumeConsuming: () => enrich?.resumeConsuming(),
      events,
      logger,
      recheckMs: config.pipeline.graphCheckSeconds * 1000,
    });
    const gatewayAgent = shared && config.gateway.url !== null ? shared.gatewayAgent(config.gateway.url, config.pipeline.concurrency) : undefined;
    const enricher = enricherOn(loaded, services, resources, events, logger, { ...(enriching ? { schemaGate: guard } : {}), ...(gatewayAgent ? { gatewayAgent } : {}) });
    enrich = new EnrichStage({ enricher, topology, events, logger, sinkCaughtUp: (timeoutMs) => sinkProgress.caughtUp(timeoutMs) });
    const reindexTarget = resources.add(
      'the reindex target watch',
      // A `run` of many indexes gathers its sinks' target reads (undefined: the watch reads its own).
      new ReindexTargetWatch(elasticsearch, config.index, metadata, logger, (latest) => codec.learn(latest.avroSchemas), shared ? (index) => shared.reindexTargets(config.elasticsearch).read(index) : undefined),
      (watch) => watch.stop(),
    );
    const sinking = consume && options.stage !== 'enrich';
    const decoding = sinking ? sinkDecodingFor(codec, config.pipeline.workers, resources, logger) : undefined;
    const sink = new SinkStage({ topology, elasticsearch, codec, deadLetters, events, logger, extraTargets: () => reindexTarget.targets(), ...(decoding ? { decoding } : {}) });

    const consumers = resources.add('the stage consumers', new StageConsumers(kafka, logger), (stages) => stages.stop());
    if (enriching) {
      const stage = enrich;
      await requireTopics(kafka, stage.topics, config.sourceFile, sharedAdmin);
      await consumers.start(topology.enrichGroup, (consumer) => stage.run(consumer));
      resources.add('the graph check', guard, (started) => started.stop()).start();
      if (config.pipeline.retryDeadLetters.enabled) {
        const recovery = new DeadLetterRecovery({
          // No retries inside a retry, and no outage waited out: the letter's schedule is the backoff.
          enricher: enricherOn(withoutInnerRetries(loaded), services, resources, events, logger),
          producer: services.producer,
          topic: topology.dlqTopic,
          settings: config.pipeline.retryDeadLetters,
          batchSize: config.pipeline.batchSize,
          events,
          logger,
        });
        const startRetries = (): Promise<void> => consumers.start(loaded.names.recoverGroup, (consumer) => recovery.run(consumer));
        if (sharedAdmin) {
          // In a `run` of many indexes, the recover group joins only once there are letters to retry (deadLetterWatch.ts).
          const watch = resources.add(
            'the dead-letter watch',
            new DeadLetterWatch({ admin: sharedAdmin, topic: topology.dlqTopic, groupId: loaded.names.recoverGroup, startRetries, logger }).start(),
            (started) => started.stop(),
          );
          stopRecovery = () => {
            void watch.stop();
            recovery.stop();
          };
        } else {
          stopRecovery = () => recovery.stop();
          await startRetries();
        }
      }
    }
    if (sinking) {
      await consumers.start(topology.sinkGroup, (consumer) => {
        // A backfill building a new version waits for this member id's acknowledgement of it.
        consumer.on(consumer.events.GROUP_JOIN, (event) => reindexTarget.joined(event.payload.memberId));
        return sink.run(consumer);
      });
    }
    const health = (): PipelineHealth => {
      const { paused, needsReindex, graphWarnings } = guard.status;
      return {
        ok: consumers.crashed.length === 0 && paused === null,
        // A crashed consumer is the worse news; a paused pipeline is healthy but not indexing.
        ...(consumers.crashed.length === 0 && paused !== null ? { status: 'paused' } : {}),
        detail: {
          stage: options.stage,
          consumers: consumers.count,
          crashed: consumers.crashed,
          restarts: consumers.restarts,
          ...(paused !== null ? { paused } : {}),
          ...(needsReindex.length > 0 ? { needsReindex } : {}),
          ...(graphWarnings.length > 0 ? { graphWarnings } : {}),
        },
      };
    };
    const metricsUrl = options.shared
      ? options.shared.metricsUrl
      : resources.add(
          'the metrics server',
          await startMetricsServer(metrics, metricsPort(options.metricsPort ?? config.pipeline.metricsPort, DEFAULT_PIPELINE_METRICS_PORT), health),
          (started) => started.close(),
        ).url;
    logger.info({ stage: options.stage, metrics: `${metricsUrl}/metrics`, topics: enrich.topics }, 'pipeline running');
    return {
      metricsUrl,
      metrics,
      health,
      topology,
      enrich: enricher,
      sinkCaughtUp: (timeoutMs) => sinkProgress.caughtUp(timeoutMs),
      async stop() {
        // A stage crash-looping is not started again while the rest stops.
        consumers.stopRestarting();
        // The dead-letter retries stop waiting; what they did not resolve is read again next run.
        stopRecovery();
        // Fetches waiting out a pause go up (their batches are read again next run), so the drain does not wait for them.
        guard.stop();
        // The enrich stage's second lookups run beside its consumer: they finish and commit
        // first, while the sink (which they wait for) still runs. Then newest first: the
        // consumers' disconnect lets the batch in flight finish (and commit) while the producer,
        // the offsets admin and Elasticsearch are still there for it.
        try {
          if (consume && options.stage !== 'sink') await enrich.drain(DRAIN_TIMEOUT_MS);
        } catch (error) {
          // A consumer that crashed cannot be paused; what it did not commit is read again at the
          // next start. Everything must still close, or its connections keep the process alive.
          logger.warn({ err: error }, 'the enrich stage could not drain; what it did not commit is read again at the next start');
        }
        await resources.closeAll();
        logger.info('pipeline stopped');
      },
    };
  } catch (error) {
    // Whatever started must stop, or the open connections keep the process alive.
    await resources.closeAll({ quietly: true });
    throw asInfrastructureError(error, `starting the pipeline for ${config.index}`);
  }
}

/**
 * "Has the sink caught up?" over one admin connection and one shared poll: the enrich stage asks
 * for each batch of related-entity events (many at once, in the background), and a connection
 * or a poll per ask would load the group coordinator. Connected on first use; a failed connect is
 * tried again at the next poll.
 */
class SinkProgress {
  private admin: Promise<Admin> | undefined;
  private readonly catchUp: GroupCatchUp;

  constructor(
    private readonly kafka: Kafka,
    topology: PipelineTopology,
    /** The process's admin (`run` of many indexes): borrowed, never disconnected here. */
    borrowed?: () => Promise<Admin>,
  ) {
    this.catchUp = new GroupCatchUp(borrowed ?? (() => this.connected()), topology.sinkGroup, topology.documentsTopic);
  }

  caughtUp(timeoutMs = 600_000): Promise<void> {
    return this.catchUp.caughtUp(timeoutMs);
  }

  async close(): Promise<void> {
    // Only an admin of its own was ever connected here.
    const admin = await this.admin?.catch(() => undefined);
    await admin?.disconnect();
  }

  private connected(): Promise<Admin> {
    this.admin ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })().catch((error: unknown) => {
      this.admin = undefined;
      throw error;
    });
    return this.admin;
  }
}

/** The index as the dead-letter retries fetch it: one attempt per due letter, whole-request failures not waited out. */
function withoutInnerRetries(loaded: LoadedIndex): LoadedIndex {
  return { ...loaded, config: { ...loaded.config, pipeline: { ...loaded.config.pipeline, retries: 0, outageToleranceSeconds: 0 } } };
}

/** The source topics belong to the teams that publish them; say clearly which ones are missing. */
async function requireTopics(kafka: Kafka, topics: string[], configFile: string, sharedAdmin?: () => Promise<Admin>): Promise<void> {
  const admin = sharedAdmin ? await sharedAdmin() : kafka.admin();
  if (!sharedAdmin) await admin.connect();
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
    if (!sharedAdmin) await admin.disconnect();
  }
}
