// Hostile requests against the real search API over a real index: each case of issue #13 that
// reached the HTTP API by name, then generated bodies, paths, headers and cursors. Whatever comes
// in, the answer is a 4xx that says why (or a 200), the server stays up, its memory stays bounded,
// and the index is untouched.
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOO_DEEP } from '../../src/search/parseFilter.ts';
import { startSearchApiWorld, type SearchApiWorld } from '../support/searchApiWorld.ts';

const MOVIES = 150;
const TOKEN = 'hostile-suite-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const REQUEST_TIMEOUT_MS = 2_000;

describe('hostile requests to the search API', () => {
  let world: SearchApiWorld;
  let documentsBefore: number;

  const searchPath = (): string => world.searchPath;
  const send = (path: string, init: RequestInit = {}) => world.send(path, init);
  const postRaw = (body: string | Uint8Array, headers: Record<string, string> = AUTH) => world.postRaw(body, headers);
  const postJson = (body: unknown) => world.postJson(body);
  /** A 4xx with a JSON message a person can read, and nothing of the server's insides. */
  const expectExplained4xx = (answer: { status: number; body: string }, status?: number): void => {
    if (status !== undefined) expect(answer.status, answer.body).toBe(status);
    expect(answer.status, answer.body).toBeGreaterThanOrEqual(400);
    expect(answer.status, answer.body).toBeLessThan(500);
    const parsed = JSON.parse(answer.body) as { error?: { message?: unknown } };
    expect(typeof parsed.error?.message, answer.body).toBe('string');
    expect(answer.body).not.toMatch(/stack|node_modules|\/work\/|at [\w.]+ \(/);
  };
  const expectAlive = async (): Promise<void> => expect((await send('/healthz')).status).toBe(200);

  beforeAll(async () => {
    world = await startSearchApiWorld({ movies: MOVIES, token: TOKEN, server: { requestTimeoutMs: REQUEST_TIMEOUT_MS, maxBodyBytes: 16_384 } });
    documentsBefore = (await world.h.es.count({ index: world.h.index })).count;
    expect(documentsBefore).toBe(MOVIES);
  }, 240_000);

  afterAll(async () => {
    if (world) {
      // The index is untouched by everything sent.
      await world.h.es.indices.refresh({ index: world.h.index });
      expect((await world.h.es.count({ index: world.h.index })).count).toBe(documentsBefore);
    }
    await world?.dispose();
  });

  it('a malformed percent-escape in the path is a 400', async () => {
    expectExplained4xx(await send(`/v1/indexes/%E0%A4%A/search`, { method: 'POST', headers: AUTH, body: '{}' }), 400);
  });

  it('a filter with a bad escape or a raw newline is a 400 at its column', async () => {
    for (const filter of ['title == "\\u00zz"', 'title == "a\nb"']) {
      const answer = await postJson({ filter });
      expectExplained4xx(answer, 400);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { column: expect.any(Number) } });
    }
  });

  it('a number too large for a double (1e999) is a 400, not a filter on null', async () => {
    expectExplained4xx(await postJson({ filter: 'releaseYear > 1e999' }), 400);
  });

  it('33 NOT x EXISTS joined by AND are not "too deep"', async () => {
    const filter = Array.from({ length: 33 }, () => 'NOT synopsis EXISTS').join(' AND ');
    expect((await postJson({ filter, size: 0 })).status).toBe(200);
  });

  it('a filter nested to Elasticsearch’s limit is answered, and one level deeper is a 400 at its column (32 NOTs were a vague 400)', async () => {
    expect((await postJson({ filter: `${'NOT '.repeat(28)}genres == "comedy"`, size: 0 })).status).toBe(200);
    for (const nots of [29, 32]) {
      const answer = await postJson({ filter: `${'NOT '.repeat(nots)}genres == "comedy"` });
      expectExplained4xx(answer, 400);
      expect(JSON.parse(answer.body)).toEqual({ error: { message: `filter: ${TOO_DEEP}`, field: 'filter', column: 1 + 29 * 4, length: expect.any(Number) } });
    }
  });

  it('rating > 1e-99999 is a 400 at the number, not rating > 0', async () => {
    const answer = await postJson({ filter: 'rating > 1e-99999' });
    expectExplained4xx(answer, 400);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { column: 10, length: 8, message: expect.stringContaining('too small') } });
  });

  it('an integer field compared with a number past its range is a 400 at the number, not Elasticsearch’s vague one', async () => {
    const answer = await postJson({ filter: 'releaseYear >= 3000000000' });
    expectExplained4xx(answer, 400);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { column: 16, message: expect.stringContaining('32-bit integer') } });
  });

  it('selected: {"__proto__": …} is a 400 like constructor, not silently ignored', async () => {
    for (const key of ['__proto__', 'constructor']) {
      const answer = await postRaw(`{"selected": {"${key}": ["a"]}, "size": 0}`);
      expectExplained4xx(answer, 400);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { field: 'selected', message: expect.stringContaining(`${key} is not a facet`) } });
    }
  });

  it('a body dripped one byte at a time gets 408 at the request deadline, not after a minute', async () => {
    const { port } = new URL(world.server.url);
    const socket = connect(Number(port), '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => void (answer += chunk.toString('utf8')));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write(`POST ${searchPath()} HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH.authorization}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`);
    const drip = setInterval(() => socket.write(' '), 500);
    const started = Date.now();
    await closed;
    clearInterval(drip);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    // Well before Node's default 60 s; the exact moment depends on the check interval and the load.
    expect(Date.now() - started).toBeLessThan(30_000);
    await expectAlive();
  }, 60_000);

  it('a body over the size limit is a 413, and broken JSON a 400', async () => {
    expectExplained4xx(await postRaw(`{"query":"${'x'.repeat(20_000)}"}`), 413);
    expectExplained4xx(await postRaw('{"query": '), 400);
  });

  it('answers generated request bodies with 200 or an explained 400, never a 5xx', async () => {
    const field = fc.constantFrom('query', 'filter', 'facets', 'selected', 'sort', 'size', 'cursor', 'highlight', '__proto__', 'constructor', 'x');
    const body = fc.oneof(
      fc.dictionary(field, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }),
      fc.jsonValue({ maxDepth: 4 }),
      fc.record(
        {
          facets: fc.array(fc.constantFrom('genres', 'cast.role', 'releaseYear', 'nope', '', '__proto__'), { maxLength: 12 }),
          sort: fc.array(fc.record({ field: fc.constantFrom('releaseYear', 'title', 'rating', 'cast.role', '_id', ''), order: fc.constantFrom('asc', 'desc') }), { maxLength: 4 }),
          size: fc.oneof(fc.integer({ min: -5, max: 200 }), fc.double()),
          selected: fc.dictionary(fc.constantFrom('genres', 'nope', 'cast.role'), fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 })),
        },
        { requiredKeys: [] },
      ),
    );
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(body, async (request) => {
        const answer = await postJson(request);
        statuses.add(answer.status);
        if (answer.status !== 200) expectExplained4xx(answer, 400);
      }),
      { numRuns: 400 },
    );
    expect(statuses).toEqual(new Set([200, 400]));
    await expectAlive();
  }, 180_000);

  it('answers generated bytes, paths, tokens and cursors with a 4xx, never a 5xx, in bounded memory', async () => {
    const heapBefore = process.memoryUsage().heapUsed;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2_048 }), async (bytes) => {
        const answer = await postRaw(bytes);
        if (answer.status !== 200) expectExplained4xx(answer);
      }),
      { numRuns: 200 },
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 60, unit: fc.constantFrom('%', 'a', '/', '.', 'é', '0', 'F', '?', '#', '\\', ' ') }), async (tail) => {
        let path: string;
        try {
          path = `/v1/indexes/${tail}`;
          new URL(path, world.server.url);
        } catch {
          return;
        }
        const answer = await send(path, { method: 'POST', headers: { 'content-type': 'application/json', ...AUTH }, body: '{}' });
        expect(answer.status, `${path}: ${answer.body}`).toBeLessThan(500);
      }),
      { numRuns: 300 },
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 80 }).filter((token) => token !== TOKEN), async (token) => {
        const headers = { authorization: `Bearer ${token}` };
        try {
          new Headers(headers);
        } catch {
          return; // not a header a client can send
        }
        expectExplained4xx(await postRaw('{}', headers), 401);
      }),
      { numRuns: 200 },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.base64String({ minLength: 1, maxLength: 200 }), fc.string({ minLength: 1, maxLength: 200 }), fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v)).toString('base64url'))), async (cursor) => {
        expectExplained4xx(await postJson({ cursor, size: 1 }), 400);
      }),
      { numRuns: 200 },
    );
    await expectAlive();
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(256 * 1024 * 1024);
  }, 240_000);
});
