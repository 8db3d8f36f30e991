// Provisioning processes started together on a cluster that has no metadata index yet: one creates
// it, the others find it there while its primary shard is still starting, and Elasticsearch
// refuses every read of it until it has (503, no_shard_available_action_exception). Seen when the
// many-indexes bench provisioned five indexes at once on a fresh stack: "provisioning … failed at
// record what was provisioned". Each of them now waits for the shard instead.
import { randomUUID } from 'node:crypto';
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { METADATA_INDEX, readIndexMetadata, writeIndexMetadata, type IndexMetadata } from '../../src/index/indexMetadata.ts';

describe('the metadata index, created by one of several provisions at once', () => {
  const es = new Client({ node: inject('elasticsearchUrl') });
  const run = randomUUID().slice(0, 8);
  // This file deletes the metadata index; what the developer's stack had in it is put back after.
  let saved: Array<{ id: string; source: unknown }> = [];

  beforeAll(async () => {
    if (await es.indices.exists({ index: METADATA_INDEX })) {
      const found = await es.search({ index: METADATA_INDEX, size: 10_000, query: { match_all: {} } });
      saved = found.hits.hits.map((hit) => ({ id: hit._id as string, source: hit._source }));
    }
  });

  afterAll(async () => {
    for (const name of entries()) await es.delete({ index: METADATA_INDEX, id: entry(name).index, refresh: true }).catch(() => undefined);
    if (saved.length > 0) await es.bulk({ refresh: true, operations: saved.flatMap(({ id, source }) => [{ index: { _index: METADATA_INDEX, _id: id } }, source as object]) });
    await es.close();
  });

  function entries(): string[] {
    return ['a', 'b', 'c', 'd', 'e', 'f'];
  }

  function entry(name: string): Omit<IndexMetadata, 'avroSchemas' | 'currentAvroFingerprint' | 'provisionedAt'> & { avroSchema: object } {
    const index = `metadata-start-${run}-${name}`;
    return {
      index,
      alias: index,
      liveIndex: `${index}_v1`,
      templateName: `fedsearch-${index}`,
      templateHash: 'h',
      documentsTopic: `${index}.documents`,
      dlqTopic: `${index}.dlq`,
      configFile: `${index}.yaml`,
      avroSchema: { type: 'record', name: 'Doc', fields: [] },
    };
  }

  it('records every index when six provisions start at once on a cluster without it, and reads beside them wait too', async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      await es.indices.delete({ index: METADATA_INDEX }).catch(() => undefined);
      // Beside the provisions, readers (a plan, `run`) that read the moment the index exists.
      const readers = entries().map(async () => {
        while (!(await es.indices.exists({ index: METADATA_INDEX }))) await new Promise((resolve) => setTimeout(resolve, 2));
        return readIndexMetadata(es, `metadata-start-${run}-absent`);
      });
      const outcomes = await Promise.allSettled([...entries().map((name) => writeIndexMetadata(es, entry(name))), ...readers]);
      expect(outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => String((outcome as PromiseRejectedResult).reason))).toEqual([]);
      for (const name of entries()) expect((await readIndexMetadata(es, entry(name).index))?.liveIndex).toBe(`${entry(name).index}_v1`);
    }
  }, 120_000);
});
