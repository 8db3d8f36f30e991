import type { estypes } from '@elastic/elasticsearch';

/** The Elasticsearch calls paging through a point in time makes; a Client is one, and a test can pass a fake. */
export interface PointInTimeClient {
  search(request: estypes.SearchRequest): Promise<estypes.SearchResponse>;
  openPointInTime(request: estypes.OpenPointInTimeRequest): Promise<estypes.OpenPointInTimeResponse>;
  closePointInTime(request: estypes.ClosePointInTimeRequest): Promise<unknown>;
}

export interface PointInTimeRead {
  /** The index or alias to read. */
  index: string;
  /** Which documents; every one when left out. */
  query?: estypes.QueryDslQueryContainer;
  /** Ids per page. */
  pageSize: number;
  /** How long Elasticsearch keeps the point in time between two pages (`1m`). */
  keepAlive: string;
}

/**
 * The ids of every matching document, a page at a time, read through a point in time with
 * search_after on `_shard_doc`: one consistent snapshot while writes go on, however many there
 * are. The point in time is closed when the last page is read, when a search fails, and when the
 * reader stops early (a `break` out of `for await`).
 */
export async function* pointInTimePages(client: PointInTimeClient, read: PointInTimeRead): AsyncGenerator<string[], void, undefined> {
  const pit = await client.openPointInTime({ index: read.index, keep_alive: read.keepAlive });
  try {
    let pitId = pit.id;
    let searchAfter: estypes.SortResults | undefined;
    for (;;) {
      const page = await client.search({
        ...(read.query ? { query: read.query } : {}),
        _source: false,
        size: read.pageSize,
        pit: { id: pitId, keep_alive: read.keepAlive },
        sort: [{ _shard_doc: 'asc' }],
        track_total_hits: false,
        ...(searchAfter ? { search_after: searchAfter } : {}),
      });
      // Elasticsearch may answer with a new id for the same point in time; the next page must use it.
      pitId = page.pit_id ?? pitId;
      const hits = page.hits.hits;
      if (hits.length > 0) yield hits.map((hit) => hit._id as string);
      const last = hits.at(-1);
      // A short page is the last one: a point in time holds no documents written after it opened.
      if (last === undefined || hits.length < read.pageSize) return;
      searchAfter = last.sort;
    }
  } finally {
    // Closing is a courtesy (the keep-alive frees it anyway); a failure here must not hide the result or the search's own error.
    await client.closePointInTime({ id: pit.id }).catch(() => undefined);
  }
}
