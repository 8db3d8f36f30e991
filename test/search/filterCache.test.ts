import { describe, expect, it } from 'vitest';
import { compileFilter, FilterError } from '../../src/search/compileFilter.ts';
import { cachedFilter, FILTER_CACHE } from '../../src/search/filterCache.ts';
import { moviesIndex } from './moviesIndex.ts';

const { fields } = moviesIndex();
const FILTER = 'releaseYear >= 1990 AND production.status IN ["RELEASED", "POST_PRODUCTION"]';

describe('cachedFilter', () => {
  it('compiles as compileFilter does, and returns the same frozen query for the same text', () => {
    const first = cachedFilter(FILTER, fields);
    expect(first).toEqual(compileFilter(FILTER, fields));
    expect(cachedFilter(FILTER, fields)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    const clauses = (first as { bool: { filter: unknown[] } }).bool.filter;
    expect(Object.isFrozen(clauses[0])).toBe(true);
  });

  it('keeps each index apart: the same text over other fields is compiled against them', () => {
    const [first] = fields;
    const other = fields.filter((field) => field !== first);
    expect(cachedFilter(FILTER, other)).not.toBe(cachedFilter(FILTER, fields));
  });

  it('throws a FilterError for a bad filter every time, keeping nothing', () => {
    expect(() => cachedFilter('releaseYer >= 1990', fields)).toThrow(FilterError);
    expect(() => cachedFilter('releaseYer >= 1990', fields)).toThrow(/did you mean releaseYear/);
  });

  it('keeps at most FILTER_CACHE.entries filters per index, dropping the least recently used', () => {
    const own = [...fields];
    const texts = Array.from({ length: FILTER_CACHE.entries + 1 }, (_, i) => `releaseYear >= ${i}`);
    const first = cachedFilter(texts[0] as string, own);
    const second = cachedFilter(texts[1] as string, own);
    for (const text of texts.slice(2)) cachedFilter(text, own);
    // texts[0] and [1] were the oldest; one more than the bound dropped [0] only.
    expect(cachedFilter(texts[1] as string, own)).toBe(second);
    expect(cachedFilter(texts[0] as string, own)).not.toBe(first);
  });

  it('compiles a filter longer than FILTER_CACHE.maxLength afresh each time', () => {
    const long = `${'releaseYear >= 1 AND '.repeat(Math.ceil(FILTER_CACHE.maxLength / 20))}releaseYear >= 1`;
    expect(cachedFilter(long, fields)).not.toBe(cachedFilter(long, fields));
  });
});
