import { randomUUID } from 'node:crypto';
import { Client } from '@elastic/elasticsearch';
import { afterAll, describe, expect, inject, it } from 'vitest';

describe('local Elasticsearch', () => {
  const client = new Client({ node: inject('elasticsearchUrl') });
  const index = `test-stack-${randomUUID()}`;

  afterAll(async () => {
    await client.indices.delete({ index, ignore_unavailable: true });
    await client.close();
  });

  it('is the real server, answering the official client', async () => {
    const info = await client.info();
    expect(info.version.number).toMatch(/^9\./);
    expect(info.tagline).toBe('You Know, for Search');
    expect((await client.cluster.health()).status).not.toBe('red');
  });

  it('indexes a document and finds it again with an analyzed, accent-folding search', async () => {
    await client.indices.create({
      index,
      settings: {
        number_of_replicas: 0,
        analysis: { analyzer: { folded: { type: 'custom', tokenizer: 'standard', filter: ['lowercase', 'asciifolding'] } } },
      },
      mappings: { dynamic: 'strict', properties: { title: { type: 'text', analyzer: 'folded' }, year: { type: 'integer' } } },
    });
    await client.index({ index, id: 'mov-1', document: { title: 'Amélie à Montréal', year: 2001 }, refresh: 'wait_for' });

    const found = await client.search<{ title: string }>({ index, query: { match: { title: 'amelie montreal' } } });
    expect(found.hits.hits.map((hit) => hit._id)).toEqual(['mov-1']);
    expect(found.hits.hits[0]?._source?.title).toBe('Amélie à Montréal');

    // `dynamic: strict` really is enforced by this server.
    await expect(client.index({ index, id: 'mov-2', document: { title: 'x', unknown: 1 } })).rejects.toThrow(
      /strict_dynamic_mapping_exception/,
    );
  });
});
