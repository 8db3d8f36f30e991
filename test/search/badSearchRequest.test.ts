import { ApolloServer } from '@apollo/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { badSearchRequest } from '../../src/search/badSearchRequest.ts';
import { FilterError } from '../../src/search/filterError.ts';
import { SearchRequestError } from '../../src/search/searchRequest.ts';
import { startSearchServer, type SearchServer } from '../../src/search/searchServer.ts';
import { SearchService, type SearchClient } from '../../src/search/searchService.ts';
import { searchSubgraph } from '../../src/search/searchSubgraph.ts';
import { moviesIndex } from './moviesIndex.ts';

const loaded = moviesIndex();
// Every request here is refused before it reaches Elasticsearch.
const unreachable: SearchClient = {
  search: () => Promise.reject(new Error('no search expected')),
  openPointInTime: () => Promise.reject(new Error('no point in time expected')),
  closePointInTime: () => Promise.reject(new Error('no point in time expected')),
};
const service = new SearchService(loaded, unreachable);

describe('badSearchRequest', () => {
  it('gives a filter error its column, length and fix, and any other bad request the part at fault', () => {
    expect(badSearchRequest(new FilterError('unknown field genre (did you mean genres?)', 1, 5, 'genres'))).toEqual({
      message: 'filter: unknown field genre (did you mean genres?)',
      field: 'filter',
      column: 1,
      length: 5,
      suggestion: 'genres',
    });
    expect(badSearchRequest(new FilterError('expected a value', 12))).toEqual({ message: 'filter: expected a value', field: 'filter', column: 12, length: 1 });
    expect(badSearchRequest(new SearchRequestError('size: too big', 'size'))).toEqual({ message: 'size: too big', field: 'size' });
    expect(badSearchRequest(new Error('boom'))).toBeNull();
  });
});

describe('bad requests over each transport', () => {
  let server: SearchServer;
  beforeAll(async () => {
    server = await startSearchServer([service], { host: '127.0.0.1', port: 0, requestTimeoutMs: 5_000, maxBodyBytes: 4_096 }, createLogger('movies', 'test'));
  });
  afterAll(() => server.close());

  const post = async (body: unknown): Promise<{ status: number; body: unknown }> => {
    const response = await fetch(`${server.url}/v1/indexes/movies/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: await response.json() };
  };

  it('HTTP: a 400 whose error says what, where, and how to fix it', async () => {
    expect(await post({ filter: 'genre == "comedy"' })).toEqual({
      status: 400,
      body: { error: { message: 'filter: unknown field genre (did you mean genres?)', field: 'filter', column: 1, length: 5, suggestion: 'genres' } },
    });
    expect(await post({ size: 5_000 })).toEqual({
      status: 400,
      body: { error: { message: 'size: Too big: expected number to be <=100', field: 'size' } },
    });
  });

  it('GraphQL: BAD_USER_INPUT with the column (and fix) of a filter error, the part at fault of any other', async () => {
    const graph = new ApolloServer({ schema: searchSubgraph([{ service, query: loaded.query }]), includeStacktraceInErrorResponses: false });
    await graph.start();
    try {
      const errorsOf = async (query: string) => {
        const { body } = await graph.executeOperation({ query });
        if (body.kind !== 'single') throw new Error('expected a single result');
        return body.singleResult.errors?.map(({ message, extensions }) => ({ message, extensions }));
      };
      expect(await errorsOf('{ searchMovies(filter: "genre == 1") { totalCount } }')).toEqual([
        { message: 'filter: unknown field genre (did you mean genres?)', extensions: { code: 'BAD_USER_INPUT', column: 1, suggestion: 'genres' } },
      ]);
      expect(await errorsOf('{ searchMovies(facets: ["title"]) { totalCount } }')).toEqual([
        {
          message: 'facets: title is not a facet (facets: genres, releaseYear, originalLanguage, production.status, production.shootingLocations.country, cast.role)',
          extensions: { code: 'BAD_USER_INPUT', field: 'facets' },
        },
      ]);
    } finally {
      await graph.stop();
    }
  });
});
