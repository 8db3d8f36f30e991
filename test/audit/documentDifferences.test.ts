import { describe, expect, it } from 'vitest';
import { fieldDifferences, VALUE_CHARS, withoutFields } from '../../src/audit/documentDifferences.ts';

/** What an audit says differs in a stale document, field by field. */
describe('document differences', () => {
  it('names each differing leaf with its path, both values, and its fields: path without list indexes', () => {
    const indexed = { title: 'A', rating: 7.1, cast: [{ talent: { name: 'Ann' } }, { talent: { name: 'Bo' } }], genres: ['x'] };
    const graph = { title: 'A', rating: 7.4, cast: [{ talent: { name: 'Ann' } }, { talent: { name: 'Bob' } }], genres: ['x', 'y'] };
    expect(fieldDifferences(indexed, graph)).toEqual([
      { path: 'rating', fieldPath: 'rating', indexed: '7.1', graph: '7.4', truncated: false },
      { path: 'cast.1.talent.name', fieldPath: 'cast.talent.name', indexed: '"Bo"', graph: '"Bob"', truncated: false },
      { path: 'genres', fieldPath: 'genres', indexed: '["x"]', graph: '["x","y"]', truncated: false },
    ]);
  });

  it('reads missing as null, and cuts long values, saying so', () => {
    expect(fieldDifferences({ a: null }, {})).toEqual([]);
    const [difference] = fieldDifferences({ synopsis: 'x'.repeat(500) }, { synopsis: 'y' });
    expect(difference?.truncated).toBe(true);
    expect(difference?.indexed).toHaveLength(VALUE_CHARS + 1);
  });

  it('leaves out the fields an audit is told to skip, inside lists too', () => {
    expect(withoutFields({ title: 'A', cast: [{ role: 'x', billing: 1 }], rating: 2 }, ['rating', 'cast.billing'])).toEqual({ title: 'A', cast: [{ role: 'x' }] });
  });
});
