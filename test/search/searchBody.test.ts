import type { estypes } from '@elastic/elasticsearch';
import { describe, expect, it } from 'vitest';
import { compileFilter, FilterError } from '../../src/search/compileFilter.ts';
import { searchBody, suggestBody, type SearchTarget } from '../../src/search/searchBody.ts';
import { SearchRequestError, type SearchRequest } from '../../src/search/searchRequest.ts';
import { fuzzyWords, queryWords, TEXT_QUERY_LIMITS, textFields } from '../../src/search/textQuery.ts';
import { moviesIndex } from './moviesIndex.ts';

const loaded = moviesIndex();
const movies: SearchTarget = { index: 'movies', fields: loaded.fields, keyPaths: loaded.query.key.map((part) => part.documentPath) };
const body = (request: SearchRequest, position: { pit: string; after: estypes.SortResults } | null = null) => searchBody(request, movies, position);
const failure = (request: SearchRequest): SearchRequestError => {
  try {
    body(request);
  } catch (error) {
    if (error instanceof SearchRequestError) return error;
    throw error;
  }
  throw new Error(`no error for ${JSON.stringify(request)}`);
};
const described = (error: SearchRequestError) => ({ field: error.field, message: error.message });
/** The exact and the fuzzy clause of the text query over the root text fields. */
const textClauses = (query: estypes.SearchRequest['query']): Array<{ multi_match?: Record<string, unknown> }> => {
  const rootMatch = ((query?.bool?.must as estypes.QueryDslQueryContainer[])[0]?.bool?.should as estypes.QueryDslQueryContainer[])[0];
  return rootMatch?.bool ? (rootMatch.bool.should as Array<{ multi_match?: Record<string, unknown> }>) : [rootMatch as { multi_match?: Record<string, unknown> }];
};
const genreSelection = { terms: { 'genres.keyword': ['comedy'] } };
const roleSelection = { nested: { path: 'cast', query: { terms: { 'cast.role': ['ACTOR'] } } } };

describe('searchBody', () => {
  it('matches free text over every text field, nested ones in a nested query, suggest fields boosted, and highlights them all (nested ones in inner hits)', () => {
    const request = body({ query: '  space courier ', facets: [] });
    const multiMatch = (fields: string[]) => ({
      bool: {
        should: [
          { multi_match: { query: 'space courier', fields, type: 'best_fields' } },
          { multi_match: { query: 'space courier', fields, type: 'best_fields', fuzziness: 'AUTO', prefix_length: 1, max_expansions: 10 } },
        ],
        minimum_should_match: 1,
      },
    });
    const rootTextFields = [
      'title',
      'synopsis',
      'genres',
      'production.shootingLocations.city',
      'production.shootingLocations.country',
      'production.shootingLocations.stage',
      'production.vendors.name',
      'production.vendors.service',
    ];
    expect(request.query).toEqual({
      bool: {
        must: [
          {
            bool: {
              should: [
                multiMatch(rootTextFields.map((field) => (field === 'title' ? 'title^3' : field))),
                {
                  nested: {
                    path: 'cast',
                    query: multiMatch(['cast.character', 'cast.talent.name^3']),
                    score_mode: 'max',
                    // Elasticsearch highlights nested fields only in the nested query's inner hits.
                    inner_hits: { name: 'highlight:cast', size: 3, _source: false, highlight: { fields: { 'cast.character': {}, 'cast.talent.name': {} } } },
                  },
                },
              ],
              minimum_should_match: 1,
            },
          },
        ],
        filter: [],
      },
    });
    expect(JSON.stringify(body({ query: 'space', highlight: false }).query)).not.toContain('inner_hits');
    expect(request.highlight).toEqual({ fields: Object.fromEntries(rootTextFields.map((field) => [field, {}])) });
    expect(request.sort).toEqual([{ _score: { order: 'desc' } }, { movieId: { order: 'asc' } }]);
    expect(body({ query: 'space', highlight: false }).highlight).toBeUndefined();
  });

  it('bounds what free text costs: every word matched exactly, only the first few long enough fuzzily (60 fuzzy words tripped the request breaker)', () => {
    const words = Array.from({ length: 60 }, (_, i) => `word${String.fromCharCode(97 + (i % 26))}${i}`);
    const [exact, fuzzy] = textClauses(body({ query: words.join(' ') }).query);
    expect(exact).toMatchObject({ multi_match: { query: words.join(' ') } });
    expect(exact?.multi_match).not.toHaveProperty('fuzziness');
    // 10 text fields: 6 fuzzy words make 60 fuzzy clauses, the budget.
    expect(fuzzy).toMatchObject({ multi_match: { query: words.slice(0, 6).join(' '), fuzziness: 'AUTO', max_expansions: TEXT_QUERY_LIMITS.maxExpansions } });
    // Short words are only matched exactly; repeated words are fuzzy once.
    expect(textClauses(body({ query: 'the big Space space of courier' }).query)[1]).toMatchObject({ multi_match: { query: 'space courier' } });
    expect(textClauses(body({ query: 'the big sea' }).query)).toEqual([{ multi_match: { query: 'the big sea', fields: expect.any(Array), type: 'best_fields' } }]);
  });

  it('gives an index with many text fields fewer fuzzy words, and refuses a query of more words than it searches', () => {
    const manyFields = movies.fields.map((field) => (field.textField ? field : { ...field, textField: field.path, indexed: true }));
    const fieldCount = textFields(manyFields).length;
    expect(fieldCount).toBeGreaterThan(20);
    const fuzzyQuery = (textClauses(searchBody({ query: 'alpha bravo charlie delta echo foxtrot golf' }, { ...movies, fields: manyFields }, null).query)[1]?.multi_match as { query: string }).query;
    expect(fuzzyQuery.split(' ').length * fieldCount).toBeLessThanOrEqual(TEXT_QUERY_LIMITS.maxFuzzyClauses);
    expect(fuzzyQuery.split(' ').length).toBe(Math.floor(TEXT_QUERY_LIMITS.maxFuzzyClauses / fieldCount));
    expect(fuzzyWords(['alpha', 'bravo'], 1000)).toEqual([]);

    expect(described(failure({ query: Array.from({ length: 65 }, () => 'a').join(' ') }))).toEqual({ field: 'query', message: 'query: 65 words; at most 64 are searched' });
    expect(() => body({ query: Array.from({ length: 64 }, () => 'a').join(' ') })).not.toThrow();
    expect(queryWords('l’été — café-crème, naïve 2026!')).toEqual(['l', 'été', 'café', 'crème', 'naïve', '2026']);
  });

  it('without text, neither scores nor highlights: hits come in id order', () => {
    const request = body({ query: '   ' });
    expect(request.query).toEqual({ bool: { must: [], filter: [] } });
    expect(request.highlight).toBeUndefined();
    expect(request.sort).toEqual([{ movieId: { order: 'asc' } }]);
  });

  it('filters with the compiled DSL, and lets a filter error through with its column', () => {
    const filter = 'genres == "comedy" AND (cast.talent.name == "Ryan Reynolds" AND cast.role == "ACTOR")';
    expect(body({ filter }).query).toEqual({ bool: { must: [], filter: [compileFilter(filter, loaded.fields)] } });
    expect(() => body({ filter: 'genre == "comedy"' })).toThrow(FilterError);
  });

  it('counts every facet field in document order by default, or the ones asked for', () => {
    expect(Object.keys(body({}).aggs ?? {})).toEqual([
      'genres',
      'releaseYear',
      'originalLanguage',
      'production.status',
      'production.shootingLocations.country',
      'cast.role',
    ]);
    expect(Object.keys(body({ facets: ['cast.role', 'genres'] }).aggs ?? {})).toEqual(['cast.role', 'genres']);
    expect(body({ facets: [] }).aggs).toBeUndefined();
  });

  it('counts a nested facet in root documents, not in nested elements', () => {
    expect(body({ facets: ['genres', 'cast.role'] }).aggs).toEqual({
      genres: { filter: { bool: { filter: [] } }, aggs: { values: { terms: { field: 'genres.keyword', size: 20 } } } },
      'cast.role': {
        filter: { bool: { filter: [] } },
        aggs: {
          values: {
            nested: { path: 'cast' },
            aggs: { values: { terms: { field: 'cast.role', size: 20 }, aggs: { documents: { reverse_nested: {} } } } },
          },
        },
      },
    });
  });

  it('narrows hits by every selection, and each facet by every selection but its own (disjunctive)', () => {
    const request = body({ facets: ['genres', 'cast.role', 'production.status'], selected: { genres: ['comedy'], 'cast.role': ['ACTOR'] } });
    expect(request.post_filter).toEqual({ bool: { filter: [genreSelection, roleSelection] } });
    const aggs = request.aggs as Record<string, { filter: unknown }>;
    expect(aggs['genres']?.filter).toEqual({ bool: { filter: [roleSelection] } });
    expect(aggs['cast.role']?.filter).toEqual({ bool: { filter: [genreSelection] } });
    expect(aggs['production.status']?.filter).toEqual({ bool: { filter: [genreSelection, roleSelection] } });
    // Selections do not narrow the facets through the query.
    expect(request.query).toEqual({ bool: { must: [], filter: [] } });
    expect(body({}).post_filter).toBeUndefined();
  });

  it('says which facets exist when asked for a field that is not one', () => {
    const facets = 'genres, releaseYear, originalLanguage, production.status, production.shootingLocations.country, cast.role';
    expect(described(failure({ facets: ['title'] }))).toEqual({ field: 'facets', message: `facets: title is not a facet (facets: ${facets})` });
    expect(described(failure({ selected: { synopsis: ['x'] } }))).toEqual({
      field: 'selected',
      message: `selected: synopsis is not a facet (facets: ${facets})`,
    });
  });

  it('sorts as asked, missing values last, then by the movie id so no two hits tie', () => {
    expect(body({ query: 'space', sort: [{ field: 'releaseYear', order: 'desc' }, { field: 'title', order: 'asc' }] }).sort).toEqual([
      { releaseYear: { order: 'desc', missing: '_last' } },
      { 'title.keyword': { order: 'asc', missing: '_last' } },
      { movieId: { order: 'asc' } },
    ]);
    expect(described(failure({ sort: [{ field: 'synopsis', order: 'asc' }] }))).toEqual({
      field: 'sort',
      message: 'sort: synopsis is not a sortable field (sortable: title, releaseYear)',
    });
  });

  it('asks for one hit more than the page, to tell whether a next page exists', () => {
    expect(body({}).size).toBe(11);
    expect(body({ size: 3 }).size).toBe(4);
    expect(body({ size: 0 }).size).toBe(1);
  });

  it('searches the alias for a first page, and a later page from its point in time after the last hit, without counting facets again', () => {
    const first = body({ filter: 'genres == "comedy"', size: 5 });
    expect(first).toMatchObject({ index: 'movies', track_total_hits: true });
    expect(first).not.toHaveProperty('pit');
    expect(first).not.toHaveProperty('search_after');

    const later = body({ filter: 'genres == "comedy"', size: 5 }, { pit: 'pit-1', after: ['m-000042'] });
    expect(later).toMatchObject({ pit: { id: 'pit-1', keep_alive: '2m' }, search_after: ['m-000042'], size: 6 });
    expect(later).not.toHaveProperty('index');
    expect(later.aggs).toBeUndefined();
    expect(later.query).toEqual(first.query);
    expect(later.sort).toEqual(first.sort);
  });
});

describe('suggestBody', () => {
  it('matches the text in every suggest field, nested ones as inner hits named by the field', () => {
    expect(suggestBody('ryan re', 8, movies)).toEqual({
      index: 'movies',
      size: 16,
      query: {
        bool: {
          should: [
            { match: { 'title.suggest': { query: 'ryan re', operator: 'and' } } },
            {
              nested: {
                path: 'cast',
                query: { match: { 'cast.talent.name.suggest': { query: 'ryan re', operator: 'and' } } },
                inner_hits: { name: 'cast.talent.name', size: 3, _source: ['cast.talent.name'] },
              },
            },
          ],
          minimum_should_match: 1,
        },
      },
      _source: ['title'],
    });
  });
});
