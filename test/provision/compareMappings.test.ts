import { describe, expect, it } from 'vitest';
import { compareMappings, type MappingNode } from '../../src/provision/compareMappings.ts';

const title = { type: 'text', analyzer: 'fedsearch_folded', fields: { keyword: { type: 'keyword', ignore_above: 256 } } };
const live: MappingNode = {
  dynamic: 'strict',
  _meta: { querySha256: 'old' },
  properties: {
    movieId: { type: 'keyword' },
    title,
    releaseYear: { type: 'integer' },
    cast: { type: 'nested', properties: { name: { type: 'text' }, role: { type: 'keyword' } } },
    production: { properties: { status: { type: 'keyword' } } },
  },
};

function desired(change: (properties: Record<string, MappingNode>) => void): MappingNode {
  const copy = structuredClone(live);
  change(copy['properties'] as Record<string, MappingNode>);
  return copy;
}

describe('compareMappings', () => {
  it('finds nothing to do when the mappings agree, whatever the root _meta says', () => {
    expect(compareMappings(live, { ...structuredClone(live), _meta: { querySha256: 'new' } })).toEqual({ additions: [], incompatible: [], unused: [] });
  });

  it('lists new fields, new sub-fields and new fields inside objects as additions to put in place', () => {
    const want = desired((p) => {
      p['runtime'] = { type: 'integer' };
      (p['title'] as { fields: Record<string, unknown> }).fields['suggest'] = { type: 'text', analyzer: 'fedsearch_autocomplete' };
      (p['cast'] as { properties: Record<string, unknown> }).properties['talentId'] = { type: 'keyword' };
    });
    expect(compareMappings(live, want)).toEqual({ additions: ['title.suggest', 'cast.talentId', 'runtime'], incompatible: [], unused: [] });
  });

  it('needs a reindex for a changed type, nested ⇄ object, and a changed analyzer', () => {
    const want = desired((p) => {
      p['releaseYear'] = { type: 'long' };
      p['cast'] = { properties: { name: { type: 'text' }, role: { type: 'keyword' } } };
      p['title'] = { ...title, analyzer: 'fedsearch_name' };
    });
    expect(compareMappings(live, want).incompatible).toEqual([
      'title: analyzer "fedsearch_folded" → "fedsearch_name"',
      'releaseYear: integer → long',
      'cast: nested → object',
    ]);
  });

  it('takes parameters Elasticsearch can change in place (ignore_above) without a reindex', () => {
    const want = desired((p) => {
      p['title'] = { ...title, fields: { keyword: { type: 'keyword', ignore_above: 512 } } };
    });
    expect(compareMappings(live, want)).toEqual({ additions: [], incompatible: [], unused: [] });
  });

  it('needs a reindex for object → nested too, and does not look inside a field whose type changed', () => {
    const want = desired((p) => {
      p['production'] = { type: 'nested', properties: { status: { type: 'keyword' } } };
      p['movieId'] = { type: 'text', fields: { raw: { type: 'keyword' } } };
    });
    expect(compareMappings(live, want)).toEqual({ additions: [], incompatible: ['movieId: keyword → text', 'production: object → nested'], unused: [] });
  });

  it('takes a new search-time analyzer in place, but not a new index-time one', () => {
    expect(compareMappings(live, desired((p) => void (p['title'] = { ...title, search_analyzer: 'fedsearch_synonyms' })))).toEqual({
      additions: [],
      incompatible: [],
      unused: [],
    });
    const analyzed = desired((p) => {
      p['cast'] = { type: 'nested', properties: { name: { type: 'text', analyzer: 'fedsearch_name' }, role: { type: 'keyword' } } };
    });
    expect(compareMappings(live, analyzed).incompatible).toEqual(['cast.name: analyzer undefined → "fedsearch_name"']);
  });

  it('compares sub-fields like fields: a changed one needs a reindex, a dropped one is unused', () => {
    const changed = desired((p) => void (p['title'] = { ...title, fields: { keyword: { type: 'keyword', ignore_above: 256, normalizer: 'lowercase' } } }));
    expect(compareMappings(live, changed).incompatible).toEqual(['title.keyword: normalizer undefined → "lowercase"']);
    const retyped = desired((p) => void (p['title'] = { ...title, fields: { keyword: { type: 'wildcard' } } }));
    expect(compareMappings(live, retyped).incompatible).toEqual(['title.keyword: keyword → wildcard']);
    const dropped = desired((p) => void (p['title'] = { ...title, fields: {} }));
    expect(compareMappings(live, dropped)).toEqual({ additions: [], incompatible: [], unused: ['title.keyword'] });
  });

  it('reports fields the query no longer fetches as unused, at any depth, and leaves them', () => {
    const want = desired((p) => {
      delete p['releaseYear'];
      delete (p['production'] as { properties: Record<string, unknown> }).properties['status'];
      (p['production'] as { properties: Record<string, unknown> }).properties['phase'] = { type: 'keyword' };
    });
    expect(compareMappings(live, want)).toEqual({ additions: ['production.phase'], incompatible: [], unused: ['production.status', 'releaseYear'] });
  });
});
