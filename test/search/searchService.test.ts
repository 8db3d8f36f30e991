import type { estypes } from '@elastic/elasticsearch';
import { describe, expect, it } from 'vitest';
import { badSearchRequest, searchFailure } from '../../src/search/badSearchRequest.ts';
import { SearchBusyError } from '../../src/search/searchAdmission.ts';
import { parseSearchRequest, SearchRequestError } from '../../src/search/searchRequest.ts';
import { SearchService, type SearchClient } from '../../src/search/searchService.ts';
import { heldAnswers } from '../support/heldAnswers.ts';
import { moviesIndex } from './moviesIndex.ts';

type Hit = estypes.SearchHit<Record<string, unknown>>;
type Response = estypes.SearchResponse<Record<string, unknown>>;

const loaded = moviesIndex();
const SHARDS = { total: 1, successful: 1, failed: 0 };

function answer(hits: Hit[], extra: Partial<Response> & { total?: number } = {}): Response {
  const { total = hits.length, ...rest } = extra;
  return { took: 1, timed_out: false, _shards: SHARDS, hits: { total: { value: total, relation: 'eq' }, hits }, ...rest };
}

const movie = (n: number, extra: Partial<Hit> = {}): Hit => {
  const id = `m-${String(n).padStart(6, '0')}`;
  return { _index: 'movies-v1', _id: id, _score: null, _source: { movieId: id, title: `Movie ${n}` }, sort: [id], ...extra };
};

/** A fake Elasticsearch: answers searches in turn (or throws), opens points in time, and records every request. */
function fakeElasticsearch(answers: Array<Response | Error>) {
  const searches: estypes.SearchRequest[] = [];
  const opened: estypes.OpenPointInTimeRequest[] = [];
  const closed: string[] = [];
  const client: SearchClient = {
    async search(request) {
      searches.push(request);
      const next = answers.shift();
      if (next === undefined) throw new Error('no answer left for this search');
      if (next instanceof Error) throw next;
      return next;
    },
    async openPointInTime(request) {
      opened.push(request);
      return { id: `pit-${opened.length}`, _shards: SHARDS };
    },
    async closePointInTime(request) {
      closed.push(String(request.id));
      return { succeeded: true, num_freed: 1 };
    },
  };
  return { client, searches, opened, closed };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('SearchService.search', () => {
  it('returns the hits with their documents, scores and highlights under the field path', async () => {
    const highlighted = movie(1, { _score: 2.5, highlight: { title: ['<em>Space</em> Courier'], 'genres.keyword': ['<em>space</em>'] } });
    const es = fakeElasticsearch([answer([highlighted, movie(2)], { total: 41 })]);
    const response = await new SearchService(loaded, es.client).search({ query: 'space', facets: [] });
    expect(response.total).toBe(41);
    expect(response.hits).toEqual([
      {
        id: 'm-000001',
        score: 2.5,
        document: { movieId: 'm-000001', title: 'Movie 1' },
        highlights: { title: ['<em>Space</em> Courier'], genres: ['<em>space</em>'] },
      },
      { id: 'm-000002', score: null, document: { movieId: 'm-000002', title: 'Movie 2' }, highlights: {} },
    ]);
    expect(response.nextCursor).toBeNull();
    expect(es.searches[0]).toMatchObject({ index: 'movies' });
  });

  it('highlights matches inside nested objects, from the inner hits of the nested text query, under the leaf path', async () => {
    const innerHit = (name: string) => ({ _index: 'movies-v1', _id: 'm-000003', _nested: { field: 'cast', offset: 0 }, _score: 1, highlight: { 'cast.talent.name': [`<em>${name}</em>`] } });
    const hit = movie(3, {
      _score: 3,
      highlight: { title: ['<em>Harbor</em> Lights'] },
      inner_hits: { 'highlight:cast': { hits: { total: { value: 2, relation: 'eq' }, max_score: 1, hits: [innerHit('Harbor Smith'), innerHit('Ann Harbor')] } } },
    });
    const response = await new SearchService(loaded, fakeElasticsearch([answer([hit])]).client).search({ query: 'harbor', facets: [] });
    expect(response.hits[0]?.highlights).toEqual({ title: ['<em>Harbor</em> Lights'], 'cast.talent.name': ['<em>Harbor Smith</em>', '<em>Ann Harbor</em>'] });
  });

  it('reads facet counts (root documents for a nested facet) and marks the selected values', async () => {
    const es = fakeElasticsearch([
      answer([], {
        aggregations: {
          genres: {
            doc_count: 30,
            values: { buckets: [{ key: 'comedy', doc_count: 12 }, { key: 'drama', doc_count: 9 }] },
          } as unknown as estypes.AggregationsAggregate,
          'cast.role': {
            doc_count: 10,
            values: {
              doc_count: 55,
              values: { buckets: [{ key: 'ACTOR', doc_count: 40, documents: { doc_count: 10 } }, { key: 'DIRECTOR', doc_count: 4, documents: { doc_count: 4 } }] },
            },
          } as unknown as estypes.AggregationsAggregate,
        },
      }),
    ]);
    const response = await new SearchService(loaded, es.client).search({ facets: ['genres', 'cast.role'], selected: { genres: ['drama'] }, size: 0 });
    expect(response.facets).toEqual({
      genres: [
        { value: 'comedy', count: 12, selected: false },
        { value: 'drama', count: 9, selected: true },
      ],
      'cast.role': [
        { value: 'ACTOR', count: 10, selected: false },
        { value: 'DIRECTOR', count: 4, selected: false },
      ],
    });
  });

  it('gives a next-page cursor only when there is a next page; the second page opens a point in time that later pages read', async () => {
    const lastPage = fakeElasticsearch([answer([movie(1), movie(2)])]);
    expect((await new SearchService(loaded, lastPage.client).search({ size: 2 })).nextCursor).toBeNull();
    expect(lastPage.opened).toEqual([]);

    const es = fakeElasticsearch([
      answer([movie(1), movie(2), movie(3)]),
      answer([movie(3), movie(4), movie(5)]),
      // Elasticsearch may hand back a new id for the point in time: the next cursor carries that one.
      answer([movie(5), movie(6), movie(7)], { pit_id: 'pit-renewed' }),
      answer([movie(7)]),
    ]);
    const service = new SearchService(loaded, es.client);
    const request = { filter: 'genres == "comedy"', size: 2 };
    const first = await service.search(request);
    expect(first.hits.map((hit) => hit.id)).toEqual(['m-000001', 'm-000002']);
    expect(first.nextCursor).not.toBeNull();
    // A first page holds no search context, whether or not anyone reads the next one.
    expect(es.opened).toEqual([]);

    const second = await service.search({ ...request, cursor: first.nextCursor as string });
    expect(es.opened).toEqual([{ index: 'movies', keep_alive: '2m' }]);
    expect(es.searches[1]).toMatchObject({ pit: { id: 'pit-1', keep_alive: '2m' }, search_after: ['m-000002'] });
    expect(es.searches[1]).not.toHaveProperty('index');
    expect(second.hits.map((hit) => hit.id)).toEqual(['m-000003', 'm-000004']);
    // Facets are counted once, on the first page.
    expect(second.facets).toEqual({});

    const third = await service.search({ ...request, cursor: second.nextCursor as string });
    expect(es.searches[2]).toMatchObject({ pit: { id: 'pit-1' }, search_after: ['m-000004'] });
    expect(third.hits.map((hit) => hit.id)).toEqual(['m-000005', 'm-000006']);
    const fourth = await service.search({ ...request, cursor: third.nextCursor as string });
    expect(es.searches[3]).toMatchObject({ pit: { id: 'pit-renewed' }, search_after: ['m-000006'] });
    expect(fourth.nextCursor).toBeNull();
    expect(es.opened).toHaveLength(1);
    // The last page closes the scroll's point in time.
    expect(es.closed).toEqual(['pit-renewed']);
  });

  it('a cursor expires 2 minutes after the page that issued it, with or without a point in time', async () => {
    let now = 0;
    const es = fakeElasticsearch([answer([movie(1), movie(2)]), answer([movie(2), movie(3)])]);
    const service = new SearchService(loaded, es.client, { now: () => now });
    const first = (await service.search({ size: 1 })).nextCursor as string;
    now = 119_000;
    const second = (await service.search({ size: 1, cursor: first })).nextCursor as string;
    now = 119_000 + 121_000;
    const expired = { message: 'cursor: expired (a cursor lives 2 minutes after its last use, and old ones are closed when many are open); search again without it', field: 'cursor' };
    expect(badSearchRequest(await rejection(service.search({ size: 1, cursor: second })))).toEqual(expired);
    expect(badSearchRequest(await rejection(service.search({ size: 1, cursor: first })))).toEqual(expired);
    expect(es.searches).toHaveLength(2);
  });

  it('a cursor whose point in time read an index a reindex has since deleted answers "cursor: expired", instead of 503 "busy" for ever', async () => {
    const esError = (statusCode: number, error: Record<string, unknown>): Error => Object.assign(new Error(`${String(error.type)}: ...`), { name: 'ResponseError', meta: { statusCode, body: { error } } });
    // As Elasticsearch 8 answers once the version the point in time read is deleted, and as it answers an index gone.
    const noShard = esError(503, {
      root_cause: [{ type: 'no_shard_available_action_exception', reason: null }],
      type: 'search_phase_execution_exception',
      reason: 'all shards failed',
      phase: 'query',
      grouped: true,
      failed_shards: [{ shard: 0, index: 'movies_v1', node: null, reason: { type: 'no_shard_available_action_exception', reason: null } }],
    });
    const indexGone = esError(404, { root_cause: [{ type: 'index_not_found_exception', index: 'movies_v1' }], type: 'index_not_found_exception', index: 'movies_v1' });
    const expired = { message: 'cursor: expired (a cursor lives 2 minutes after its last use, and old ones are closed when many are open); search again without it', field: 'cursor' };
    for (const gone of [noShard, indexGone]) {
      const es = fakeElasticsearch([answer([movie(1), movie(2)]), answer([movie(2), movie(3)]), gone]);
      const service = new SearchService(loaded, es.client);
      const first = (await service.search({ size: 1 })).nextCursor as string;
      const second = (await service.search({ size: 1, cursor: first })).nextCursor as string;
      expect(badSearchRequest(await rejection(service.search({ size: 1, cursor: second })))).toEqual(expired);
    }
  });

  it('a forged cursor is refused: changed, signed with another key, or of another index', async () => {
    const es = fakeElasticsearch([answer([movie(1), movie(2)]), answer([movie(1), movie(2)])]);
    const key = Buffer.from('one key');
    const service = new SearchService(loaded, es.client, { cursorKey: key });
    const request = { size: 1 };
    const cursor = (await service.search(request)).nextCursor as string;
    const [payload, signature] = cursor.split('.') as [string, string];
    const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { pit: string; after: unknown[] };
    const edited = Buffer.from(JSON.stringify({ ...decoded, pit: 'someone-elses-pit' })).toString('base64url');
    const refused = { message: 'cursor: not a cursor this service issued', field: 'cursor' };
    expect(badSearchRequest(await rejection(service.search({ ...request, cursor: `${edited}.${signature}` })))).toEqual(refused);
    expect(badSearchRequest(await rejection(service.search({ ...request, cursor: payload })))).toEqual(refused);

    const otherKey = new SearchService(loaded, es.client, { cursorKey: Buffer.from('another key') });
    expect(badSearchRequest(await rejection(otherKey.search({ ...request, cursor })))).toEqual(refused);

    const otherIndex = new SearchService({ ...loaded, config: { ...loaded.config, index: 'other' } }, es.client, { cursorKey: key });
    expect(badSearchRequest(await rejection(otherIndex.search({ ...request, cursor })))).toMatchObject({ field: 'cursor' });
    // A replica sharing the key continues the scroll.
    const replica = new SearchService(loaded, es.client, { cursorKey: key });
    expect((await replica.search({ ...request, cursor })).hits).toHaveLength(1);
    expect(es.searches).toHaveLength(2);
  });

  it('keeps at most maxOpenPointsInTime open, closing the least recently used first', async () => {
    const es = fakeElasticsearch(Array.from({ length: 9 }, () => answer([movie(1), movie(2)])));
    const service = new SearchService(loaded, es.client, { maxOpenPointsInTime: 2 });
    /** The cursor of a scroll's second page (which opened its point in time). */
    const secondPage = async (filter: string): Promise<string> => {
      const first = (await service.search({ size: 1, filter })).nextCursor as string;
      return (await service.search({ size: 1, filter, cursor: first })).nextCursor as string;
    };
    const cursors = [];
    for (let i = 0; i < 3; i++) cursors.push(await secondPage(`releaseYear > ${i}`));
    expect(es.opened).toHaveLength(3);
    expect(es.closed).toEqual(['pit-1']);
    // The second scroll goes on (and becomes the most recently used); the next new one closes the third.
    await service.search({ size: 1, filter: 'releaseYear > 1', cursor: cursors[1] as string });
    expect(es.closed).toEqual(['pit-1']);
    await secondPage('releaseYear > 9');
    expect(es.closed).toEqual(['pit-1', 'pit-3']);
  });

  it('refuses, as a bad request and before searching, a cursor it did not issue or one of another search', async () => {
    const es = fakeElasticsearch([answer([movie(1), movie(2)])]);
    const service = new SearchService(loaded, es.client);
    const cursor = (await service.search({ filter: 'genres == "comedy"', size: 1 })).nextCursor as string;

    const forged = await rejection(service.search({ cursor: 'not-a-cursor' }));
    expect(forged).toBeInstanceOf(SearchRequestError);
    expect(badSearchRequest(forged)).toEqual({ message: 'cursor: not a cursor this service issued', field: 'cursor' });

    const replayed = await rejection(service.search({ filter: 'genres == "drama"', size: 1, cursor }));
    expect(badSearchRequest(replayed)).toEqual({ message: 'cursor: it belongs to another query, filter, selection or sort', field: 'cursor' });
    expect(es.searches).toHaveLength(1);
  });

  it('tells a client its cursor expired when the point in time is gone, and lets other failures through', async () => {
    const gone = Object.assign(new Error('search_phase_execution_exception: No search context found for id [12]'), { name: 'ResponseError' });
    const down = Object.assign(new Error('connect ECONNREFUSED'), { name: 'ConnectionError' });
    const es = fakeElasticsearch([answer([movie(1), movie(2)]), gone, down]);
    const service = new SearchService(loaded, es.client);
    const cursor = (await service.search({ size: 1 })).nextCursor as string;
    expect(badSearchRequest(await rejection(service.search({ size: 1, cursor })))).toEqual({
      message: 'cursor: expired (a cursor lives 2 minutes after its last use, and old ones are closed when many are open); search again without it',
      field: 'cursor',
    });
    expect(await rejection(service.search({ size: 1 }))).toBe(down);
  });

  it('refuses a facet, selection or sort on a field that does not take one, before searching', async () => {
    const es = fakeElasticsearch([]);
    const service = new SearchService(loaded, es.client);
    expect(badSearchRequest(await rejection(service.search({ facets: ['title'] })))).toMatchObject({ field: 'facets' });
    expect(badSearchRequest(await rejection(service.search({ sort: [{ field: 'cast.role', order: 'asc' }] })))).toMatchObject({ field: 'sort' });
    expect(badSearchRequest(await rejection(service.search({ filter: 'genre == "comedy"' })))).toEqual({
      message: 'filter: unknown field genre (did you mean genres?)',
      field: 'filter',
      column: 1,
      length: 5,
      suggestion: 'genres',
    });
    expect(es.searches).toEqual([]);
  });
});

describe('SearchService admission', () => {
  /** A cluster whose searches all wait until the test answers them. */
  function stalledElasticsearch() {
    const answers = heldAnswers();
    let running = 0;
    let mostRunning = 0;
    const client: SearchClient = {
      search: () => {
        mostRunning = Math.max(mostRunning, ++running);
        return answers.hold(() => {
          running--;
          return answer([movie(1)]);
        });
      },
      openPointInTime: () => Promise.reject(new Error('no point in time expected')),
      closePointInTime: () => Promise.reject(new Error('no point in time expected')),
    };
    return {
      client,
      get mostRunning() {
        return mostRunning;
      },
      answerAll: answers.answerAll,
    };
  }

  it('sends at most maxRunningSearches of an index to Elasticsearch at once, queues maxWaitingSearches, and tells the next to come back (429)', async () => {
    const es = stalledElasticsearch();
    const service = new SearchService(loaded, es.client, { maxRunningSearches: 2, maxWaitingSearches: 3 });
    const searches = Array.from({ length: 6 }, () => service.search({ query: 'space' }).then(() => 'answered', (error: unknown) => error));
    const suggestion = service.suggest('spa').then(() => 'answered', (error: unknown) => error);
    await es.answerAll();
    const outcomes = [...(await Promise.all(searches)), await suggestion];
    expect(es.mostRunning).toBe(2);
    expect(outcomes.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => 'answered'));
    for (const refused of outcomes.slice(5)) {
      expect(refused).toBeInstanceOf(SearchBusyError);
      expect(searchFailure(refused)).toEqual({ status: 429, message: expect.stringContaining('busy'), retryAfterSeconds: 1 });
    }
    // Once the burst is over there is room again.
    const after = service.search({ query: 'space' });
    await es.answerAll();
    expect((await after).total).toBe(1);
  });

  it('lets a waiting search whose deadline passed leave the queue without reaching Elasticsearch', async () => {
    const es = stalledElasticsearch();
    const service = new SearchService(loaded, es.client, { maxRunningSearches: 1, maxWaitingSearches: 1 });
    const running = service.search({ query: 'space' });
    const deadline = new AbortController();
    const waiting = service.search({ query: 'courier' }, deadline.signal).then(() => 'answered', () => 'aborted');
    deadline.abort();
    expect(await waiting).toBe('aborted');
    // Its place in the queue is free: another search waits there instead of being refused.
    const next = service.search({ query: 'harbor' });
    await es.answerAll();
    expect((await running).total).toBe(1);
    expect((await next).total).toBe(1);
    expect(es.mostRunning).toBe(1);
  });
});

describe('parseSearchRequest', () => {
  it('refuses a selected __proto__ as it refuses constructor, instead of dropping it without a word', async () => {
    const body = JSON.parse('{"selected": {"__proto__": ["a"], "genres": ["comedy"]}}') as unknown;
    const refused = (() => {
      try {
        return parseSearchRequest(body);
      } catch (error) {
        return error;
      }
    })();
    expect(badSearchRequest(refused)).toEqual({ message: 'selected: __proto__ is not a facet', field: 'selected' });
    const service = new SearchService(loaded, fakeElasticsearch([]).client);
    const viaConstructor = await rejection(service.search(parseSearchRequest(JSON.parse('{"selected": {"constructor": ["a"]}}'))));
    expect(badSearchRequest(viaConstructor)).toMatchObject({ field: 'selected', message: expect.stringMatching(/^selected: constructor is not a facet/) });
  });
  it('names a key it does not take as the field, with the keys it takes and the nearest of them', () => {
    const refusal = (body: unknown) => {
      try {
        parseSearchRequest(body);
      } catch (error) {
        return badSearchRequest(error);
      }
      throw new Error('accepted');
    };
    expect(refusal({ text: 'midnight' })).toEqual({
      message: 'text: not a key of a search request; it takes query, filter, facets, selected, sort, size, cursor, highlight',
      field: 'text',
    });
    expect(refusal({ querry: 'midnight' })).toEqual({
      message: 'querry: not a key of a search request (did you mean query?); it takes query, filter, facets, selected, sort, size, cursor, highlight',
      field: 'querry',
      suggestion: 'query',
    });
    expect(refusal({ sort: [{ field: 'releaseYear', ordre: 'desc' }] })).toMatchObject({ field: 'sort.0.ordre', suggestion: 'order', message: expect.stringMatching(/^sort\.0\.ordre: not a key of sort\.0 \(did you mean order\?\); it takes field, order$/) });
  });
});

describe('SearchService.suggest', () => {
  it('suggests distinct title and nested cast names that start like the text, accents and case folded', async () => {
    const castHit = (name: string) => ({ _index: 'movies-v1', _id: 'x', _source: { talent: { name } } });
    const es = fakeElasticsearch([
      answer([
        {
          _index: 'movies-v1',
          _id: 'm-1',
          _source: { title: 'Rénovation Blues' },
          inner_hits: {
            'cast.talent.name': { hits: { hits: [castHit('Ryan Reynolds'), castHit('Renée Park')] } },
          },
        },
        { _index: 'movies-v1', _id: 'm-2', _source: { title: 'The Long Run' }, inner_hits: { 'cast.talent.name': { hits: { hits: [castHit('Ryan Reynolds')] } } } },
      ] as Hit[]),
    ]);
    const service = new SearchService(loaded, es.client);
    expect(await service.suggest('  RENO ')).toEqual(['Rénovation Blues']);
    expect(es.searches[0]).toMatchObject({ index: 'movies', size: 16, _source: ['title'] });
  });

  it('caps the suggestions at the size asked for, and does not search for blank text', async () => {
    const names = ['Ryan Reynolds', 'Ryan Rao', 'Ryan Ross'];
    const es = fakeElasticsearch([answer(names.map((title, n) => ({ _index: 'movies-v1', _id: `m-${n}`, _source: { title } })))]);
    const service = new SearchService(loaded, es.client);
    expect(await service.suggest('   ')).toEqual([]);
    expect(es.searches).toEqual([]);
    expect(await service.suggest('ry', 2)).toEqual(['Ryan Reynolds', 'Ryan Rao']);
    expect(es.searches[0]).toMatchObject({ size: 4 });
  });
});
