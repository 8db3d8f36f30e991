import { kafkaClient } from '../clients/kafkaClient.ts';
import type { LoadedIndex } from '../index/loadIndex.ts';
import { pipelineTopology } from '../index/pipelineTopology.ts';
import { documentsWriter, type DocumentsWriter } from './documentsWriter.ts';
import { startEnricher, type RunningEnricher } from './enricherResources.ts';
import { readLiveWork, type LiveWork } from './liveWork.ts';
import { runPipeline } from './runPipeline.ts';

/** An Enricher of its own, what writes its documents, and what the live pipeline has pending. */
export interface EnricherAndSink {
  enricher: RunningEnricher;
  sink: DocumentsWriter;
  /** What the index's live pipeline (in any process) has not done yet, read from Kafka. */
  liveWork(): Promise<LiveWork>;
}

/**
 * An Enricher of its own and what writes its documents, for work that feeds ids in itself (a
 * backfill, an audit's repair): the enricher produces the documents; the index's running sinks
 * write them, or a sink of its own when none runs (documentsWriter.ts says why it never joins a
 * live sink group). `documentsFor`: a reindex's version, the only one its documents are written to.
 */
export async function startEnricherAndSink(loaded: LoadedIndex, component: string, options: { documentsFor?: string | null } = {}): Promise<EnricherAndSink> {
  const enricher = await startEnricher(loaded, { component, clientIdSuffix: `-${component}`, documentsFor: options.documentsFor ?? null });
  const admin = kafkaClient(loaded.config.kafka, `-${component}`).admin();
  try {
    await admin.connect();
    const { sinkGroup, documentsTopic, enrichGroup, sources } = pipelineTopology(loaded);
    const writer = await documentsWriter({
      liveSinks: async () => (await admin.describeGroups([sinkGroup])).groups[0]?.members.length ?? 0,
      offsets: admin,
      sinkGroup,
      documentsTopic,
      startOwnSink: () => runPipeline(loaded, { stage: 'sink', metricsPort: 0 }),
    });
    const sink: DocumentsWriter = {
      get via() {
        return writer.via;
      },
      sinkCaughtUp: (timeoutMs) => writer.sinkCaughtUp(timeoutMs),
      async stop() {
        try {
          await writer.stop();
        } finally {
          await admin.disconnect();
        }
      },
    };
    const eventTopics = [...new Set(sources.map((source) => source.topic))];
    return { enricher, sink, liveWork: () => readLiveWork(admin, { enrichGroup, eventTopics, sinkGroup, documentsTopic }) };
  } catch (error) {
    await admin.disconnect().catch(() => undefined);
    await enricher.close().catch(() => undefined);
    throw error;
  }
}
