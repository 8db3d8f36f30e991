import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errors } from '@elastic/elasticsearch';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SearchTransport } from '../../src/clients/searchTransport.ts';

/** What the stand-in cluster was sent, and how it answers the next requests (one answer each, the last repeated). */
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
const seen: Seen[] = [];
let answers: Array<{ status: number; body: unknown } | { status: number; text: string; contentType: string } | 'hang' | 'reset'> = [];

const SEARCH_CONTEXT_MISSING = {
  error: {
    root_cause: [{ type: 'search_context_missing_exception', reason: 'No search context found for id [42]' }],
    type: 'search_phase_execution_exception',
    reason: 'all shards failed',
  },
  status: 404,
};

describe('SearchTransport, against a stand-in cluster on loopback', () => {
  let server: Server;
  let node: string;
  beforeAll(async () => {
    server = createServer((request: IncomingMessage, response: ServerResponse) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        const answer = answers.length > 1 ? answers.shift() : answers[0];
        if (answer === 'hang' || answer === undefined) return;
        if (answer === 'reset') return request.socket.destroy();
        if ('text' in answer) {
          response.writeHead(answer.status, { 'content-type': answer.contentType, location: '/elsewhere' });
          return response.end(answer.text);
        }
        response.writeHead(answer.status, { 'content-type': 'application/vnd.elasticsearch+json;compatible-with=9' });
        response.end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    node = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    seen.length = 0;
  });
  const settings = (overrides: object = {}) => ({ node, shards: 1, replicas: 0, ...overrides });

  it('POSTs the body, without the index, to the index’s _search with the query string, and returns the parsed answer', async () => {
    answers = [{ status: 200, body: { hits: { total: { value: 1, relation: 'eq' }, hits: [{ _id: 'm1', _score: 1.5, _source: { title: 'Amélie' } }] } } }];
    const transport = new SearchTransport(settings({ auth: { apiKey: 'k3y' } }));
    try {
      const answer = await transport.search({ index: 'movies v2', query: { match_all: {} }, size: 3 }, { querystring: { filter_path: 'hits.total,hits.hits._id' } });
      expect(answer.hits.hits[0]?._source).toEqual({ title: 'Amélie' });
      expect(seen).toHaveLength(1);
      expect(seen[0]?.method).toBe('POST');
      expect(seen[0]?.url).toBe('/movies%20v2/_search?filter_path=hits.total%2Chits.hits._id');
      expect(JSON.parse(seen[0]?.body ?? '')).toEqual({ query: { match_all: {} }, size: 3 });
      expect(seen[0]?.headers['authorization']).toBe('ApiKey k3y');
      // Elasticsearch refuses a compatible version named in one of the two and not in the other.
      expect(seen[0]?.headers['content-type']).toBe('application/vnd.elasticsearch+json; compatible-with=9');
      expect(seen[0]?.headers['accept']).toBe('application/vnd.elasticsearch+json; compatible-with=9');
    } finally {
      await transport.close();
    }
  });

  it('searches without an index (a point in time names it) at the root _search, under the node URL’s path', async () => {
    answers = [{ status: 200, body: { hits: { hits: [] } } }];
    const transport = new SearchTransport(settings({ node: `${node}/es/`, auth: { username: 'elastic', password: 'pw' } }));
    try {
      await transport.search({ pit: { id: 'abc', keep_alive: '1m' } });
      expect(seen[0]?.url).toBe('/es/_search');
      expect(seen[0]?.headers['authorization']).toBe(`Basic ${Buffer.from('elastic:pw').toString('base64')}`);
    } finally {
      await transport.close();
    }
  });

  it('sends the credentials written in the node URL, as the official client does when no apiKey or username is set', async () => {
    answers = [{ status: 200, body: { hits: { hits: [] } } }];
    const transport = new SearchTransport(settings({ node: node.replace('http://', 'http://elastic:p%40ss@') }));
    try {
      await transport.search({ index: 'movies' });
      expect(seen[0]?.headers['authorization']).toBe(`Basic ${Buffer.from('elastic:p@ss').toString('base64')}`);
    } finally {
      await transport.close();
    }
  });

  it('fails an error answer as the official client does: a ResponseError with the status and Elasticsearch’s types and reasons', async () => {
    answers = [{ status: 404, body: SEARCH_CONTEXT_MISSING }];
    const transport = new SearchTransport(settings());
    try {
      const error = await transport.search({ index: 'movies' }).catch((failure: unknown) => failure);
      expect(error).toBeInstanceOf(errors.ResponseError);
      expect((error as errors.ResponseError).meta.statusCode).toBe(404);
      expect((error as Error).message).toMatch(/search_phase_execution_exception/);
      expect((error as Error).message).toMatch(/search_context_missing_exception: No search context found/);
      expect(seen).toHaveLength(1);
    } finally {
      await transport.close();
    }
  });

  it('fails an answer that is not JSON (a proxy’s page, a redirect) with what answered and how, not as a search answer', async () => {
    for (const status of [200, 302]) {
      answers = [{ status, text: '<html><body>Sign in</body></html>', contentType: 'text/html' }];
      const transport = new SearchTransport(settings());
      try {
        const error = await transport.search({ index: 'movies' }).catch((failure: unknown) => failure);
        expect(error).toBeInstanceOf(errors.DeserializationError);
        expect((error as Error).message).toContain(`HTTP ${status}`);
        expect((error as Error).message).toContain('/movies/_search');
        expect((error as Error).message).toContain('text/html');
        expect((error as Error).message).toContain('Sign in');
      } finally {
        await transport.close();
      }
    }
  });

  it('asks again when a node answers 503, and gives up with its error after the retries', async () => {
    answers = [{ status: 503, body: { error: { type: 'unavailable' } } }, { status: 200, body: { hits: { hits: [] } } }];
    const transport = new SearchTransport(settings());
    try {
      await expect(transport.search({ index: 'movies' })).resolves.toEqual({ hits: { hits: [] } });
      expect(seen).toHaveLength(2);
      seen.length = 0;
      answers = [{ status: 503, body: { error: { type: 'unavailable' } } }];
      const error = await transport.search({ index: 'movies' }).catch((failure: unknown) => failure);
      expect((error as errors.ResponseError).meta.statusCode).toBe(503);
      expect(seen).toHaveLength(4);
    } finally {
      await transport.close();
    }
  });

  it('sends a search again over a new connection when the cluster drops one, after a pause', async () => {
    answers = ['reset', { status: 200, body: { hits: { hits: [] } } }];
    const transport = new SearchTransport(settings());
    try {
      await expect(transport.search({ index: 'movies' })).resolves.toEqual({ hits: { hits: [] } });
      expect(seen).toHaveLength(2);
    } finally {
      await transport.close();
    }
  });

  it('gives up at once when its signal aborts while it waits to send a dropped search again, not after the pause', async () => {
    answers = ['reset', { status: 200, body: { hits: { hits: [] } } }];
    const transport = new SearchTransport(settings());
    try {
      const controller = new AbortController();
      const started = performance.now();
      const searching = transport.search({ index: 'movies' }, { signal: controller.signal }).catch((failure: unknown) => failure);
      // The connection is dropped at once; the pause before the second try is 1–2 s.
      await new Promise((resolve) => setTimeout(resolve, 100));
      controller.abort();
      expect(await searching).toBeInstanceOf(errors.RequestAbortedError);
      expect(performance.now() - started).toBeLessThan(600);
      expect(seen).toHaveLength(1);
    } finally {
      await transport.close();
    }
  });

  it('gives up a search when its signal aborts, with the official client’s RequestAbortedError', async () => {
    answers = ['hang'];
    const transport = new SearchTransport(settings());
    try {
      const controller = new AbortController();
      const searching = transport.search({ index: 'movies' }, { signal: controller.signal }).catch((failure: unknown) => failure);
      await new Promise((resolve) => setTimeout(resolve, 50));
      controller.abort();
      expect(await searching).toBeInstanceOf(errors.RequestAbortedError);
    } finally {
      await transport.close().catch(() => {});
    }
  });
});
