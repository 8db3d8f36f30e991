import { randomUUID } from 'node:crypto';
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { templateOf } from './queryModel.ts';
import { apiSchema, gatewayDocuments, MOVIE_FIELDS, MOVIE_QUERY } from './demoMovies.ts';

// A name of its own, so the template matches no index but this test's.
const index = `test-generate-${randomUUID()}`;
const versionIndex = `${index}_v1`;

describe('generated index template on the local Elasticsearch', () => {
  const client = new Client({ node: inject('elasticsearchUrl') });
  const template = templateOf(apiSchema, MOVIE_QUERY, {
    index,
    fields: MOVIE_FIELDS,
    elasticsearch: { shards: 1, replicas: 0 },
  });

  beforeAll(async () => {
    await client.indices.putIndexTemplate({ name: index, ...template });
    await client.indices.create({ index: versionIndex });
  });

  afterAll(async () => {
    await client.indices.delete({ index: versionIndex, ignore_unavailable: true });
    await client.indices.deleteIndexTemplate({ name: index }).catch(() => undefined);
    await client.close();
  });

  it('is applied to a new version index as generated', async () => {
    const mapping = await client.indices.getMapping({ index: versionIndex });
    // Elasticsearch leaves out the default `type: object`; the generator spells it out.
    const withoutObjectType = JSON.parse(JSON.stringify(template.template.mappings), (key, value: unknown) =>
      key === 'type' && value === 'object' ? undefined : value,
    );
    expect(mapping[versionIndex]?.mappings).toEqual(withoutObjectType);
  });

  it.each([
    ["Siobhán O'Brien", ['siobhan', 'obrien', 'o', 'brien']],
    ['Jean-Luc Smith-Jones', ['jeanluc', 'jean', 'luc', 'smithjones', 'smith', 'jones']],
    ['Zoë Van der Berg', ['zoe', 'van', 'der', 'berg']],
  ])('analyses the name %s into the ways people type it', async (text, tokens) => {
    const analysed = await client.indices.analyze({ index: versionIndex, analyzer: 'fedsearch_name', text });
    expect(new Set(analysed.tokens?.map((token) => token.token))).toEqual(new Set(tokens));
  });

  it('takes every document the query returns, and finds them by name, suggestion and exact value', async () => {
    const documents = gatewayDocuments(60);
    const bulk = await client.bulk({
      index: versionIndex,
      refresh: 'wait_for',
      operations: documents.flatMap((document) => [{ index: { _id: String(document['movieId']) } }, document]),
    });
    expect(bulk.items.filter((item) => item.index?.error !== undefined).map((item) => item.index?.error)).toEqual([]);

    const castNamed = async (query: Record<string, unknown>): Promise<number> => {
      const found = await client.search({ index: versionIndex, size: 0, track_total_hits: true, query: { nested: { path: 'cast', query } } });
      return typeof found.hits.total === 'number' ? found.hits.total : (found.hits.total?.value ?? 0);
    };
    const withOBrien = documents.filter((document) =>
      (document['cast'] as { talent: { name: string } }[]).some((member) => member.talent.name.includes("O'Brien")),
    ).length;
    expect(withOBrien).toBeGreaterThan(0);
    expect(await castNamed({ match: { 'cast.talent.name': { query: 'obrien', operator: 'and' } } })).toBe(withOBrien);
    expect(await castNamed({ match: { 'cast.talent.name': { query: "o'brien", operator: 'and' } } })).toBe(withOBrien);
    expect(await castNamed({ match: { 'cast.talent.name.suggest': { query: "O'Bri", operator: 'and' } } })).toBe(withOBrien);

    const [first] = documents;
    const title = String(first?.['title']);
    const ids = async (query: Record<string, unknown>): Promise<string[]> =>
      (await client.search({ index: versionIndex, size: documents.length, query })).hits.hits.map((hit) => String(hit._id));
    // Typing the title, the last word unfinished.
    const typed = title.slice(0, -2).toLowerCase();
    expect(await ids({ match: { 'title.suggest': { query: typed, operator: 'and' } } })).toContain(first?.['movieId']);
    expect(await ids({ term: { 'title.lowercase': title.toUpperCase() } })).toContain(first?.['movieId']);
    expect(await ids({ term: { 'title.keyword': title.toUpperCase() } })).not.toContain(first?.['movieId']);
  });
});
