import type { estypes } from '@elastic/elasticsearch';

/** The Elasticsearch calls a reverse lookup makes; a Client is one, and a test can pass a fake. */
export interface LookupClient {
  search(request: estypes.SearchRequest): Promise<estypes.SearchResponse>;
  openPointInTime(request: estypes.OpenPointInTimeRequest): Promise<estypes.OpenPointInTimeResponse>;
  closePointInTime(request: estypes.ClosePointInTimeRequest): Promise<unknown>;
}

export interface LookupTarget {
  /** The alias to search. */
  index: string;
  /** Exact (keyword) field holding the related entity's id, e.g. `cast.talent.talentId`. */
  field: string;
  /** The nested object the field lives in, e.g. `cast`; null for a plain field. */
  nestedPath: string | null;
}

const PAGE_SIZE = 1_000;

/**
 * The primary ids of every document that references any of `relatedIds` — found in the index
 * itself. One query answers the common case; a larger fan-out is paged through a point in time
 * with search_after, so it is complete even while documents are being written.
 */
export async function reverseLookup(client: LookupClient, target: LookupTarget, relatedIds: readonly string[]): Promise<string[]> {
  if (relatedIds.length === 0) return [];
  const terms: estypes.QueryDslQueryContainer = { terms: { [target.field]: [...relatedIds] } };
  const query: estypes.QueryDslQueryContainer = target.nestedPath
    ? { nested: { path: target.nestedPath, query: terms } }
    : terms;

  const first = await client.search({ index: target.index, query, _source: false, size: PAGE_SIZE, track_total_hits: true });
  const total = typeof first.hits.total === 'number' ? first.hits.total : (first.hits.total?.value ?? 0);
  if (total <= first.hits.hits.length) return first.hits.hits.map((hit) => hit._id as string);

  const pit = await client.openPointInTime({ index: target.index, keep_alive: '1m' });
  const ids: string[] = [];
  try {
    let pitId = pit.id;
    let searchAfter: estypes.SortResults | undefined;
    for (;;) {
      const page = await client.search({
        query,
        _source: false,
        size: PAGE_SIZE,
        pit: { id: pitId, keep_alive: '1m' },
        sort: [{ _shard_doc: 'asc' }],
        track_total_hits: false,
        ...(searchAfter ? { search_after: searchAfter } : {}),
      });
      pitId = page.pit_id ?? pitId;
      ids.push(...page.hits.hits.map((hit) => hit._id as string));
      const last = page.hits.hits.at(-1);
      if (!last || page.hits.hits.length < PAGE_SIZE) break;
      searchAfter = last.sort;
    }
  } finally {
    await client.closePointInTime({ id: pit.id }).catch(() => undefined);
  }
  return ids;
}
