import type { Client } from '@elastic/elasticsearch';
import { percentile } from './percentile.ts';

/**
 * What the Elasticsearch node spent each second of a run on refreshes, indexing and searches, from
 * its node stats. A search sees a document only after a refresh of its shard, and a node runs
 * refreshes on its `refresh` thread pool — at most half its processors (one thread on a 2-core
 * machine): when the shards that want a refresh every second need more than that, their refreshes
 * queue, and a document written waits for the queue as well as for the interval.
 */
export interface ElasticsearchSecond {
  /** Epoch ms at the end of the second. */
  at: number;
  refreshes: number;
  /** Time spent refreshing (summed over refresh threads), ms. */
  refreshMs: number;
  /** Refresh tasks waiting for a thread at the end of the second. */
  refreshQueue: number;
  /** Documents indexed, and the time spent indexing them, ms. */
  indexed: number;
  indexingMs: number;
  /** Shard-level search tasks done. */
  searchTasks: number;
  /** The node's process CPU, % of one core. */
  cpuPercent: number;
}

export interface ElasticsearchLoad {
  /** The refresh pool's threads (thread_pool.refresh.max). */
  refreshThreads: number;
  seconds: ElasticsearchSecond[];
  /** Per second over the run: refresh ms (p50 / max), refresh queue (p50 / max), refreshes, CPU %. */
  summary: { refreshMsP50: number; refreshMsMax: number; refreshQueueP50: number; refreshQueueMax: number; refreshesP50: number; msPerRefresh: number; cpuPercentP50: number };
}

/** The node's counters so far (totals, not per second), and its process CPU so far, ms. */
type Reading = Omit<ElasticsearchSecond, 'cpuPercent'> & { cpuMs: number };

async function read(es: Client): Promise<Reading> {
  const stats = await es.nodes.stats({ metric: ['indices', 'thread_pool', 'process'], index_metric: ['refresh', 'indexing'] });
  const node = Object.values(stats.nodes)[0];
  if (!node) throw new Error('Elasticsearch node stats name no node');
  const refreshPool = node.thread_pool?.['refresh'];
  return {
    at: Date.now(),
    refreshes: node.indices?.refresh?.total ?? 0,
    refreshMs: node.indices?.refresh?.total_time_in_millis ?? 0,
    refreshQueue: refreshPool?.queue ?? 0,
    indexed: node.indices?.indexing?.index_total ?? 0,
    indexingMs: node.indices?.indexing?.index_time_in_millis ?? 0,
    searchTasks: node.thread_pool?.['search']?.completed ?? 0,
    cpuMs: node.process?.cpu?.total_in_millis ?? 0,
  };
}

/** Samples the node once a second until `stop()`; returns what it saw. */
export function sampleElasticsearch(es: Client): { stop: () => Promise<ElasticsearchLoad> } {
  let sampling = true;
  const seconds: ElasticsearchSecond[] = [];
  let refreshThreads = Number.NaN;
  const loop = (async () => {
    const info = await es.nodes.info({ metric: ['thread_pool'] }).catch(() => null);
    refreshThreads = Number(Object.values(info?.nodes ?? {})[0]?.thread_pool?.['refresh']?.max ?? Number.NaN);
    let previous = await read(es).catch(() => null);
    while (sampling) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const now = await read(es).catch(() => null);
      if (previous && now) {
        const elapsed = (now.at - previous.at) / 1000;
        seconds.push({
          at: now.at,
          refreshes: (now.refreshes - previous.refreshes) / elapsed,
          refreshMs: (now.refreshMs - previous.refreshMs) / elapsed,
          refreshQueue: now.refreshQueue,
          indexed: (now.indexed - previous.indexed) / elapsed,
          indexingMs: (now.indexingMs - previous.indexingMs) / elapsed,
          searchTasks: (now.searchTasks - previous.searchTasks) / elapsed,
          cpuPercent: (now.cpuMs - previous.cpuMs) / elapsed / 10,
        });
      }
      previous = now;
    }
  })();
  return {
    stop: async () => {
      sampling = false;
      await loop;
      const sorted = (pick: (second: ElasticsearchSecond) => number): number[] => seconds.map(pick).sort((a, b) => a - b);
      const refreshes = seconds.reduce((sum, second) => sum + second.refreshes, 0);
      return {
        refreshThreads,
        seconds,
        summary: {
          refreshMsP50: percentile(sorted((s) => s.refreshMs), 50),
          refreshMsMax: Math.max(0, ...seconds.map((s) => s.refreshMs)),
          refreshQueueP50: percentile(sorted((s) => s.refreshQueue), 50),
          refreshQueueMax: Math.max(0, ...seconds.map((s) => s.refreshQueue)),
          refreshesP50: percentile(sorted((s) => s.refreshes), 50),
          msPerRefresh: refreshes === 0 ? 0 : seconds.reduce((sum, second) => sum + second.refreshMs, 0) / refreshes,
          cpuPercentP50: percentile(sorted((s) => s.cpuPercent), 50),
        },
      };
    },
  };
}
