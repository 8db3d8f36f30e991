import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { Agent, request as httpRequest } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { apolloServerOptions } from '../../src/apolloServerOptions.ts';
import type { Listener } from '../../src/httpListener.ts';
import { SearchBusyError } from '../../src/search/searchAdmission.ts';
import { startSearchServer, type SearchServer } from '../../src/search/searchServer.ts';
import type { SearchService } from '../../src/search/searchService.ts';
import { searchSubgraph, type SearchSubgraphContext } from '../../src/search/searchSubgraph.ts';
import { startSubgraphListener } from '../../src/search/subgraphListener.ts';
import { moviesIndex } from './moviesIndex.ts';

/**
 * The HTTP layer under hostile input, on a real server on loopback; the search behind it is a
 * stand-in that fails the way Elasticsearch does (the real stack runs in search.int.test.ts).
 */
const REQUEST_TIMEOUT_MS = 1_000;

/** Searches the stand-in was told to give up on (the server's deadline aborted them). */
const aborted: string[] = [];

const service = {
  index: 'movies',
  async search(request: { query?: string }, signal?: AbortSignal) {
    if (request.query === 'refused') throw Object.assign(new Error('search_phase_execution_exception: [x] failed to parse search_after'), { meta: { statusCode: 400 } });
    if (request.query === 'busy') throw new SearchBusyError('the search service is busy: too many searches of movies in flight', 3);
    if (request.query === 'hang') {
      return new Promise((_, reject) =>
        signal?.addEventListener('abort', () => {
          aborted.push(request.query as string);
          reject(new Error('Request aborted'));
        }),
      );
    }
    if (request.query === 'accented') return { total: 1, hits: [{ id: 'm1', score: 1, document: { title: 'Amélie — 東京物語' }, highlights: {} }], facets: {}, nextCursor: null };
    return { total: 0, hits: [], facets: {}, nextCursor: null };
  },
  suggest: async () => [],
  display: { title: 'title', subtitle: ['genres'], detail: [] },
} as unknown as SearchService; // search, suggest and display are all the server reads

describe('the search HTTP server', () => {
  let server: SearchServer;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  beforeAll(async () => {
    server = await startSearchServer([service], { host: '127.0.0.1', port: 0, requestTimeoutMs: REQUEST_TIMEOUT_MS, maxBodyBytes: 4_096, authToken: 's3cret' }, pino({ level: 'silent' }));
  });
  afterAll(async () => {
    await server.close();
  });

  const auth = { authorization: 'Bearer s3cret' };

  it('answers a search refused by the per-index limiter with 429 and the Retry-After it asked for', async () => {
    const response = await post('/v1/indexes/movies/search', { query: 'busy' }, auth);
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('3');
    expect(await response.json()).toEqual({ error: { message: 'the search service is busy: too many searches of movies in flight' } });
  });

  it('declares the length of an answer in bytes, not characters, so a client reads all of it and no more', async () => {
    const response = await post('/v1/indexes/movies/search', { query: 'accented' }, auth);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(response.headers.get('content-length')).toBe(String(bytes.length));
    expect(JSON.parse(bytes.toString('utf8')).hits[0].document.title).toBe('Amélie — 東京物語');
  });

  it('tells the page what a hit of the index shows, to a client with the token', async () => {
    expect((await fetch(`${server.url}/v1/indexes/movies`)).status).toBe(401);
    const response = await fetch(`${server.url}/v1/indexes/movies`, { headers: auth });
    expect(await response.json()).toEqual({ index: 'movies', display: { title: 'title', subtitle: ['genres'], detail: [] } });
    expect((await fetch(`${server.url}/v1/indexes/shows`, { headers: auth })).status).toBe(404);
  });

  it('takes the bearer scheme in any case (RFC 9110), instead of answering 401 to `bearer <token>`', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      expect((await fetch(`${server.url}/v1/indexes/movies`, { headers: { authorization: `${scheme} s3cret` } })).status).toBe(200);
    }
    expect((await fetch(`${server.url}/v1/indexes/movies`, { headers: { authorization: 'bearer wrong' } })).status).toBe(401);
  });

  it('answers a malformed percent-escape in the path with a 400, not a 500', async () => {
    const response = await post('/v1/indexes/%E0%A4%A/search', {}, auth);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: { message: 'malformed percent-escape in the path: %E0%A4%A' } });
  });

  it('answers a request Elasticsearch refuses (a bad search_after) with a 400 that does not pass its message through', async () => {
    const response = await post('/v1/indexes/movies/search', { query: 'refused' }, auth);
    expect(response.status).toBe(400);
    const body = await response.text();
    expect(body).not.toMatch(/search_phase_execution_exception|search_after/);
  });

  it('answers a search Elasticsearch never finishes with a 504 at the deadline instead of keeping the client waiting', async () => {
    const started = Date.now();
    const response = await post('/v1/indexes/movies/search', { query: 'hang' }, auth);
    expect(response.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(REQUEST_TIMEOUT_MS * 5);
    // …and the Elasticsearch request nobody waits for any more is aborted, not left running.
    expect(aborted).toEqual(['hang']);
  });

  it('ends a request whose body drips in with a 408 near the deadline, not a minute later', async () => {
    const started = Date.now();
    const { port } = new URL(server.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write('POST /v1/indexes/movies/search HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{');
        const drip = setInterval(() => socket.write(' '), 300);
        socket.on('close', () => clearInterval(drip));
      });
      let received = '';
      socket.on('data', (chunk) => void (received += chunk.toString()));
      socket.on('close', () => resolve(received));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(Date.now() - started).toBeLessThan(REQUEST_TIMEOUT_MS * 5);
  });

  it('refuses a wrong token of any length with the same 401', async () => {
    for (const token of ['s3cre', 's3cret!', 'x'.repeat(500), '']) {
      const response = await post('/v1/indexes/movies/search', {}, { authorization: `Bearer ${token}` });
      expect(response.status).toBe(401);
    }
    expect((await post('/v1/indexes/movies/search', {}, auth)).status).toBe(200);
  });
});

describe('the search subgraph listener', () => {
  let subgraph: Listener;
  let api: SearchServer;
  const ORIGIN = 'https://search.example';
  const options = { host: '127.0.0.1', port: 0, requestTimeoutMs: REQUEST_TIMEOUT_MS, maxBodyBytes: 4_096, authToken: 's3cret', corsOrigin: ORIGIN };
  const operation = (query: string): Promise<Response> =>
    fetch(subgraph.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer s3cret', origin: ORIGIN }, body: JSON.stringify({ query }) });

  beforeAll(async () => {
    const apollo = new ApolloServer<SearchSubgraphContext>({ ...apolloServerOptions(), schema: searchSubgraph([{ service, query: moviesIndex().query }]) });
    subgraph = await startSubgraphListener(apollo, options, pino({ level: 'silent' }));
    api = await startSearchServer([service], options, pino({ level: 'silent' }));
  });
  afterAll(async () => {
    await subgraph.close();
    await api.close();
  });

  it('gives all the searches of one operation the request deadline, then aborts them', async () => {
    aborted.length = 0;
    const response = await operation('{ a: searchMovies(query: "hang") { totalCount } b: searchMovies(query: "hang") { totalCount } }');
    const body = (await response.json()) as { data: unknown; errors: Array<{ message: string; extensions: { code: string } }> };
    expect(body.data).toBeNull();
    expect(body.errors.map((error) => error.extensions.code)).toEqual(['SEARCH_TIMEOUT']);
    await expect.poll(() => aborted).toEqual(['hang', 'hang']);
  });

  it('allows the configured origin, and only it, on both listeners', async () => {
    const answer = await operation('{ searchMovies { totalCount } }');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const preflight = await fetch(subgraph.url, { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    const apiAnswer = await fetch(`${api.url}/v1/indexes/movies/search`, { method: 'POST', headers: { authorization: 'Bearer s3cret', origin: ORIGIN }, body: '{}' });
    expect(apiAnswer.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  });
});

describe('shutting down the search HTTP server', () => {
  it('finishes the request in flight on a busy keep-alive connection, then closes it, instead of serving that client for ever', async () => {
    const slow = { ...service, search: () => new Promise((resolve) => setTimeout(() => resolve({ total: 0, hits: [], facets: {}, nextCursor: null }), 300)) } as unknown as SearchService;
    const server = await startSearchServer([slow], { host: '127.0.0.1', port: 0, requestTimeoutMs: 2_000, idleTimeoutMs: 5_000, maxBodyBytes: 4_096 }, pino({ level: 'silent' }));
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const post = (): Promise<{ status: number; connection: string | undefined }> =>
      new Promise((resolve, reject) => {
        const request = httpRequest(`${server.url}/v1/indexes/movies/search`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (response) => {
          response.resume();
          response.on('end', () => resolve({ status: response.statusCode ?? 0, connection: response.headers.connection }));
        });
        request.on('error', reject);
        request.end('{}');
      });
    const answers: Array<{ status: number; connection: string | undefined }> = [];
    let stop = false;
    const client = (async () => {
      while (!stop) answers.push(await post());
    })();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = server.close().then(() => 'closed');
    // Generous: the point is that it closes at all while the client keeps sending.
    const outcome = await Promise.race([closed, new Promise((resolve) => setTimeout(() => resolve('still open'), 3_000))]);
    stop = true;
    await client.catch(() => undefined);
    agent.destroy();
    expect(outcome).toBe('closed');
    expect(answers.map((a) => a.status).every((s) => s === 200)).toBe(true);
    expect(answers.at(-1)?.connection).toBe('close');
  }, 10_000);
});

describe("serve's own Elasticsearch access failing", () => {
  it('answers an alias gone with 503 naming the index and credentials refused with 502, logs both, and leaks no internals, instead of blaming the client with 400', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done(); } }));
    const esError = (statusCode: number, type: string, index?: string): Error =>
      Object.assign(new Error(`${type}: [secret-internal-host] no such index`), { name: 'ResponseError', meta: { statusCode, body: { error: { type, ...(index ? { index } : {}) } } } });
    let next = esError(404, 'index_not_found_exception', 'movies');
    const failing = { ...service, search: async () => { throw next; } } as unknown as SearchService;
    const server = await startSearchServer([failing], { host: '127.0.0.1', port: 0, requestTimeoutMs: 1_000, maxBodyBytes: 4_096 }, logger);
    try {
      const seen: Array<{ status: number; message: string; logged: boolean }> = [];
      for (const error of [esError(404, 'index_not_found_exception', 'movies'), esError(401, 'security_exception'), esError(403, 'security_exception')]) {
        next = error;
        lines.length = 0;
        const response = await fetch(`${server.url}/v1/indexes/movies/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"harbor"}' });
        const body = (await response.json()) as { error: { message: string } };
        seen.push({ status: response.status, message: body.error.message, logged: lines.some((line) => line.includes('security_exception') || line.includes('index_not_found_exception')) });
      }
      expect(seen).toEqual([
        { status: 503, message: 'movies is not in Elasticsearch at the moment; try again later', logged: true },
        { status: 502, message: 'the search service could not read its index (logged by the server)', logged: true },
        { status: 502, message: 'the search service could not read its index (logged by the server)', logged: true },
      ]);
    } finally {
      await server.close();
    }
  });
});

describe('a client that goes away', () => {
  it('stops its search (freeing its admission slot), instead of the search running on to the deadline', async () => {
    let stopped: () => void = () => {};
    const searchStopped = new Promise<string>((resolve) => (stopped = () => resolve('stopped')));
    let searchStarted: () => void = () => {};
    const started = new Promise<void>((resolve) => (searchStarted = resolve));
    const hanging = {
      ...service,
      search: (_request: unknown, signal?: AbortSignal) => {
        searchStarted();
        return new Promise((_, reject) => signal?.addEventListener('abort', () => { stopped(); reject(new Error('aborted')); }));
      },
    } as unknown as SearchService;
    // The deadline is far off: only the client going away can stop the search within the test.
    const server = await startSearchServer([hanging], { host: '127.0.0.1', port: 0, requestTimeoutMs: 60_000, maxBodyBytes: 4_096 }, pino({ level: 'silent' }));
    try {
      const client = new AbortController();
      const pending = fetch(`${server.url}/v1/indexes/movies/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"harbor"}', signal: client.signal }).catch(() => 'gone');
      await started;
      client.abort(); // the page's as-you-type: the user typed on
      await pending;
      expect(await Promise.race([searchStopped, new Promise((resolve) => setTimeout(() => resolve('still running'), 5_000))])).toBe('stopped');
    } finally {
      await server.close();
    }
  }, 15_000);
});
