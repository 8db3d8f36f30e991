import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import fc from 'fast-check';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BackfillProgress } from '../../src/backfill/backfillProgress.ts';
import { runBackfill } from '../../src/backfill/runBackfill.ts';
import { createLogger } from '../../src/logger.ts';
import { startSearchServer, type SearchServer } from '../../src/search/searchServer.ts';
import { SearchService } from '../../src/search/searchService.ts';
import { serveSearch } from '../../src/search/serveSearch.ts';
import { searchClientOf } from '../../src/search/searchClientOf.ts';
import { SearchTransport } from '../../src/clients/searchTransport.ts';
import { GATEWAY_SECRET_HEADER } from '../../src/search/accessToken.ts';
import { RYAN_REYNOLDS_ID } from '../../subgraphs/data/generateStudio.ts';
import { createIndexHarness, type IndexHarness } from '../../support/indexHarness.ts';
import { postGraphQL } from '../../subgraphs/shared/postGraphQL.ts';
import { searchSubgraph } from '../../src/search/searchSubgraph.ts';
import { startDemoGraph } from '../../subgraphs/startDemoGraph.ts';

interface Movie {
  movieId: string;
  title: string;
  genres: string[];
  releaseYear: number | null;
  rating: number | null;
  synopsis: string | null;
  production: { status: string } | null;
  cast: Array<{ role: string; talent: { talentId: string; name: string } }>;
}

const MOVIES = 1_200;
const quiet: BackfillProgress = { update: () => {}, note: () => {}, stop: () => {} };

describe('search against the real index of the demo graph', () => {
  let h: IndexHarness;
  let service: SearchService;
  let server: SearchServer;
  let all: Movie[];
  /** The services search as `fedsearch serve`'s do: over its own transport (points in time over the official client). */
  let transport: SearchTransport;
  const searchClient = () => searchClientOf(h.es, transport);

  const ids = (movies: Array<{ movieId?: string; id?: string }>): string[] => movies.map((m) => (m.id ?? m.movieId) as string).sort();
  const searchAll = async (request: Parameters<SearchService['search']>[0]): Promise<string[]> => {
    const found: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await service.search({ ...request, size: 100, ...(cursor ? { cursor } : {}) });
      found.push(...page.hits.map((hit) => hit.id));
      if (!page.nextCursor) return found.sort();
      cursor = page.nextCursor;
    }
  };
  /** Searches Elasticsearch has run on the test's index so far. */
  const searchCount = async (): Promise<number> => (await h.es.indices.stats({ index: h.index, metric: 'search' }))._all.total?.search?.query_total ?? 0;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  beforeAll(async () => {
    h = await createIndexHarness({ elasticsearchUrl: inject('elasticsearchUrl'), kafkaBrokers: inject('kafkaBrokers'), movies: MOVIES });
    await runBackfill(h.loaded, { rate: Number.POSITIVE_INFINITY, resume: false, newVersion: false, cleanup: true, graceSeconds: 0 }, quiet);
    await h.es.indices.refresh({ index: h.index });
    all = (await h.es.search<Movie>({ index: h.index, size: 5_000, query: { match_all: {} } })).hits.hits.map((hit) => hit._source as Movie);
    expect(all).toHaveLength(MOVIES);
    transport = new SearchTransport(h.loaded.config.elasticsearch);
    service = new SearchService(h.loaded, searchClient());
    server = await startSearchServer(
      [service],
      { host: '127.0.0.1', port: 0, requestTimeoutMs: 10_000, maxBodyBytes: 16_384, authToken: 'secret-token' },
      createLogger(h.index, 'search-test'),
    );
  }, 240_000);

  afterAll(async () => {
    await server?.close();
    await transport?.close();
    await h?.dispose();
  });

  it('finds a title despite a typo, with highlights', async () => {
    const target = all.find((movie) => movie.title.split(' ').length >= 3) as Movie;
    const word = target.title.split(' ')[2] as string;
    const typo = `${word.slice(0, -2)}${word.at(-1)}${word.at(-2)}`;
    const response = await service.search({ query: `${target.title.split(' ')[1]} ${typo}`, size: 50 });
    expect(response.hits.map((hit) => hit.id)).toContain(target.movieId);
    expect(response.hits[0]?.highlights.title?.[0]).toContain('<em>');
  });

  it('searches from the command line: the text as words after the config, a facet chosen, and a malformed choice refused in one line', async () => {
    const target = all.find((movie) => movie.title.split(' ').length >= 3 && movie.genres.length > 0) as Movie;
    const genre = target.genres[0] as string;
    const { NODE_ENV: _unset, ...env } = { ...process.env, ...h.env };
    const fedsearch = (args: string[]) =>
      promisify(execFile)(process.execPath, [new URL('../../cli/fedsearch.js', import.meta.url).pathname, 'search', h.configFile, ...args], { env }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
      );
    const found = await fedsearch([...target.title.split(' '), '--select', `genres=${genre}`, '--size', '100', '--json']);
    expect(found).toMatchObject({ code: 0, stderr: '' });
    const answer = JSON.parse(found.stdout) as { hits: Array<{ id: string }> };
    expect(answer.hits.map((hit) => hit.id)).toContain(target.movieId);
    expect(await service.search({ query: target.title, selected: { genres: [genre] }, size: 100 })).toMatchObject({ hits: answer.hits.map(({ id }) => ({ id })) });
    expect(await fedsearch(['--select', 'genres'])).toEqual({ code: 1, stdout: '', stderr: "error: option '--select <path=value>' argument 'genres' is invalid. expected path=value, e.g. genres=comedy\n(run with --help for usage)\n" });
    expect(await fedsearch(['midnight', '--query', 'summer'])).toEqual({ code: 1, stdout: '', stderr: 'fedsearch: give the text once: "midnight" after the config, or --query "summer"\n' });
  });

  it('filters with each DSL operator exactly like a brute-force scan of the documents', async () => {
    const cases: Array<[string, (movie: Movie) => boolean]> = [
      ['genres == "comedy"', (m) => m.genres.includes('comedy')],
      ['releaseYear >= 2000 AND releaseYear < 2010', (m) => m.releaseYear !== null && m.releaseYear >= 2000 && m.releaseYear < 2010],
      ['production.status IN ["PHOTOGRAPHY", "PRE_PRODUCTION"]', (m) => ['PHOTOGRAPHY', 'PRE_PRODUCTION'].includes(m.production?.status ?? '')],
      ['synopsis NOT EXISTS', (m) => m.synopsis === null],
      ['synopsis EXISTS AND genres != "comedy"', (m) => m.synopsis !== null && !m.genres.includes('comedy')],
      ['synopsis CONTAINS "Courier"', (m) => (m.synopsis ?? '').toLowerCase().split(/[^a-z]+/).includes('courier')],
      ['rating <= 2.5 OR rating > 9.5', (m) => m.rating !== null && (m.rating <= 2.5 || m.rating > 9.5)],
      ['NOT genres == "drama" AND releaseYear > 2020', (m) => !m.genres.includes('drama') && (m.releaseYear ?? 0) > 2020],
      ['genres == "horror" OR genres == "western"', (m) => m.genres.includes('horror') || m.genres.includes('western')],
    ];
    for (const [filter, matches] of cases) {
      expect(await searchAll({ filter }), filter).toEqual(ids(all.filter(matches)));
    }
  });

  it('matches conditions on one nested path within the same element (and not across elements)', async () => {
    const directs = (m: Movie) => m.cast.some((c) => c.talent.talentId === RYAN_REYNOLDS_ID && c.role === 'DIRECTOR');
    const credited = (m: Movie) => m.cast.some((c) => c.talent.talentId === RYAN_REYNOLDS_ID);
    const expected = ids(all.filter(directs));
    const found = await searchAll({ filter: '(cast.talent.name == "Ryan Reynolds" AND cast.role == "DIRECTOR")' });
    expect(found).toEqual(expected);
    // The negative case exists in the data: movies where he is credited but someone else directs.
    const actsOnly = all.filter((m) => credited(m) && !directs(m));
    expect(actsOnly.length).toBeGreaterThan(0);
    for (const movie of actsOnly) expect(found).not.toContain(movie.movieId);
  });

  it('counts disjunctive facets exactly like a brute-force count', async () => {
    const response = await service.search({
      filter: 'releaseYear >= 1990',
      facets: ['genres', 'production.status', 'cast.role'],
      selected: { genres: ['comedy', 'drama'] },
      size: 0,
    });
    const base = all.filter((m) => (m.releaseYear ?? 0) >= 1990);
    const chosen = base.filter((m) => m.genres.some((g) => g === 'comedy' || g === 'drama'));
    expect(response.total).toBe(chosen.length);
    const count = (movies: Movie[], values: (m: Movie) => string[]) => {
      const counts = new Map<string, number>();
      for (const movie of movies) for (const value of new Set(values(movie))) counts.set(value, (counts.get(value) ?? 0) + 1);
      return counts;
    };
    // The genres facet ignores its own selection: counts over the filtered set.
    const genreCounts = count(base, (m) => m.genres);
    for (const facet of response.facets.genres ?? []) expect(facet.count, facet.value).toBe(genreCounts.get(facet.value));
    expect(response.facets.genres?.find((f) => f.value === 'comedy')?.selected).toBe(true);
    // Other facets count within the selection; the nested one counts movies, not credits.
    const statusCounts = count(chosen, (m) => (m.production ? [m.production.status] : []));
    for (const facet of response.facets['production.status'] ?? []) expect(facet.count, facet.value).toBe(statusCounts.get(facet.value));
    const roleCounts = count(chosen, (m) => m.cast.map((c) => c.role));
    for (const facet of response.facets['cast.role'] ?? []) expect(facet.count, facet.value).toBe(roleCounts.get(facet.value));
  });

  it('pages through every hit exactly once', async () => {
    const expected = ids(all.filter((m) => m.genres.includes('action')));
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 1_000; page++) {
      const response = await service.search({ filter: 'genres == "action"', size: 7, ...(cursor ? { cursor } : {}) });
      seen.push(...response.hits.map((hit) => hit.id));
      if (!response.nextCursor) break;
      cursor = response.nextCursor;
    }
    expect(seen.length).toBe(new Set(seen).size);
    expect(seen.sort()).toEqual(expected);
  });

  it('answers over HTTP, with 400s that explain and a bearer token required', async () => {
    const auth = { authorization: 'Bearer secret-token' };
    const ok = await post(`/v1/indexes/${h.index}/search`, { filter: 'genres == "comedy"', size: 2 }, auth);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { hits: unknown[] }).hits).toHaveLength(2);

    const badField = await post(`/v1/indexes/${h.index}/search`, { filter: 'genre == "comedy"' }, auth);
    expect(badField.status).toBe(400);
    const error = ((await badField.json()) as { error: { message: string; column: number; suggestion?: string } }).error;
    expect(error.column).toBe(1);
    expect(`${error.message} ${error.suggestion ?? ''}`).toContain('genres');

    const badSize = await post(`/v1/indexes/${h.index}/search`, { size: 5_000 }, auth);
    expect(badSize.status).toBe(400);
    expect(await post(`/v1/indexes/${h.index}/search`, {}, {})).toHaveProperty('status', 401);
    expect((await post('/v1/indexes/nope/search', {}, auth)).status).toBe(404);

    const title = all[0]?.title as string;
    const prefix = title.split(' ')[1]?.slice(0, 3) as string;
    const suggest = await fetch(`${server.url}/v1/indexes/${h.index}/suggest?q=${encodeURIComponent(prefix)}`, { headers: auth });
    const suggestions = ((await suggest.json()) as { suggestions: string[] }).suggestions;
    expect(suggestions.length).toBeGreaterThan(0);
    expect(suggestions.every((s) => s.toLowerCase().includes(prefix.toLowerCase()))).toBe(true);
  });

  it('answers thousands of random filters over HTTP with 200 or 400, never anything else', async () => {
    const vocabulary = ['genres', 'cast.role', 'cast.talent.name', 'releaseYear', 'synopsis', 'updatedAt', 'nope', '==', '!=', '<', '>=',
      'IN', '[', ']', ',', '(', ')', 'AND', 'OR', 'NOT', 'CONTAINS', 'EXISTS', '"comedy"', '"ACTOR"', '"2026-01-01"', '1999', '-2.5', 'true', '"', '\\'];
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 40 }), fc.array(fc.constantFrom(...vocabulary), { maxLength: 10 }).map((t) => t.join(' '))), async (filter) => {
        const response = await post(`/v1/indexes/${h.index}/search`, { filter, size: 1, facets: [] }, { authorization: 'Bearer secret-token' });
        await response.arrayBuffer();
        statuses.add(response.status);
        expect([200, 400]).toContain(response.status);
      }),
      { numRuns: 1_500 },
    );
    expect(statuses).toEqual(new Set([200, 400]));
  }, 180_000);

  it('serves a search page that searches, suggests, shows filter errors inline and narrows by facets', async () => {
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      // The token is asked for once, on the first 401, kept for the tab, and never put in the URL.
      const prompts: string[] = [];
      page.on('dialog', (dialog) => {
        prompts.push(dialog.message());
        void dialog.accept('secret-token');
      });
      await page.goto(`${server.url}/`);
      await page.waitForSelector('.card');
      expect(prompts).toEqual(['This search service needs its access token:']);
      expect(page.url()).toBe(`${server.url}/`);
      expect(await page.textContent('#status')).toBe(`${MOVIES} results`);

      const word = (all[0]?.title.split(' ')[2] ?? '').toLowerCase();
      await page.fill('#query', word);
      // Fuzzy matching may rank a near miss first ("golden" for "garden"); the word itself must be highlighted somewhere.
      await expect
        .poll(async () => (await page.locator('.card em').allTextContents()).map((text) => text.toLowerCase()), { timeout: 10_000 })
        .toContain(word);
      await expect.poll(() => page.locator('#suggestions option').count(), { timeout: 10_000 }).toBeGreaterThan(0);

      await page.fill('#filter', 'genre == "comedy"');
      await page.waitForSelector('#filter.invalid');
      expect(await page.textContent('#filterError')).toBe('filter: unknown field genre (did you mean genres?) (column 1)');

      await page.fill('#filter', '');
      await page.fill('#query', '');
      await expect.poll(() => page.textContent('#status'), { timeout: 10_000 }).toBe(`${MOVIES} results`);
      await page.check('input[data-field="genres"][data-value="comedy"]');
      const comedies = all.filter((m) => m.genres.includes('comedy')).length;
      await expect.poll(() => page.textContent('#status'), { timeout: 10_000 }).toBe(`${comedies} results`);
      expect(prompts).toHaveLength(1);

      // Every hit shows the document's id, above its title.
      expect(await page.locator('.card').first().getAttribute('data-id')).toBe(await page.locator('.card .id').first().textContent());
      // One index served: no index selector.
      expect(await page.isHidden('#index')).toBe(true);

      mkdirSync('.fedsearch', { recursive: true });
      const screenshot = join(process.cwd(), '.fedsearch', 'search-page.png');
      await page.screenshot({ path: screenshot, fullPage: false });
      process.stdout.write(`search page screenshot: ${screenshot}\n`);
    } finally {
      await browser.close();
    }
  }, 120_000);

  it('switches the page between the indexes a server serves, and opens the one a link names', async () => {
    // A second index: an alias of the same documents holding only the comedies, shown by id alone.
    const comedyIndex = `${h.index}-comedies`;
    const [liveIndex] = Object.keys(await h.es.indices.getAlias({ name: h.index }));
    await h.es.indices.putAlias({ index: liveIndex as string, name: comedyIndex, filter: { term: { genres: 'comedy' } } });
    const comedies = new SearchService({ ...h.loaded, config: { ...h.loaded.config, index: comedyIndex }, display: { title: null, subtitle: [], detail: [] } }, searchClient());
    const both = await startSearchServer([service, comedies], { host: '127.0.0.1', port: 0, requestTimeoutMs: 10_000, maxBodyBytes: 16_384 }, createLogger(h.index, 'search-test'));
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
    try {
      const page = await browser.newPage();
      await page.goto(`${both.url}/`);
      await page.waitForSelector('.card');
      expect(await page.locator('#index option').allTextContents()).toEqual([h.index, comedyIndex]);
      expect(await page.inputValue('#index')).toBe(h.index);
      expect(await page.textContent('#status')).toBe(`${MOVIES} results`);

      const comedyCount = all.filter((m) => m.genres.includes('comedy')).length;
      await page.selectOption('#index', comedyIndex);
      await expect.poll(() => page.textContent('#status'), { timeout: 10_000 }).toBe(`${comedyCount} results`);
      // This index shows no title field: the heading is the id.
      expect(await page.locator('.card h2').first().textContent()).toBe(await page.locator('.card').first().getAttribute('data-id'));
      expect(new URL(page.url()).searchParams.get('index')).toBe(comedyIndex);

      // The address opens the same index again; a name it does not serve falls back to the first.
      await page.reload();
      await expect.poll(() => page.textContent('#status'), { timeout: 10_000 }).toBe(`${comedyCount} results`);
      expect(await page.inputValue('#index')).toBe(comedyIndex);
      await page.goto(`${both.url}/?index=nowhere`);
      await expect.poll(() => page.textContent('#status'), { timeout: 10_000 }).toBe(`${MOVIES} results`);
      // A hostile ?index= never reaches a request path: only a served name is used, and encoded.
      const requested: string[] = [];
      page.on('request', (request) => requested.push(new URL(request.url()).pathname));
      await page.goto(`${both.url}/?index=${encodeURIComponent('../../_cat/indices?v=')}`);
      await expect.poll(() => page.textContent('#status'), { timeout: 10_000 }).toBe(`${MOVIES} results`);
      expect(requested.filter((path) => path.includes('_cat') || path.includes('..'))).toEqual([]);
      expect(requested).toContain(`/v1/indexes/${encodeURIComponent(h.index)}/search`);
    } finally {
      await browser.close();
      await both.close();
      await h.es.indices.deleteAlias({ index: liveIndex as string, name: comedyIndex });
    }
  }, 120_000);

  it('closes the point in time of a scroll on its last page', async () => {
    const scroller = new SearchService(h.loaded, searchClient());
    const first = await scroller.search({ size: 500 });
    // The second page opens the point in time; the cursor's payload is readable (only its signature
    // is secret): it names the point in time.
    const second = await scroller.search({ size: 500, cursor: first.nextCursor as string });
    const pit = (JSON.parse(Buffer.from((second.nextCursor as string).split('.')[0] as string, 'base64url').toString('utf8')) as { pit: string }).pit;
    const pitAnswers = async (): Promise<boolean> => {
      try {
        await h.es.search({ pit: { id: pit }, size: 0 });
        return true;
      } catch {
        return false;
      }
    };
    expect(await pitAnswers()).toBe(true);
    let cursor = second.nextCursor;
    while (cursor) cursor = (await scroller.search({ size: 500, cursor })).nextCursor;
    await expect.poll(pitAnswers, { timeout: 10_000 }).toBe(false);
  });

  it('the search subgraph refuses a query without the token, and takes the token or the gateway secret', async () => {
    const running = await serveSearch([h.loaded], {
      host: '127.0.0.1', port: 0, subgraphPort: 0, requestTimeoutMs: 10_000, maxBodyBytes: 16_384, authToken: 'api-token', gatewaySecret: 'gateway-secret',
    });
    try {
      const query = (headers: Record<string, string>) =>
        fetch(running.subgraphUrl as string, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: '{ searchMovies { totalCount } }' }) });
      const refused = await query({});
      expect(refused.status).toBe(401);
      expect(await refused.text()).not.toMatch(/stacktrace|\/work\/|node_modules|api-token/);
      expect((await query({ authorization: 'Bearer wrong' })).status).toBe(401);
      const allowed: Array<Record<string, string>> = [{ authorization: 'Bearer api-token' }, { [GATEWAY_SECRET_HEADER]: 'gateway-secret' }];
      for (const headers of allowed) {
        const answered = await query(headers);
        expect(answered.status).toBe(200);
        expect(await answered.json()).toEqual({ data: { searchMovies: { totalCount: MOVIES } } });
      }
    } finally {
      await running.close();
    }
  });

  it('answers searchMovies through the gateway with live fields from all three subgraphs', async () => {
    const graph = await startDemoGraph({
      movies: MOVIES,
      kafkaBrokers: null,
      ports: { gateway: 0, movies: 0, productions: 0, talent: 0, search: 0 },
      search: searchSubgraph([{ service, query: h.loaded.query }]),
    });
    try {
      const actor = all.flatMap((m) => m.cast.filter((c) => c.role === 'ACTOR').map((c) => ({ movie: m, name: c.talent.name })))[0]!;
      const status = actor.movie.production?.status as string;
      const filter = `production.status == "${status}" AND (cast.talent.name == "${actor.name}" AND cast.role == "ACTOR")`;
      const data = await postGraphQL<{
        searchMovies: { totalCount: number; edges: Array<{ node: Movie }>; facets: Array<{ field: string }> };
      }>(
        graph.gatewayUrl,
        `query($filter: String) { searchMovies(filter: $filter, first: 50, facets: ["genres"]) {
          totalCount facets { field values { value count } }
          edges { node { movieId title production { status } cast { role talent { name } } } }
        } }`,
        { filter },
      );
      const expected = all.filter((m) => m.production?.status === status && m.cast.some((c) => c.role === 'ACTOR' && c.talent.name === actor.name));
      expect(data.searchMovies.totalCount).toBe(expected.length);
      expect(ids(data.searchMovies.edges.map((e) => e.node))).toEqual(ids(expected));
      const hit = data.searchMovies.edges.find((e) => e.node.movieId === actor.movie.movieId)!.node;
      expect(hit.title).toBe(actor.movie.title); // movies subgraph
      expect(hit.production?.status).toBe(status); // productions subgraph
      expect(hit.cast.some((c) => c.talent.name === actor.name)).toBe(true); // talent subgraph
      expect(data.searchMovies.facets.map((f) => f.field)).toEqual(['genres']);

      const bad = await fetch(graph.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ searchMovies(filter: "genre == 1") { totalCount } }' }),
      });
      const body = (await bad.json()) as { errors: Array<{ message: string; extensions: { code: string; column: number } }> };
      expect(body.errors[0]?.message).toBe('filter: unknown field genre (did you mean genres?)');
      expect(body.errors[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', column: 1 });

      // 1,000 aliases of searchMovies through the gateway, without a token: refused before any search runs.
      const searchesBefore = await searchCount();
      const aliases = Array.from({ length: 1000 }, (_, i) => `s${i}: searchMovies { totalCount }`).join(' ');
      const costly = await fetch(graph.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `{ ${aliases} }` }) });
      const refused = (await costly.json()) as { data?: unknown; errors: Array<{ message: string; extensions: { code: string } }> };
      expect(costly.status).toBe(400);
      expect(refused.data).toBeUndefined();
      expect(refused.errors[0]?.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(refused.errors[0]?.message).toMatch(/runs 1000 searches; at most 5/);
      expect(await searchCount()).toBe(searchesBefore);
    } finally {
      await graph.stop();
    }
  });
});
