import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseIndexConfig } from '../../src/config/loadIndexConfig.ts';
import type { DocumentField } from '../../src/index/documentFields.ts';
import { loadGraphSchema } from '../../src/graph/loadGraphSchema.ts';
import { checkIndexAgainstSchema } from '../../src/index/loadIndex.ts';
import { compileFilter, FilterError } from '../../src/search/compileFilter.ts';
import { ELASTICSEARCH_MAX_QUERY_DEPTH, TOO_DEEP } from '../../src/search/parseFilter.ts';
import { searchBody } from '../../src/search/searchBody.ts';

let fields: DocumentField[];

beforeAll(async () => {
  const file = new URL('../../index-configs/movies.yaml', import.meta.url).pathname;
  const schema = await loadGraphSchema({ schemaFile: new URL('../../subgraphs/supergraph.graphql', import.meta.url).pathname });
  fields = checkIndexAgainstSchema(parseIndexConfig(readFileSync(file, 'utf8'), file, {}), schema).fields;
});

const compile = (text: string) => compileFilter(text, fields);
const failure = (text: string, over = fields): { message: string; column: number; length: number; suggestion?: string | undefined } => {
  try {
    compileFilter(text, over);
  } catch (error) {
    if (error instanceof FilterError) return { message: error.message, column: error.column, length: error.length, suggestion: error.suggestion };
    throw error;
  }
  throw new Error(`no error for ${text}`);
};

const movies = () => ({ index: 'movies', fields, keyPaths: ['movieId'] });

/** Query objects nested in a query, counted as Elasticsearch counts them against its limit (every bool, nested and leaf). */
function queryDepth(query: unknown): number {
  if (query === null || typeof query !== 'object') return 0;
  const { bool, nested } = query as { bool?: Record<string, unknown>; nested?: { query: unknown } };
  if (nested) return 1 + queryDepth(nested.query);
  if (!bool) return 1;
  const clauses = ['must', 'filter', 'should', 'must_not'].flatMap((key) => [bool[key] ?? []].flat());
  return 1 + Math.max(0, ...clauses.map(queryDepth));
}

describe('compileFilter', () => {
  it('compiles each operator to the matching query on the right form of the field', () => {
    expect(compile('genres == "comedy"')).toEqual({ term: { 'genres.keyword': 'comedy' } });
    expect(compile('genres != "comedy"')).toEqual({ bool: { must_not: [{ term: { 'genres.keyword': 'comedy' } }] } });
    expect(compile('releaseYear >= 2000')).toEqual({ range: { releaseYear: { gte: 2000 } } });
    expect(compile('rating < 5.5')).toEqual({ range: { rating: { lt: 5.5 } } });
    expect(compile('production.status IN ["PHOTOGRAPHY", "RELEASED"]')).toEqual({
      terms: { 'production.status': ['PHOTOGRAPHY', 'RELEASED'] },
    });
    expect(compile('synopsis CONTAINS "space courier"')).toEqual({ match: { synopsis: { query: 'space courier', operator: 'and' } } });
    expect(compile('synopsis EXISTS')).toEqual({ exists: { field: 'synopsis' } });
    expect(compile('synopsis not exists')).toEqual({ bool: { must_not: [{ exists: { field: 'synopsis' } }] } });
    expect(compile('updatedAt > "2026-03-01"')).toEqual({ range: { updatedAt: { gt: '2026-03-01' } } });
  });

  it('binds NOT tighter than AND, and AND tighter than OR', () => {
    expect(compile('NOT genres == "a" AND genres == "b" OR genres == "c"')).toEqual({
      bool: {
        should: [
          { bool: { filter: [{ bool: { must_not: [{ term: { 'genres.keyword': 'a' } }] } }, { term: { 'genres.keyword': 'b' } }] } },
          { term: { 'genres.keyword': 'c' } },
        ],
        minimum_should_match: 1,
      },
    });
  });

  it('matches conditions on one nested path in one group within the same element', () => {
    expect(compile('(cast.talent.name == "Ryan Reynolds" AND cast.role == "ACTOR")')).toEqual({
      nested: {
        path: 'cast',
        query: { bool: { filter: [{ term: { 'cast.talent.name.keyword': 'Ryan Reynolds' } }, { term: { 'cast.role': 'ACTOR' } }] } },
      },
    });
    // Without the parentheses any element may satisfy each condition.
    expect(compile('cast.talent.name == "Ryan Reynolds" AND cast.role == "ACTOR"')).toEqual({
      bool: {
        filter: [
          { nested: { path: 'cast', query: { term: { 'cast.talent.name.keyword': 'Ryan Reynolds' } } } },
          { nested: { path: 'cast', query: { term: { 'cast.role': 'ACTOR' } } } },
        ],
      },
    });
    // In a mixed group, the nested conditions are grouped and the others stay beside them.
    expect(compile('(genres == "comedy" AND cast.role == "DIRECTOR" AND cast.talent.talentId == "tal-0000001")')).toEqual({
      bool: {
        filter: [
          {
            nested: {
              path: 'cast',
              query: { bool: { filter: [{ term: { 'cast.role': 'DIRECTOR' } }, { term: { 'cast.talent.talentId': 'tal-0000001' } }] } },
            },
          },
          { term: { 'genres.keyword': 'comedy' } },
        ],
      },
    });
  });

  it('explains mistakes with the column and a fix', () => {
    expect(failure('genre == "comedy"')).toEqual({ message: 'unknown field genre (did you mean genres?)', column: 1, length: 5, suggestion: 'genres' });
    expect(failure('releaseYear == "1999"')).toMatchObject({ message: 'releaseYear is a number; expected a number, not "1999"', column: 16 });
    expect(failure('production.status == "SHOOTING"').message).toBe(
      'production.status is one of DEVELOPMENT, PRE_PRODUCTION, PHOTOGRAPHY, POST_PRODUCTION, RELEASED, CANCELLED; not "SHOOTING"',
    );
    expect(failure('title > "M"')).toMatchObject({ message: '> compares numbers and dates; title is a string', column: 1 });
    expect(failure('releaseYear CONTAINS "19"').message).toBe('releaseYear has no full-text form; use == or IN');
    expect(failure('updatedAt > "last week"').message).toBe('updatedAt is a date: write it as "2026-01-31" or "2026-01-31T12:00:00Z"');
    expect(failure('genres == "a" AND')).toMatchObject({ column: 18 });
    expect(failure('(genres == "a"')).toEqual({ message: 'expected ) at column 15, found the end of the filter', column: 15, length: 1, suggestion: undefined });
    expect(failure('genres == comedy')).toEqual({
      message: 'expected a string, a number, true, false at column 11, found "comedy" (did you mean "comedy"?)',
      column: 11,
      length: 6,
      suggestion: '"comedy"',
    });
    expect(failure('genres IN ["comedy", drama]')).toMatchObject({ column: 22, suggestion: '"drama"' });
    expect(failure('genres == "a" genres')).toMatchObject({ message: 'expected AND, OR or the end of the filter at column 15, found "genres"', suggestion: undefined });
  });

  it('refuses filters over the limits', () => {
    expect(failure('x'.repeat(4_001)).message).toBe('the filter is 4001 characters long; at most 4000 are allowed');
    expect(failure(`${'('.repeat(40)}genres == "a"${')'.repeat(40)}`).message).toBe(TOO_DEEP);
    expect(failure(Array.from({ length: 201 }, () => 'genres == "a"').join(' OR ')).message).toBe('the filter has more than 200 conditions');
  });

  it('counts a NOT as one level only until its operand: 33 `NOT x EXISTS` joined by AND are fine, 33 NOTs in a row are not', () => {
    expect(() => compile(Array.from({ length: 33 }, () => 'NOT genres EXISTS').join(' AND '))).not.toThrow();
    expect(() => compile(Array.from({ length: 20 }, () => 'NOT (genres == "a"').join(' AND ') + ')'.repeat(20))).toThrow(TOO_DEEP);
    expect(failure(`${'NOT '.repeat(33)}genres == "a"`).message).toBe(TOO_DEEP);
  });

  it('nests no deeper than Elasticsearch takes, and says where a filter goes past it (32 NOTs were a vague 400 from Elasticsearch)', () => {
    const nots = (count: number, condition: string): string => `${'NOT '.repeat(count)}${condition}`;
    // The search body puts the filter in a bool: 28 NOT bools and the term make 30 query objects.
    expect(queryDepth(searchBody({ filter: nots(28, 'genres == "a"') }, movies(), null).query)).toBe(ELASTICSEARCH_MAX_QUERY_DEPTH);
    expect(failure(nots(29, 'genres == "a"'))).toEqual({ message: TOO_DEEP, column: 1 + 29 * 4, length: 'genres'.length, suggestion: undefined });
    // The parser stops before it recurses that deep: at the 30th NOT.
    expect(failure(nots(32, 'genres == "a"'))).toEqual({ message: TOO_DEEP, column: 1 + 29 * 4, length: 3, suggestion: undefined });
    // A nested field and != each take a level of their own; the error points at the condition.
    expect(() => compile(nots(27, 'cast.role == "ACTOR"'))).not.toThrow();
    expect(failure(nots(28, 'cast.role == "ACTOR"'))).toMatchObject({ message: TOO_DEEP, column: 1 + 28 * 4, length: 'cast.role'.length });
    expect(failure(nots(28, 'genres != "a"'))).toMatchObject({ message: TOO_DEEP, column: 1 + 28 * 4 });
    // Parenthesised ANDs each add a bool.
    const ands = (count: number): string => `${'(genres == "a" AND '.repeat(count)}genres == "b"${')'.repeat(count)}`;
    expect(() => compile(ands(28))).not.toThrow();
    expect(failure(ands(29)).message).toBe(TOO_DEEP);
  });

  it('every filter it compiles fits Elasticsearch’s query depth inside the search body', () => {
    const condition = fc.constantFrom('genres == "a"', 'genres != "a"', 'cast.role == "ACTOR"', 'releaseYear > 2000', 'synopsis NOT EXISTS');
    // Conditions wrapped in up to 40 layers, each a NOT, or a parenthesised AND/OR with another condition.
    const layer = fc.oneof(
      fc.constant((inner: string) => `NOT ${inner}`),
      fc.tuple(fc.constantFrom('AND', 'OR'), condition).map(([op, other]) => (inner: string) => `(${other} ${op} ${inner})`),
    );
    const filter = fc.tuple(condition, fc.array(layer, { maxLength: 40, size: 'max' })).map(([innermost, layers]) => layers.reduce<string>((inner, wrap) => wrap(inner), innermost));
    let refused = 0;
    let deepest = 0;
    fc.assert(
      fc.property(filter, (text) => {
        let query;
        try {
          query = searchBody({ filter: text }, movies(), null).query;
        } catch (error) {
          if (error instanceof FilterError && error.message === TOO_DEEP) return void refused++;
          throw error;
        }
        deepest = Math.max(deepest, queryDepth(query));
        expect(queryDepth(query)).toBeLessThanOrEqual(ELASTICSEARCH_MAX_QUERY_DEPTH);
      }),
      { numRuns: 1_000 },
    );
    // Both sides of the limit were tried.
    expect(refused).toBeGreaterThan(0);
    expect(deepest).toBe(ELASTICSEARCH_MAX_QUERY_DEPTH);
  });

  it('refuses a number a double cannot hold, and one an integer field cannot, at its column (1e-99999 was quietly 0)', () => {
    expect(failure('rating > 1e-99999')).toEqual({ message: 'the number 1e-99999 at column 10 is too small to tell from 0', column: 10, length: 8, suggestion: undefined });
    expect(failure('rating > -0.5e-400')).toMatchObject({ column: 10, message: expect.stringContaining('too small to tell from 0') });
    for (const zero of ['0', '0.0', '0e-99999', '-0']) expect(() => compile(`rating > ${zero}`)).not.toThrow();
    expect(compile('rating > 1e-300')).toEqual({ range: { rating: { gt: 1e-300 } } });
    expect(failure('releaseYear == 3000000000')).toEqual({
      message: 'releaseYear is a 32-bit integer: from -2147483648 to 2147483647; 3000000000 is outside that',
      column: 16,
      length: 10,
      suggestion: undefined,
    });
    expect(failure('releaseYear IN [1999, -2147483649]')).toMatchObject({ column: 23, length: 11 });
    expect(compile('releaseYear < 2147483647')).toEqual({ range: { releaseYear: { lt: 2147483647 } } });
    // A long field: past 2^53 a double no longer holds every integer, so the value sent would not be the one typed.
    const withLong = fields.map((field) => (field.path === 'cast.billing' ? { ...field, esType: 'long' as const } : field));
    expect(failure('cast.billing > 9007199254740993', withLong)).toMatchObject({
      column: 16,
      message: 'cast.billing is an integer, compared exactly up to ±9007199254740991 (2^53 - 1); 9007199254740992 is outside that',
    });
    expect(() => compileFilter('cast.billing > 9007199254740991', withLong)).not.toThrow();
    // A double field takes what a double holds.
    expect(() => compile('rating > 1e300')).not.toThrow();
  });

  it('refuses a string with a bad escape or a raw line break, and a number too large, as the user’s mistake at its column', () => {
    expect(failure('genres == "\\u00zz"')).toMatchObject({ column: 11, message: expect.stringContaining('the string at column 11 is not valid') });
    expect(failure('genres == "two\nlines"')).toMatchObject({ column: 11 });
    expect(failure('releaseYear == 1e999')).toMatchObject({ column: 16, message: 'the number 1e999 at column 16 is too large' });
  });

  it('only ever compiles or throws a FilterError, whatever it is given', () => {
    const vocabulary = ['genres', 'cast.role', 'releaseYear', 'synopsis', 'nope', '==', '!=', '<', '>=', 'IN', '[', ']', ',', '(', ')',
      'AND', 'OR', 'NOT', 'CONTAINS', 'EXISTS', '"comedy"', '"ACTOR"', '1999', '-2.5', 'true', '"', '\\', '`'];
    const check = (text: string): void => {
      try {
        compile(text);
      } catch (error) {
        if (!(error instanceof FilterError)) throw error;
        expect(error.column).toBeGreaterThanOrEqual(1);
      }
    };
    fc.assert(fc.property(fc.string({ maxLength: 60 }), check), { numRuns: 2_000 });
    fc.assert(fc.property(fc.array(fc.constantFrom(...vocabulary), { maxLength: 12 }), (tokens) => check(tokens.join(' '))), { numRuns: 3_000 });
  });
});
