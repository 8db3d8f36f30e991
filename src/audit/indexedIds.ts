import type { Client, estypes } from '@elastic/elasticsearch';

/** Every document id behind the alias, read through a point in time (consistent while writes go on). */
export async function indexedIds(client: Client, alias: string): Promise<Set<string>> {
  const ids = new Set<string>();
  const pit = await client.openPointInTime({ index: alias, keep_alive: '2m' });
  try {
    let pitId = pit.id;
    let searchAfter: estypes.SortResults | undefined;
    for (;;) {
      const page = await client.search({
        _source: false,
        size: 5_000,
        pit: { id: pitId, keep_alive: '2m' },
        sort: [{ _shard_doc: 'asc' }],
        track_total_hits: false,
        ...(searchAfter ? { search_after: searchAfter } : {}),
      });
      pitId = page.pit_id ?? pitId;
      for (const hit of page.hits.hits) ids.add(hit._id as string);
      const last = page.hits.hits.at(-1);
      if (!last) break;
      searchAfter = last.sort;
    }
  } finally {
    await client.closePointInTime({ id: pit.id }).catch(() => undefined);
  }
  return ids;
}
