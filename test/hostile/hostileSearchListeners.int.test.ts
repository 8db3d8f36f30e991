// Hostile clients against both listeners of `fedsearch serve` — the HTTP API and the search
// subgraph — over a real index, served with a token: each case of issue #28 that reached a
// listener, by name. Nothing is read, inflated or parsed before the token is checked; whatever
// comes in is answered with JSON and nothing of the server's insides; a subgraph operation cannot
// run more searches than its limit; silent, idle and dripping clients are cut.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveSearch, type RunningSearch } from '../../src/search/serveSearch.ts';
import type { IndexHarness } from '../../support/indexHarness.ts';
import { backfilledIndex, HOSTILE_AUTH, HOSTILE_TOKEN, untilServerCloses } from '../support/hostileSearch.ts';

const MOVIES = 12;
const MAX_BODY_BYTES = 65_536;
/** Small, so a test waits for it in seconds; the listeners cut by it whatever its value. */
const IDLE_TIMEOUT_MS = 300;
const REQUEST_TIMEOUT_MS = 2_000;

interface Answer {
  status: number;
  headers: Headers;
  body: string;
}

describe('hostile clients of the search listeners', () => {
  let h: IndexHarness;
  let running: RunningSearch;
  /** Both listeners, by name, with where a request with a body goes on each. */
  let listeners: Array<{ name: string; url: string; bodyPath: string }>;

  const send = async (url: string, init: RequestInit = {}): Promise<Answer> => {
    const response = await fetch(url, init);
    return { status: response.status, headers: response.headers, body: await response.text() };
  };
  const graphql = (body: unknown, headers: Record<string, string> = HOSTILE_AUTH): Promise<Answer> =>
    send(running.subgraphUrl as string, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  /** A 4xx in JSON, with nothing of the server's insides: no HTML page, no stack trace, no paths. */
  const expectJson4xx = (answer: Answer, status?: number): void => {
    if (status !== undefined) expect(answer.status, answer.body).toBe(status);
    expect(answer.status, answer.body).toBeGreaterThanOrEqual(400);
    expect(answer.status, answer.body).toBeLessThan(500);
    expect(answer.headers.get('content-type'), answer.body).toMatch(/^application\/json/);
    expect(() => JSON.parse(answer.body) as unknown, answer.body).not.toThrow();
    expect(answer.body).not.toMatch(/node_modules|<html|stacktrace|\/work\/|at [\w.]+ \(/i);
  };

  beforeAll(async () => {
    h = await backfilledIndex(MOVIES);
    running = await serveSearch([h.loaded], {
      host: '127.0.0.1',
      port: 0,
      subgraphPort: 0,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      idleTimeoutMs: IDLE_TIMEOUT_MS,
      maxBodyBytes: MAX_BODY_BYTES,
      authToken: HOSTILE_TOKEN,
    });
    listeners = [
      { name: 'HTTP API', url: running.apiUrl, bodyPath: `${running.apiUrl}/v1/indexes/${h.index}/search` },
      { name: 'subgraph', url: running.subgraphUrl as string, bodyPath: running.subgraphUrl as string },
    ];
  }, 240_000);

  afterAll(async () => {
    await running?.close();
    await h?.dispose();
  });

  it('a search through the subgraph with the token is answered (the limits below refuse only what they should)', async () => {
    const answer = await graphql({ query: '{ a: searchMovies { totalCount } b: searchMovies(first: 1) { edges { highlights { field } } pageInfo { hasNextPage } } }' });
    expect(answer.status, answer.body).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ data: { a: { totalCount: MOVIES }, b: { edges: [{ highlights: [] }], pageInfo: { hasNextPage: true } } } });
  });

  it('a gzip bomb without a token is a 401 on either listener, with nothing inflated: memory stays bounded', async () => {
    // 40 MB of nested arrays in about 40 KB of gzip, as in the report.
    const nesting = 20_000_000;
    const bomb = gzipSync(Buffer.concat([Buffer.from('{"query":"{ __typename }","variables":{"x":'), Buffer.alloc(nesting, '['), Buffer.alloc(nesting, ']'), Buffer.from('}}')]), { level: 9 });
    expect(bomb.length).toBeLessThan(MAX_BODY_BYTES);
    const rssBefore = process.memoryUsage().rss;
    for (const { name, bodyPath } of listeners) {
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => send(bodyPath, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: bomb })),
      );
      for (const answer of answers) expectJson4xx(answer, 401);
      // With the token it is inflated only up to the body limit, then refused.
      const withToken = await send(bodyPath, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', ...HOSTILE_AUTH }, body: bomb });
      expectJson4xx(withToken, 413);
      expect(withToken.body, name).toMatch(/inflates to over/);
    }
    // Inflating and parsing it took the process from ~200 MB to 2–3 GB before.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(150 * 1024 * 1024);
  }, 60_000);

  it('an operation with 1,000 aliases of the search field is refused as a whole, before any search runs', async () => {
    const aliases = Array.from({ length: 1_000 }, (_, i) => `s${i}: searchMovies { totalCount }`).join('\n');
    const answer = await graphql({ query: `{ ${aliases} }` });
    expectJson4xx(answer, 400);
    const { errors, data } = JSON.parse(answer.body) as { errors: Array<{ message: string; extensions: { code: string } }>; data?: unknown };
    expect(data).toBeUndefined();
    expect(errors).toEqual([expect.objectContaining({ message: expect.stringMatching(/runs 1000 searches; at most 5/), extensions: expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED' }) })]);
  });

  it('searches multiplied through fragments are counted where the fragments are spread', async () => {
    const query = `{ ...f ...f ...f }
      fragment f on Query { ...g ...g }
      fragment g on Query { searchMovies { totalCount } }`;
    const answer = await graphql({ query });
    expectJson4xx(answer, 400);
    expect(answer.body).toMatch(/runs 6 searches/);
  });

  it('malformed requests are a JSON 4xx with no stack trace or HTML, on either listener', async () => {
    const post = (url: string, body: string | Uint8Array, headers: Record<string, string> = {}): Promise<Answer> =>
      send(url, { method: 'POST', headers: { 'content-type': 'application/json', ...HOSTILE_AUTH, ...headers }, body });
    for (const { name, url, bodyPath } of listeners) {
      const cases: Array<[string, Promise<Answer>, number]> = [
        ['broken JSON', post(bodyPath, '{"query": '), 400],
        ['a body over the limit', post(bodyPath, `{"query":"${'x'.repeat(MAX_BODY_BYTES)}"}`), 413],
        ['an unknown charset', post(bodyPath, '{}', { 'content-type': 'application/json; charset=x-klingon' }), 415],
        ['bad gzip', post(bodyPath, 'not gzip at all', { 'content-encoding': 'gzip' }), 400],
        ['gzip inside gzip', post(bodyPath, gzipSync(gzipSync('{}')), { 'content-encoding': 'gzip, gzip' }), 415],
        ['an unknown content-encoding', post(bodyPath, '{}', { 'content-encoding': 'zstd-but-not-really' }), 415],
        ['JSON nested 10,000 deep', post(bodyPath, `{"variables":${'['.repeat(10_000)}${']'.repeat(10_000)}}`), 400],
        ['an unknown path', send(`${url}/nowhere/../../etc`, { headers: HOSTILE_AUTH }), 404],
      ];
      for (const [what, answer, status] of cases) {
        const settled = await answer;
        expectJson4xx(settled, status);
        expect(settled.status, `${name}: ${what}`).toBe(status);
      }
    }
    // What only the subgraph takes: a GET without an operation (no landing page instead), a POST
    // that is not JSON, a body that is JSON but no operation.
    expectJson4xx(await send(running.subgraphUrl as string, { headers: { accept: 'text/html', ...HOSTILE_AUTH } }), 400);
    expectJson4xx(await post(running.subgraphUrl as string, 'query { searchMovies { totalCount } }', { 'content-type': 'text/plain' }));
    expectJson4xx(await post(running.subgraphUrl as string, '[1, 2, 3]'), 400);
  });

  it('a connection opened and left silent is closed by the server after the idle timeout, on either listener', async () => {
    for (const { url } of listeners) expect(await untilServerCloses(url)).toBe('');
  });

  it('a kept-alive connection left idle after its answer is closed by the server', async () => {
    for (const { url } of listeners) {
      const received = await untilServerCloses(url, (socket) => socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n'));
      expect(received).toMatch(/^HTTP\/1\.1 \d{3} /);
    }
  });

  it('a body dripped in a byte at a time is cut with a 408 on either listener', async () => {
    for (const { bodyPath } of listeners) {
      const path = new URL(bodyPath).pathname;
      let drip: NodeJS.Timeout | undefined;
      const received = await untilServerCloses(bodyPath, (socket) => {
        socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${HOSTILE_AUTH.authorization}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`);
        drip = setInterval(() => socket.write(' '), 100);
      });
      clearInterval(drip);
      expect(received).toMatch(/^HTTP\/1\.1 408/);
    }
  }, 30_000);

  it('no CORS header unless an origin is configured, on either listener', async () => {
    const origin = 'https://evil.example';
    for (const { bodyPath } of listeners) {
      const preflight = await send(bodyPath, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
      const search = await send(bodyPath, { method: 'POST', headers: { origin, 'content-type': 'application/json', ...HOSTILE_AUTH }, body: '{}' });
      expect(search.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('every answer carries the security headers, and the search page runs no script but its own', async () => {
    const answers = [
      await send(`${running.apiUrl}/`),
      await send(`${running.apiUrl}/healthz`),
      await send(`${running.apiUrl}/v1/indexes/${h.index}`),
      await graphql({ query: '{ __typename }' }),
      await graphql({ query: '{ __typename }' }, {}),
      await send(running.subgraphUrl as string, { headers: { accept: 'text/html' } }),
    ];
    for (const answer of answers) {
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
      expect(answer.headers.get('x-frame-options')).toBe('DENY');
      expect(answer.headers.get('referrer-policy')).toBe('no-referrer');
      expect(answer.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    }
    const page = answers[0] as Answer;
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const policy = page.headers.get('content-security-policy') as string;
    const scriptSources = /script-src ([^;]*)/.exec(policy)?.[1]?.split(' ') ?? [];
    expect(scriptSources.length).toBeGreaterThan(0);
    for (const source of scriptSources) expect(source).toMatch(/^'sha256-[A-Za-z0-9+/=]+'$/);
    expect(page.body).not.toMatch(/<script[^>]+src=/);
    // No landing page from a CDN on the subgraph: a browser's GET gets JSON like anyone else.
    const landing = answers[5] as Answer;
    expect(landing.headers.get('content-type')).toMatch(/^application\/json/);
    expect(landing.body).not.toMatch(/cdn|<script/i);
  });
});
