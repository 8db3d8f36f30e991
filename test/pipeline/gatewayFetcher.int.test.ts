import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IndexConfig, PipelineSettings } from '../../src/config/indexConfig.ts';
import { parseIndexConfig } from '../../src/config/loadIndexConfig.ts';
import { loadGraphSchema } from '../../src/graph/loadGraphSchema.ts';
import { checkIndexAgainstSchema } from '../../src/index/loadIndex.ts';
import type { QueryTemplate } from '../../src/graph/validateQueryTemplate.ts';
import { fetchVersion, GatewayFetcher, type FetchResult, type GatewayFetcherHooks } from '../../src/pipeline/gatewayFetcher.ts';
import { startDemoGraph, type DemoGraph } from '../../subgraphs/startDemoGraph.ts';
import { entityId } from '../../subgraphs/data/studioRows.ts';
import { FAST } from './gatewayFakes.ts';

const MOVIES_CONFIG = new URL('../../index-configs/movies.yaml', import.meta.url).pathname;
const SUPERGRAPH = new URL('../../subgraphs/supergraph.graphql', import.meta.url).pathname;

const movieId = (n: number): string => entityId('mov', n);

/** Hooks that remember what they were told. */
function recordingHooks(): Required<Pick<GatewayFetcherHooks, 'onRequest' | 'onRetry'>> & { requests: Array<{ ok: boolean; entities: number }>; retries: string[] } {
  const requests: Array<{ ok: boolean; entities: number }> = [];
  const retries: string[] = [];
  return {
    requests,
    retries,
    onRequest: (_ms, ok, entities) => void requests.push({ ok, entities }),
    onRetry: (reason) => void retries.push(reason),
  };
}

const expectFound = (result: FetchResult | undefined): Record<string, unknown> => {
  if (result?.kind !== 'found') throw new Error(`expected a found document, got ${JSON.stringify(result)}`);
  return result.document;
};
const reasonOf = (result: FetchResult | undefined): string => {
  if (result?.kind !== 'failed') throw new Error(`expected a failure, got ${JSON.stringify(result)}`);
  return result.reason;
};

/** Every fetcher a test makes, closed after it (each holds its own keep-alive connections). */
const opened: GatewayFetcher[] = [];
const tracked = (fetcher: GatewayFetcher): GatewayFetcher => (opened.push(fetcher), fetcher);
afterEach(async () => {
  await Promise.all(opened.splice(0).map((fetcher) => fetcher.close()));
});

describe('GatewayFetcher against the demo graph', () => {
  let graph: DemoGraph;
  let config: IndexConfig;
  let template: QueryTemplate;

  const fetcher = (pipeline: Partial<PipelineSettings> = {}, hooks: GatewayFetcherHooks = {}, gateway = config.gateway): GatewayFetcher =>
    tracked(new GatewayFetcher({ gateway, template, pipeline: { ...FAST, ...pipeline } }, hooks));

  /** The template's query for one entity, sent as is: what a document must equal. */
  const singleQuery = async (id: string): Promise<unknown> => {
    const response = await fetch(graph.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: config.query.text, variables: { [template.key[0]?.variable as string]: id } }),
    });
    const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown };
    expect(body.errors).toBeUndefined();
    return body.data?.[template.rootKey];
  };

  beforeAll(async () => {
    graph = await startDemoGraph({ movies: 300, kafkaBrokers: null, ports: { gateway: 0, movies: 0, productions: 0, talent: 0 } });
    config = parseIndexConfig(readFileSync(MOVIES_CONFIG, 'utf8'), MOVIES_CONFIG, { ...process.env, FEDSEARCH_GATEWAY_URL: graph.gatewayUrl });
    template = checkIndexAgainstSchema(config, await loadGraphSchema({ gateway: config.gateway })).query;
  });

  afterAll(async () => {
    await graph?.stop();
  });

  afterEach(() => {
    for (const name of ['movies', 'productions', 'talent'] as const) graph.setSubgraphDown(name, false);
  });

  it('fetches 120 movies in batches of 25, each document equal to the single-entity query', async () => {
    const hooks = recordingHooks();
    const ids = Array.from({ length: 120 }, (_, i) => movieId(i + 1));
    // Duplicates are fetched once.
    const results = await fetcher({}, hooks).fetch([...ids, movieId(7), movieId(120)]);

    expect([...results.keys()]).toEqual(ids);
    expect([...results.values()].every((result) => result.kind === 'found')).toBe(true);
    expect(hooks.requests.map((request) => request.entities).sort((a, b) => b - a)).toEqual([25, 25, 25, 25, 20]);
    expect(hooks.requests.every((request) => request.ok)).toBe(true);
    expect(hooks.retries).toEqual([]);
    for (const id of [movieId(1), movieId(26), movieId(73), movieId(120)]) {
      const document = expectFound(results.get(id));
      expect(document['movieId']).toBe(id);
      expect(Array.isArray(document['cast']) && document['cast'].length).toBeGreaterThan(0);
      expect(document).toEqual(await singleQuery(id));
    }
  });

  it('reports an id the graph does not have as missing (a delete), with a version', async () => {
    const before = fetchVersion();
    const results = await fetcher().fetch([movieId(1), 'mov-9999999']);
    expectFound(results.get(movieId(1)));
    const missing = results.get('mov-9999999');
    // `subgraph`: whose the null is, for a letter should the change event say the movie exists.
    expect(missing).toEqual({ kind: 'missing', version: expect.any(Number), subgraph: expect.any(String) });
    expect(missing?.kind === 'missing' && missing.version).toBeGreaterThan(before);
  });

  it('stamps each result with when its request was sent, in µs, later fetches higher', async () => {
    const shared = fetcher();
    const first = await shared.fetch([movieId(5)]);
    const second = await shared.fetch([movieId(5)]);
    const versionOf = (result: FetchResult | undefined): number => (result && result.kind !== 'failed' ? result.version : NaN);
    const [older, newer] = [versionOf(first.get(movieId(5))), versionOf(second.get(movieId(5)))];
    expect(newer).toBeGreaterThan(older);
    expect(Number.isSafeInteger(newer)).toBe(true);
    // Microseconds on the wall clock (performance's origin), not milliseconds.
    expect(Math.abs(newer / 1000 - Date.now())).toBeLessThan(5_000);
    const consecutive = Array.from({ length: 1_000 }, () => fetchVersion());
    expect(consecutive.every((version, i) => i === 0 || version > (consecutive[i - 1] ?? Infinity))).toBe(true);
  });

  it('fails every entity of a request when a subgraph is down, never reading its nulls as deletions', async () => {
    graph.setSubgraphDown('talent', true);
    const hooks = recordingHooks();
    const ids = Array.from({ length: 30 }, (_, i) => movieId(i + 1));
    const results = await fetcher({}, hooks).fetch(ids);

    expect([...results.values()].map((result) => result.kind)).toEqual(ids.map(() => 'failed'));
    const reason = reasonOf(results.get(movieId(1)));
    expect(reason).toMatch(/^gateway returned GraphQL errors for the whole request \(25 entities\): 500: Internal Server Error/);
    expect(reason).toContain('gave up after 3 attempts');
    // Two chunks (25 + 5), each tried three times.
    expect(hooks.requests).toHaveLength(6);
    expect(hooks.retries).toEqual(Array(4).fill('graphql_errors'));
  });

  it('under onGraphQLErrors: dlq gives up on GraphQL errors at once', async () => {
    graph.setSubgraphDown('productions', true);
    const hooks = recordingHooks();
    const results = await fetcher({ onGraphQLErrors: 'dlq' }, hooks).fetch([movieId(1), movieId(2)]);
    expect(reasonOf(results.get(movieId(2)))).toMatch(/GraphQL errors for the whole request \(2 entities\).*gave up after 1 attempt\)$/);
    expect(hooks.requests).toHaveLength(1);
    expect(hooks.retries).toEqual([]);
  });

  it('succeeds when the subgraph is back before the retries run out', async () => {
    graph.setSubgraphDown('movies', true);
    const hooks = recordingHooks();
    const results = await fetcher(
      {},
      { ...hooks, onRetry: (reason) => (hooks.onRetry(reason), graph.setSubgraphDown('movies', false)) },
    ).fetch([movieId(3), movieId(4)]);
    expect(expectFound(results.get(movieId(3)))['movieId']).toBe(movieId(3));
    expect(expectFound(results.get(movieId(4)))['movieId']).toBe(movieId(4));
    expect(hooks.requests.map((request) => request.ok)).toEqual([false, true]);
  });

  it('waits out a subgraph outage longer than its retries, keeping its caller alive meanwhile', async () => {
    graph.setSubgraphDown('talent', true);
    const hooks = recordingHooks();
    const downFor = 4_000;
    const up = setTimeout(() => graph.setSubgraphDown('talent', false), downFor);
    let waits = 0;
    const started = Date.now();
    try {
      const results = await fetcher({ retries: 1, outageToleranceSeconds: 60 }, hooks).fetch([movieId(7)], async () => void waits++);
      expect(expectFound(results.get(movieId(7)))['movieId']).toBe(movieId(7));
    } finally {
      clearTimeout(up);
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(downFor);
    // Far more than the one retry `retries` allows, each after a wait the caller can heartbeat in.
    expect(hooks.retries.length).toBeGreaterThan(1);
    expect(waits).toBe(hooks.retries.length);
  });

  it('gives up on an outage after the tolerance, with the reason', async () => {
    graph.setSubgraphDown('talent', true);
    const results = await fetcher({ retries: 0, outageToleranceSeconds: 1 }).fetch([movieId(8)]);
    expect(reasonOf(results.get(movieId(8)))).toMatch(/whole request \(1 entities\).*\(gave up after \d+ attempts\)$/);
  });

  it('lets an error of the caller’s wait through instead of failing the entities', async () => {
    graph.setSubgraphDown('talent', true);
    const lost = new Error('The group is rebalancing');
    await expect(
      fetcher({ outageToleranceSeconds: 60 }).fetch([movieId(9)], async () => {
        throw lost;
      }),
    ).rejects.toBe(lost);
  });

  it('fails every entity with the connection error when the gateway cannot be reached', async () => {
    const closedPort = await freePort();
    const hooks = recordingHooks();
    const url = `http://127.0.0.1:${closedPort}/graphql`;
    const results = await fetcher({}, hooks, { ...config.gateway, url }).fetch([movieId(1), movieId(2)]);
    expect(reasonOf(results.get(movieId(1)))).toBe(
      `cannot reach the gateway at ${url}: connect ECONNREFUSED 127.0.0.1:${closedPort} (gave up after 3 attempts)`,
    );
    expect(results.get(movieId(2))?.kind).toBe('failed');
    expect(hooks.retries).toEqual(['network', 'network']);
  });
});

/** What the scripted gateway answers to one request. */
type Script = (request: { query: string; variables: Record<string, string> }, n: number) => { status?: number; body?: unknown; delayMs?: number; headers?: Record<string, string> };

describe('GatewayFetcher against a scripted gateway', () => {
  let server: Server;
  let url: string;
  let script: Script = () => ({ body: {} });
  let received: Array<{ query: string; variables: Record<string, string>; headers: IncomingHttpHeaders; path: string }> = [];
  let inFlight = 0;
  let maxInFlight = 0;

  // Any valid template will do: the scripted gateway does not read the query.
  let template: QueryTemplate;
  const fetcher = (pipeline: Partial<PipelineSettings> = {}, hooks: GatewayFetcherHooks = {}, timeoutMs = 2_000): GatewayFetcher =>
    tracked(new GatewayFetcher({ gateway: { url, headers: { 'x-test': 'yes' }, timeoutMs, supergraph: null, subgraphs: {} }, template, pipeline: { ...FAST, ...pipeline } }, hooks));

  /** Answers each eN with `{ movieId }`, or as `answer(id)` says. */
  const entities =
    (answer: (id: string) => unknown = (id) => ({ movieId: id })) =>
    (variables: Record<string, string>): Record<string, unknown> =>
      Object.fromEntries(Object.entries(variables).map(([name, id]) => [name.replace(/^id/, 'e'), answer(id)]));

  beforeAll(async () => {
    const config = parseIndexConfig(readFileSync(MOVIES_CONFIG, 'utf8'), MOVIES_CONFIG, {});
    template = checkIndexAgainstSchema(config, await loadGraphSchema({ schemaFile: SUPERGRAPH })).query;
    server = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => {
        const request = JSON.parse(text) as { query: string; variables: Record<string, string> };
        received.push({ ...request, headers: req.headers, path: req.url ?? '' });
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        // Answered or abandoned by the client (a timeout): either way no longer in flight.
        res.once('close', () => inFlight--);
        const { status = 200, body = {}, delayMs = 0, headers = {} } = script(request, received.length);
        setTimeout(() => {
          if (res.destroyed) return;
          res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
        }, delayMs);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });

  afterEach(() => {
    received = [];
    maxInFlight = 0;
  });

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('fails only the entity an error points at, and retries it alone', async () => {
    script = ({ variables }) => {
      const failing = Object.entries(variables).find(([, id]) => id === 'mov-bad');
      return {
        body: {
          data: entities((id) => (id === 'mov-bad' ? null : { movieId: id }))(variables),
          errors: failing ? [{ message: 'boom', path: [failing[0].replace(/^id/, 'e'), 'cast'], extensions: { code: 'DOWNSTREAM' } }] : undefined,
        },
      };
    };
    const hooks = recordingHooks();
    const results = await fetcher({}, hooks).fetch(['mov-good', 'mov-bad', 'mov-other']);

    expect(expectFound(results.get('mov-good'))).toEqual({ movieId: 'mov-good' });
    expect(expectFound(results.get('mov-other'))).toEqual({ movieId: 'mov-other' });
    expect(reasonOf(results.get('mov-bad'))).toBe(
      'gateway returned GraphQL errors for mov-bad: boom (at cast; DOWNSTREAM) (gave up after 3 attempts)',
    );
    expect(received.map((request) => Object.values(request.variables))).toEqual([
      ['mov-good', 'mov-bad', 'mov-other'],
      ['mov-bad'],
      ['mov-bad'],
    ]);
    expect(received[0]?.headers).toMatchObject({ 'x-test': 'yes', 'content-type': 'application/json' });
    expect(received[1]?.query).toMatch(/^query MovieBatch\(\$id0: ID!\) \{\n {2}e0: movie\(movieId: \$id0\)/);
    expect(hooks.retries).toEqual(['graphql_errors', 'graphql_errors']);
  });

  it('keeps what a retry of the stragglers finds', async () => {
    script = ({ variables }, n) => ({
      body: {
        data: entities((id) => (id === 'mov-flaky' && n === 1 ? null : { movieId: id }))(variables),
        errors: n === 1 ? [{ message: 'flaky', path: ['e1'] }] : undefined,
      },
    });
    const results = await fetcher().fetch(['mov-steady', 'mov-flaky']);
    expect(expectFound(results.get('mov-flaky'))).toEqual({ movieId: 'mov-flaky' });
    expect(expectFound(results.get('mov-steady'))).toEqual({ movieId: 'mov-steady' });
    expect(received).toHaveLength(2);
    const [first, retry] = [results.get('mov-steady'), results.get('mov-flaky')];
    // The straggler's document is from the later request, so it carries the later version.
    expect(retry?.kind === 'found' && first?.kind === 'found' && retry.version > first.version).toBe(true);
  });

  it('under onGraphQLErrors: dlq fails an entity with errors at once', async () => {
    script = ({ variables }) => ({
      body: { data: entities((id) => (id === 'mov-bad' ? null : { movieId: id }))(variables), errors: [{ message: 'boom', path: ['e0'] }] },
    });
    const results = await fetcher({ onGraphQLErrors: 'dlq' }).fetch(['mov-bad', 'mov-gone']);
    expect(reasonOf(results.get('mov-bad'))).toBe('gateway returned GraphQL errors for mov-bad: boom');
    expect(results.get('mov-gone')?.kind).toBe('found');
    expect(received).toHaveLength(1);
  });

  it('reads null without an error as missing, but an error without a path as a failure of all', async () => {
    script = ({ variables }) => ({ body: { data: entities(() => null)(variables) } });
    expect((await fetcher().fetch(['mov-gone'])).get('mov-gone')?.kind).toBe('missing');

    script = ({ variables }) => ({ body: { data: entities(() => null)(variables), errors: [{ message: 'subgraph unreachable' }] } });
    const results = await fetcher({ onGraphQLErrors: 'dlq' }).fetch(['mov-a', 'mov-b']);
    expect(reasonOf(results.get('mov-a'))).toMatch(/whole request \(2 entities\): subgraph unreachable/);
    expect(results.get('mov-b')?.kind).toBe('failed');
  });

  it('retries 5xx, 429 and answers without data, then succeeds', async () => {
    script = ({ variables }, n) =>
      n === 1 ? { status: 503, body: { errors: [{ message: 'overloaded' }] } }
      : n === 2 ? { status: 429, body: {} }
      : n === 3 ? { body: { errors: [{ message: 'no plan' }] } }
      : { body: { data: entities()(variables) } };
    const hooks = recordingHooks();
    const results = await fetcher({ retries: 3 }, hooks).fetch(['mov-1']);
    expect(expectFound(results.get('mov-1'))).toEqual({ movieId: 'mov-1' });
    expect(hooks.retries).toEqual(['http_5xx', 'http_429', 'no_data']);
    expect(hooks.requests.map((request) => request.ok)).toEqual([false, false, false, true]);
  });

  it('reports the HTTP status and does not retry a request the gateway refuses', async () => {
    script = () => ({ status: 400, body: { errors: [{ message: 'Unknown type "Movie"', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] } });
    const results = await fetcher().fetch(['mov-1']);
    expect(reasonOf(results.get('mov-1'))).toBe(
      `the gateway at ${url} answered HTTP 400 Bad Request: Unknown type "Movie" (GRAPHQL_VALIDATION_FAILED) (gave up after 1 attempt)`,
    );
    expect(received).toHaveLength(1);
  });

  it('follows 307 and 308 with the same request, without the configured headers once it leads to another origin', async () => {
    // Another origin: the same kind of scripted answer on another port.
    const elsewhere: Array<{ path: string; body: string; headers: IncomingHttpHeaders }> = [];
    const other = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => {
        elsewhere.push({ path: req.url ?? '', body: text, headers: req.headers });
        const { variables } = JSON.parse(text) as { variables: Record<string, string> };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: entities()(variables) }));
      });
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}/v3/graphql`;
      script = (_, n) => (n === 1 ? { status: 308, headers: { location: '/v2/graphql' } } : { status: 307, headers: { location: otherUrl } });
      const headers = { 'x-test': 'yes', Authorization: 'Bearer secret', 'x-api-key': 'key' };
      const results = await tracked(new GatewayFetcher({ gateway: { url, headers, timeoutMs: 2_000, supergraph: null, subgraphs: {} }, template, pipeline: FAST })).fetch(['mov-1']);
      expect(expectFound(results.get('mov-1'))).toEqual({ movieId: 'mov-1' });
      expect(received.map((request) => [request.path, request.headers['authorization'], request.headers['x-api-key']])).toEqual([
        ['/graphql', 'Bearer secret', 'key'],
        ['/v2/graphql', 'Bearer secret', 'key'],
      ]);
      expect(elsewhere).toHaveLength(1);
      expect(elsewhere[0]?.path).toBe('/v3/graphql');
      expect(JSON.parse(elsewhere[0]?.body ?? '')).toEqual({ query: received[0]?.query, variables: received[0]?.variables });
      expect(elsewhere[0]?.headers['authorization']).toBeUndefined();
      expect(elsewhere[0]?.headers['x-api-key']).toBeUndefined();
      expect(elsewhere[0]?.headers['x-test']).toBeUndefined();
      expect(elsewhere[0]?.headers['content-type']).toBe('application/json');
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });

  it('names where a redirect that would turn the POST into a GET points, without credentials, and does not retry', async () => {
    script = () => ({ status: 302, headers: { location: 'https://user:secret@gateway.example/graphql' } });
    const results = await fetcher().fetch(['mov-1']);
    expect(reasonOf(results.get('mov-1'))).toBe(
      `the gateway at ${url} answered HTTP 302 Found: it redirects to https://gateway.example/graphql (credentials and query hidden); set gateway.url to that address (gave up after 1 attempt)`,
    );
    expect(received).toHaveLength(1);
    // A Location URL cannot parse (a bad port) loses its credentials all the same.
    script = () => ({ status: 301, headers: { location: 'https://user:secret@gateway.example:99999/graphql?token=abc' } });
    expect(reasonOf((await fetcher().fetch(['mov-1'])).get('mov-1'))).toBe(
      `the gateway at ${url} answered HTTP 301 Moved Permanently: it redirects to https://gateway.example:99999/graphql (credentials and query hidden); set gateway.url to that address (gave up after 1 attempt)`,
    );
  });

  it('stops following a gateway that keeps redirecting, and does not follow one to another scheme', async () => {
    script = () => ({ status: 308, headers: { location: url } });
    const results = await fetcher().fetch(['mov-1']);
    expect(reasonOf(results.get('mov-1'))).toBe(
      `the gateway at ${url} redirected more than 3 times (the last time to ${url}); set gateway.url to where it ends (gave up after 1 attempt)`,
    );
    expect(received).toHaveLength(4);
    received = [];
    script = () => ({ status: 307, headers: { location: 'ftp://gateway.example/graphql' } });
    expect(reasonOf((await fetcher().fetch(['mov-1'])).get('mov-1'))).toBe(
      `the gateway at ${url} answered HTTP 307 Temporary Redirect: it redirects to ftp://gateway.example/graphql; set gateway.url to that address (gave up after 1 attempt)`,
    );
    expect(received).toHaveLength(1);
  });

  it('times out a gateway that does not answer', async () => {
    script = ({ variables }) => ({ body: { data: entities()(variables) }, delayMs: 1_000 });
    const hooks = recordingHooks();
    const results = await fetcher({ retries: 1 }, hooks, 150).fetch(['mov-1']);
    expect(reasonOf(results.get('mov-1'))).toBe(`the gateway at ${url} did not answer within 150 ms (gave up after 2 attempts)`);
    expect(hooks.retries).toEqual(['timeout']);
  });

  it('keeps at most `concurrency` requests in flight and honours maxRequestsPerSecond', async () => {
    script = ({ variables }) => ({ body: { data: entities()(variables) }, delayMs: 50 });
    const ids = Array.from({ length: 8 }, (_, i) => `mov-${i}`);
    await fetcher({ batchSize: 1, concurrency: 2 }).fetch(ids);
    expect(received).toHaveLength(8);
    expect(maxInFlight).toBe(2);

    received = [];
    const started = performance.now();
    const results = await fetcher({ batchSize: 1, concurrency: 8, maxRequestsPerSecond: 4 }).fetch(ids.slice(0, 6));
    // Four requests in the first second, the other two in the next.
    expect(performance.now() - started).toBeGreaterThan(900);
    expect([...results.values()].every((result) => result.kind === 'found')).toBe(true);
  });
});

/** A port nothing listens on: bound once, then released. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
