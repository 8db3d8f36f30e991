import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseIndexConfig } from '../../src/config/loadIndexConfig.ts';
import type { DocumentField } from '../../src/index/documentFields.ts';
import { loadGraphSchema } from '../../src/graph/loadGraphSchema.ts';
import { checkIndexAgainstSchema } from '../../src/index/loadIndex.ts';
import { compileFilter, FilterError } from '../../src/search/compileFilter.ts';

let fields: DocumentField[];

beforeAll(async () => {
  const file = new URL('../../index-configs/movies.yaml', import.meta.url).pathname;
  const schema = await loadGraphSchema({ schemaFile: new URL('../../subgraphs/supergraph.graphql', import.meta.url).pathname });
  fields = checkIndexAgainstSchema(parseIndexConfig(readFileSync(file, 'utf8'), file, {}), schema).fields;
});

const compile = (text: string) => compileFilter(text, fields);
const failure = (text: string): { message: string; column: number; suggestion?: string | undefined } => {
  try {
    compile(text);
  } catch (error) {
    if (error instanceof FilterError) return { message: error.message, column: error.column, suggestion: error.suggestion };
    throw error;
  }
  throw new Error(`no error for ${text}`);
};

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
    expect(failure('genre == "comedy"')).toEqual({ message: 'unknown field genre (did you mean genres?)', column: 1, suggestion: 'genres' });
    expect(failure('releaseYear == "1999"')).toMatchObject({ message: 'releaseYear is a number; expected a number, not "1999"', column: 16 });
    expect(failure('production.status == "SHOOTING"').message).toBe(
      'production.status is one of DEVELOPMENT, PRE_PRODUCTION, PHOTOGRAPHY, POST_PRODUCTION, RELEASED, CANCELLED; not "SHOOTING"',
    );
    expect(failure('title > "M"')).toMatchObject({ message: '> compares numbers and dates; title is a string', column: 1 });
    expect(failure('releaseYear CONTAINS "19"').message).toBe('releaseYear has no full-text form; use == or IN');
    expect(failure('updatedAt > "last week"').message).toBe('updatedAt is a date: write it as "2026-01-31" or "2026-01-31T12:00:00Z"');
    expect(failure('genres == "a" AND')).toMatchObject({ column: 18 });
    expect(failure('(genres == "a"')).toEqual({ message: 'expected ) at column 15, found the end of the filter', column: 15, suggestion: undefined });
  });

  it('refuses filters over the limits', () => {
    expect(failure('x'.repeat(4_001)).message).toBe('the filter is 4001 characters long; at most 4000 are allowed');
    expect(failure(`${'('.repeat(40)}genres == "a"${')'.repeat(40)}`).message).toBe('the filter nests deeper than 32 levels');
    expect(failure(Array.from({ length: 201 }, () => 'genres == "a"').join(' OR ')).message).toBe('the filter has more than 200 conditions');
  });

  it('counts a NOT as one level only until its operand: 33 `NOT x EXISTS` joined by AND are fine, 33 NOTs in a row are not', () => {
    expect(() => compile(Array.from({ length: 33 }, () => 'NOT genres EXISTS').join(' AND '))).not.toThrow();
    expect(() => compile(Array.from({ length: 20 }, () => 'NOT (genres == "a"').join(' AND ') + ')'.repeat(20))).toThrow('deeper than 32 levels');
    expect(failure(`${'NOT '.repeat(33)}genres == "a"`).message).toBe('the filter nests deeper than 32 levels');
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
