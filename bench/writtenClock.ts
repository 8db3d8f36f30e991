import type { Client } from '@elastic/elasticsearch';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Resolves with the time (performance.now()) at which `index` (an index or alias) had `count`
 * index operations acknowledged in all, read from its indexing stats every `everyMs`: when the
 * last document was written, before a refresh made it searchable. Elasticsearch refreshes an
 * index once a second, so "searchable" comes up to a second after "written" whatever the writer:
 * a bench that reports both tells the writer's time from the wait for the refresh.
 */
export async function whenWritten(es: Client, index: string, count: number, options: { everyMs?: number; timeoutMs?: number } = {}): Promise<number> {
  const { everyMs = 50, timeoutMs = 1_800_000 } = options;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const stats = await es.indices.stats({ index, metric: 'indexing' });
    const written = Object.values(stats.indices ?? {}).reduce((sum, one) => sum + (one.primaries?.indexing?.index_total ?? 0), 0);
    if (written >= count) return performance.now();
    if (performance.now() > deadline) throw new Error(`${index}: ${written} of ${count} documents written after ${timeoutMs / 1000}s`);
    await sleep(everyMs);
  }
}
