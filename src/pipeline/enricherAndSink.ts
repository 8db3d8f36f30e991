import type { LoadedIndex } from '../index/loadIndex.ts';
import { startEnricher, type RunningEnricher } from './enricherResources.ts';
import { runPipeline, type RunningPipeline } from './runPipeline.ts';

/**
 * An Enricher of its own and a sink stage, for work that feeds ids in itself (a backfill, an
 * audit's repair): the enricher produces the documents, the sink writes them like the live one.
 */
export async function startEnricherAndSink(loaded: LoadedIndex, component: string): Promise<{ enricher: RunningEnricher; sink: RunningPipeline }> {
  const enricher = await startEnricher(loaded, { component, clientIdSuffix: `-${component}` });
  try {
    return { enricher, sink: await runPipeline(loaded, { stage: 'sink', metricsPort: 0 }) };
  } catch (error) {
    await enricher.close().catch(() => undefined);
    throw error;
  }
}
