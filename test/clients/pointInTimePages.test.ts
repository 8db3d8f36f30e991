import type { estypes } from '@elastic/elasticsearch';
import { describe, expect, it } from 'vitest';
import { pointInTimePages, type PointInTimeClient } from '../../src/clients/pointInTimePages.ts';

const SHARDS = { total: 1, successful: 1, failed: 0 };

/**
 * An index of `total` documents (`d0`, `d1`, …) paged by search_after on their position, which
 * answers each page under a new point-in-time id and records every call; `failAt` makes the
 * search for that page throw.
 */
function fakeIndex(total: number, failAt?: number) {
  const calls: string[] = [];
  const searches: estypes.SearchRequest[] = [];
  const ids = Array.from({ length: total }, (_, n) => `d${n}`);
  const client: PointInTimeClient = {
    async search(request) {
      searches.push(request);
      const size = request.size ?? 10;
      const from = request.search_after ? Number(request.search_after[0]) + 1 : 0;
      calls.push(`search ${request.pit?.id ?? 'no pit'} from ${from}`);
      if (searches.length === failAt) throw new Error('search_phase_execution_exception');
      const page = ids.slice(from, from + size);
      return {
        took: 1,
        timed_out: false,
        _shards: SHARDS,
        pit_id: `pit-${searches.length + 1}`,
        hits: { hits: page.map((_id, n) => ({ _id, _index: 'films_v1', sort: [from + n] })) },
      };
    },
    async openPointInTime(request) {
      calls.push(`open on ${String(request.index)} for ${String(request.keep_alive)}`);
      return { id: 'pit-1', _shards: SHARDS };
    },
    async closePointInTime(request) {
      calls.push(`close ${request.id}`);
      return {};
    },
  };
  return { client, calls, searches };
}

async function allPages(pages: AsyncIterable<string[]>): Promise<string[][]> {
  const read: string[][] = [];
  for await (const page of pages) read.push(page);
  return read;
}

describe('pointInTimePages', () => {
  it('reads every id once, a page at a time, each page under the id the last answer gave, then closes the point in time', async () => {
    const index = fakeIndex(5);
    const pages = await allPages(pointInTimePages(index.client, { index: 'films', pageSize: 2, keepAlive: '1m' }));
    expect(pages).toEqual([['d0', 'd1'], ['d2', 'd3'], ['d4']]);
    expect(index.calls).toEqual(['open on films for 1m', 'search pit-1 from 0', 'search pit-2 from 2', 'search pit-3 from 4', 'close pit-1']);
    expect(index.searches.map((search) => search.pit?.keep_alive)).toEqual(['1m', '1m', '1m']);
    expect(index.searches[0]).toMatchObject({ _source: false, sort: [{ _shard_doc: 'asc' }], track_total_hits: false });
  });

  it('searches with the query given, and everything without one', async () => {
    const query = { terms: { 'cast.talentId': ['t1'] } };
    const filtered = fakeIndex(1);
    await allPages(pointInTimePages(filtered.client, { index: 'films', query, pageSize: 2, keepAlive: '1m' }));
    expect(filtered.searches[0]?.query).toEqual(query);
    const everything = fakeIndex(1);
    await allPages(pointInTimePages(everything.client, { index: 'films', pageSize: 2, keepAlive: '1m' }));
    expect(everything.searches[0]).not.toHaveProperty('query');
  });

  it('ends on an empty page when the last full page was the end, and yields no empty page', async () => {
    const index = fakeIndex(4);
    expect(await allPages(pointInTimePages(index.client, { index: 'films', pageSize: 2, keepAlive: '1m' }))).toEqual([['d0', 'd1'], ['d2', 'd3']]);
    expect(index.calls.at(-2)).toBe('search pit-3 from 4');
    expect(await allPages(pointInTimePages(fakeIndex(0).client, { index: 'films', pageSize: 2, keepAlive: '1m' }))).toEqual([]);
  });

  it('closes the point in time when a search fails, and passes the failure on', async () => {
    const index = fakeIndex(5, 2);
    await expect(allPages(pointInTimePages(index.client, { index: 'films', pageSize: 2, keepAlive: '1m' }))).rejects.toThrow('search_phase_execution_exception');
    expect(index.calls.at(-1)).toBe('close pit-1');
  });

  it('closes the point in time when the reader stops early, without reading further', async () => {
    const index = fakeIndex(10);
    for await (const page of pointInTimePages(index.client, { index: 'films', pageSize: 2, keepAlive: '1m' })) {
      expect(page).toEqual(['d0', 'd1']);
      break;
    }
    expect(index.calls).toEqual(['open on films for 1m', 'search pit-1 from 0', 'close pit-1']);
  });
});
