import { describe, expect, it } from 'vitest';
import type { LeafShape } from '../../src/index/documentShape.ts';
import { leafMapping, leafOfSearchField } from '../../src/index/leafMapping.ts';

function leaf(path: string, storage: 'string' | 'keyword'): LeafShape & { path: string } {
  const key = path.split('.').at(-1) as string;
  return { kind: 'scalar', storage, key, path, fieldName: key, typeName: storage === 'keyword' ? 'ID' : 'String', nonNull: [true], listDepth: 0, description: null };
}

describe('leafOfSearchField', () => {
  // Every search field the mapping gives: title.keyword / title.lowercase / title.suggest, movieId.text.
  const leaves = [
    { path: 'title', ...leafMapping(leaf('title', 'string'), { suggest: true }) },
    { path: 'movieId', ...leafMapping(leaf('movieId', 'keyword'), { text: true }) },
    { path: 'review.text', ...leafMapping(leaf('review.text', 'string')) },
  ];

  it('names the leaf behind each of its search fields, as the mapping gave them', () => {
    expect(['title', 'title.keyword', 'title.lowercase', 'title.suggest'].map((field) => leafOfSearchField(leaves, field))).toEqual(['title', 'title', 'title', 'title']);
    expect(leafOfSearchField(leaves, 'movieId.text')).toBe('movieId');
  });

  it('keeps a leaf whose own name looks like a sub-field, and a field of no leaf, as they are', () => {
    expect(leafOfSearchField(leaves, 'review.text')).toBe('review.text');
    expect(leafOfSearchField(leaves, 'other.keyword')).toBe('other.keyword');
  });
});
