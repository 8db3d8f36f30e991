import { elasticsearchClient } from '../clients/elasticsearchClient.ts';
import { enumerateIds } from '../backfill/enumerateIds.ts';
import type { LoadedIndex } from '../index/loadIndex.ts';
import { GatewayFetcher } from '../pipeline/gatewayFetcher.ts';
import { runPipeline } from '../pipeline/runPipeline.ts';
import { stableHash } from '../index/stableHash.ts';
import { indexedIds } from './indexedIds.ts';

export interface AuditOptions {
  /** Compare the content of every document, not a sample. */
  full: boolean;
  /** How many documents to compare when not `full`. */
  sample: number;
  /** Re-enqueue every id that differs, then check those ids again. */
  repair: boolean;
}

export interface AuditReport {
  graph: number;
  indexed: number;
  /** In the graph, not in the index. */
  missing: string[];
  /** In the index, not in the graph. */
  extra: string[];
  /** Documents compared with what the gateway returns now. */
  compared: number;
  /** Index content differs from the gateway's. */
  stale: string[];
  /** With repair: ids re-enqueued, and how many still differ afterwards. */
  repaired: number;
  stillDifferent: string[];
}

/**
 * The index against the source of truth: the set of ids (the graph's list field vs the index,
 * both paged), and the content of a sample of documents (or all) against a fresh gateway fetch,
 * compared by hash. With `repair`, every id that differs goes through the pipeline again.
 */
export async function runAudit(loaded: LoadedIndex, options: AuditOptions): Promise<AuditReport> {
  const { config } = loaded;
  const elasticsearch = elasticsearchClient(config.elasticsearch);
  try {
    const graphIds = new Set<string>();
    for await (const page of enumerateIds(config)) for (const id of page.ids) graphIds.add(id);
    const indexIds = await indexedIds(elasticsearch, config.index);
    const missing = [...graphIds].filter((id) => !indexIds.has(id)).sort();
    const extra = [...indexIds].filter((id) => !graphIds.has(id)).sort();
    const common = [...graphIds].filter((id) => indexIds.has(id));
    const toCompare = options.full ? common : sampleOf(common, options.sample);
    const fetcher = new GatewayFetcher({ gateway: config.gateway, template: loaded.query, pipeline: config.pipeline });
    const stale = await staleAmong(toCompare, fetcher, elasticsearch, config.index);

    const report: AuditReport = {
      graph: graphIds.size,
      indexed: indexIds.size,
      missing,
      extra,
      compared: toCompare.length,
      stale,
      repaired: 0,
      stillDifferent: [],
    };
    const differing = [...missing, ...extra, ...stale];
    if (options.repair && differing.length > 0) {
      // Through the live pipeline's enrichment and sink: an extra id fetches as missing and is
      // deleted, a missing or stale one is written anew.
      const pipeline = await runPipeline(loaded, { stage: 'sink', metricsPort: 0 });
      try {
        const outcome = await pipeline.enrich.enrich(new Map(differing.map((id) => [id, null])));
        await pipeline.enrich.deadLetterFailures(outcome.failed);
        await pipeline.sinkCaughtUp();
      } finally {
        await pipeline.stop();
      }
      await elasticsearch.indices.refresh({ index: config.index });
      report.repaired = differing.length;
      const present = await elasticsearch.mget({ index: config.index, ids: [...missing, ...extra], _source: false });
      const presentIds = new Set(present.docs.filter((doc) => 'found' in doc && doc.found).map((doc) => doc._id));
      report.stillDifferent = [
        ...missing.filter((id) => !presentIds.has(id)),
        ...extra.filter((id) => presentIds.has(id)),
        ...(await staleAmong([...missing, ...stale].filter((id) => graphIds.has(id)), fetcher, elasticsearch, config.index)),
      ];
    }
    return report;
  } finally {
    await elasticsearch.close();
  }
}

/** Ids whose indexed document differs from what the gateway returns now (compared by hash). */
async function staleAmong(
  ids: string[],
  fetcher: GatewayFetcher,
  elasticsearch: ReturnType<typeof elasticsearchClient>,
  alias: string,
): Promise<string[]> {
  const stale: string[] = [];
  for (let start = 0; start < ids.length; start += 500) {
    const slice = ids.slice(start, start + 500);
    const [fresh, indexed] = await Promise.all([fetcher.fetch(slice), elasticsearch.mget<Record<string, unknown>>({ index: alias, ids: slice })]);
    const indexedById = new Map(indexed.docs.map((doc) => [doc._id, 'found' in doc && doc.found ? doc._source : undefined]));
    for (const id of slice) {
      const result = fresh.get(id);
      if (!result || result.kind === 'failed') continue;
      const want = result.kind === 'found' ? stableHash(result.document) : null;
      const have = indexedById.get(id);
      if (want !== (have === undefined ? null : stableHash(have))) stale.push(id);
    }
  }
  return stale;
}

/** `count` ids picked at random: audits run often, so over time every document gets compared. */
function sampleOf(ids: string[], count: number): string[] {
  if (ids.length <= count) return ids;
  const pool = [...ids];
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(Math.random() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j] as string, pool[i] as string];
  }
  return pool.slice(0, count);
}
