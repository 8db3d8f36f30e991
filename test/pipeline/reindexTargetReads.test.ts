import type { Client } from '@elastic/elasticsearch';
import { describe, expect, it } from 'vitest';
import { BatchedReindexTargets } from '../../src/pipeline/reindexTargetReads.ts';
import { indexNames } from '../../src/index/indexNames.ts';

/** A client whose multi-gets are recorded and answered from `records` (by index name); `broken` names a record read with an error. */
function fakeClient(records: Record<string, object>, broken = '') {
  const calls: Array<{ ids: string[]; fields: string[] }> = [];
  const client = {
    mget: async (request: { ids: string[]; _source_includes: string[] }) => {
      calls.push({ ids: request.ids, fields: request._source_includes });
      return {
        docs: request.ids.map((id) => {
          const name = Object.keys(records).concat(broken).find((index) => indexNames(index).metadataId === id);
          if (name === broken) return { _id: id, error: { type: 'shard_failure', reason: 'a shard failed' } };
          if (name === undefined && id.includes('nometadata')) return { _id: id, error: { type: 'index_not_found_exception', reason: 'no such index' } };
          return name ? { _id: id, found: true, _source: records[name] } : { _id: id, found: false };
        }),
      };
    },
  } as unknown as Client; // Only the multi-get the batch makes.
  return { client, calls };
}

describe('BatchedReindexTargets: many sinks, one multi-get', () => {
  it("answers every read of a window with one request for the target fields only; a missing record is undefined, a failed one rejects", async () => {
    const { client, calls } = fakeClient({ films: { reindexTarget: 'films_v2', reindexAnnouncement: 'a1' }, shop: { reindexTarget: null } }, 'broken');
    const reads = new BatchedReindexTargets(client, 5);
    const [films, again, shop, gone, broken, noMetadata] = await Promise.allSettled([
      reads.read('films'), reads.read('films'), reads.read('shop'), reads.read('gone'), reads.read('broken'), reads.read('nometadata'),
    ]);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.fields).toEqual(['reindexTarget', 'reindexAnnouncement']);
    expect(calls[0]?.ids).toHaveLength(5);
    expect(noMetadata).toEqual({ status: 'fulfilled', value: undefined });
    expect(films).toEqual({ status: 'fulfilled', value: { reindexTarget: 'films_v2', reindexAnnouncement: 'a1' } });
    expect(again).toEqual(films);
    expect(shop).toEqual({ status: 'fulfilled', value: { reindexTarget: null } });
    expect(gone).toEqual({ status: 'fulfilled', value: undefined });
    expect(broken.status).toBe('rejected');
    expect((broken as PromiseRejectedResult).reason.message).toContain('a shard failed');
    await reads.read('films');
    expect(calls).toHaveLength(2);
  });
});
