import type { Client } from '@elastic/elasticsearch';
import { waitUntilSearchable } from './movieEvents.ts';

/** Every document of `index` (its _source), read page by page in `sortField` order. */
export async function readAllDocuments(es: Client, index: string, sortField: string): Promise<Array<{ id: string; document: Record<string, unknown> }>> {
  const documents: Array<{ id: string; document: Record<string, unknown> }> = [];
  let after: Array<string | number> | undefined;
  for (;;) {
    const page = await es.search<Record<string, unknown>>({
      index,
      size: 1_000,
      sort: [{ [sortField]: 'asc' }],
      ...(after ? { search_after: after } : {}),
    });
    for (const hit of page.hits.hits) documents.push({ id: hit._id as string, document: hit._source ?? {} });
    const last = page.hits.hits.at(-1);
    if (!last || page.hits.hits.length < 1_000) return documents;
    after = last.sort as Array<string | number>;
  }
}

/**
 * The Elasticsearch limit: the same documents bulk-indexed straight into a fresh index with the
 * same template (1,000 per request, 2 requests in flight), until all are searchable. docs/s.
 */
export async function rawBulkRate(es: Client, target: string, documents: ReadonlyArray<{ id: string; document: Record<string, unknown> }>): Promise<number> {
  return (await rawBulkTimes(es, target, documents)).documentsPerSecond;
}

/** rawBulkRate's figure, and the seconds until the last bulk request was answered (before the refresh that made the documents searchable). */
export async function rawBulkTimes(
  es: Client,
  target: string,
  documents: ReadonlyArray<{ id: string; document: Record<string, unknown> }>,
): Promise<{ documentsPerSecond: number; writtenSeconds: number; searchableSeconds: number }> {
  const chunks: Array<typeof documents> = [];
  for (let start = 0; start < documents.length; start += 1_000) chunks.push(documents.slice(start, start + 1_000));
  const started = performance.now();
  const lane = async (): Promise<void> => {
    for (let chunk = chunks.shift(); chunk; chunk = chunks.shift()) {
      const response = await es.bulk({ operations: chunk.flatMap(({ id, document }) => [{ index: { _index: target, _id: id } }, document]) });
      if (response.errors) throw new Error(`raw bulk into ${target} had item errors`);
    }
  };
  await Promise.all([lane(), lane()]);
  const writtenSeconds = (performance.now() - started) / 1000;
  await waitUntilSearchable(es, target, documents.length);
  const searchableSeconds = (performance.now() - started) / 1000;
  return { documentsPerSecond: documents.length / searchableSeconds, writtenSeconds, searchableSeconds };
}
