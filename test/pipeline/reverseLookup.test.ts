import type { estypes } from '@elastic/elasticsearch';
import { describe, expect, it } from 'vitest';
import type { KeyPart } from '../../src/graph/entityKey.ts';
import { lookupQuery, reverseLookup, type LookupClient } from '../../src/pipeline/reverseLookup.ts';

const ONE_FIELD: KeyPart[] = [{ variable: 'id', argument: 'id', documentPath: 'id', typeName: 'ID', kind: 'string' }];
const SKU_PACKAGE: KeyPart[] = [
  { variable: 'sku', argument: 'sku', documentPath: 'sku', typeName: 'String', kind: 'string' },
  { variable: 'package', argument: 'package', documentPath: 'package', typeName: 'String', kind: 'string' },
];

/** An index of `total` matching documents (`m0`, `m1`, …) that pages by search_after, recording every call. */
function fakeIndex(total: number) {
  const calls: string[] = [];
  const searches: estypes.SearchRequest[] = [];
  const ids = Array.from({ length: total }, (_, n) => `m${n}`);
  const client: LookupClient = {
    async search(request) {
      searches.push(request);
      const size = request.size ?? 10;
      const from = request.search_after ? Number(request.search_after[0]) + 1 : 0;
      const page = ids.slice(from, from + size);
      calls.push(request.pit ? `search pit from ${from}` : 'search');
      return {
        took: 1,
        timed_out: false,
        _shards: { total: 1, successful: 1, failed: 0 },
        ...(request.pit ? { pit_id: 'pit-2' } : {}),
        hits: { total: { value: total, relation: 'eq' }, hits: page.map((_id, n) => ({ _id, _index: 'movies', sort: [from + n] })) },
      };
    },
    async openPointInTime(request) {
      calls.push(`open pit on ${String(request.index)}`);
      return { id: 'pit-1', _shards: { total: 1, successful: 1, failed: 0 } };
    },
    async closePointInTime(request) {
      calls.push(`close ${request.id}`);
      return {};
    },
  };
  return { client, calls, searches };
}

describe('reverseLookup', () => {
  it('finds the documents holding any of the ids in one terms query when they fit in one page', async () => {
    const index = fakeIndex(3);
    expect(await reverseLookup(index.client, { index: 'movies', fields: ['production.ptpId'], nestedPath: null, key: ONE_FIELD }, ['p1', 'p2'])).toEqual(['m0', 'm1', 'm2']);
    expect(index.calls).toEqual(['search']);
    expect(index.searches[0]).toMatchObject({ index: 'movies', query: { terms: { 'production.ptpId': ['p1', 'p2'] } }, _source: false });
  });

  it('searches a field inside a nested object with a nested query', async () => {
    const index = fakeIndex(1);
    await reverseLookup(index.client, { index: 'movies', fields: ['cast.talent.talentId'], nestedPath: 'cast', key: ONE_FIELD }, ['t1']);
    expect(index.searches[0]?.query).toEqual({ nested: { path: 'cast', query: { terms: { 'cast.talent.talentId': ['t1'] } } } });
  });

  it('pages a fan-out past 1,000 documents through a point in time, and closes it', async () => {
    const index = fakeIndex(2_500);
    const found = await reverseLookup(index.client, { index: 'movies', fields: ['cast.talent.talentId'], nestedPath: 'cast', key: ONE_FIELD }, ['hub']);
    expect(found).toHaveLength(2_500);
    expect(new Set(found).size).toBe(2_500);
    expect(index.calls).toEqual(['search', 'open pit on movies', 'search pit from 0', 'search pit from 1000', 'search pit from 2000', 'close pit-1']);
    // Each page keeps the point in time alive under the id the last answer gave.
    expect(index.searches.slice(2).map((s) => s.pit?.id)).toEqual(['pit-2', 'pit-2']);
  });

  it('asks nothing for no ids', async () => {
    const index = fakeIndex(5);
    expect(await reverseLookup(index.client, { index: 'movies', fields: ['x'], nestedPath: null, key: ONE_FIELD }, [])).toEqual([]);
    expect(index.calls).toEqual([]);
  });

  it('matches every field of a composite key in the same nested object, and leaves out an id of another shape', () => {
    const target = { fields: ['items.sku', 'items.package'], nestedPath: 'items', key: SKU_PACKAGE };
    expect(lookupQuery(target, ['{"sku":"rover","package":"@apollo/rover"}', 'not-a-composite-id'])).toEqual({
      nested: {
        path: 'items',
        query: { bool: { should: [{ bool: { filter: [{ term: { 'items.sku': 'rover' } }, { term: { 'items.package': '@apollo/rover' } }] } }], minimum_should_match: 1 } },
      },
    });
    expect(lookupQuery(target, ['not-a-composite-id'])).toBeNull();
  });
});
