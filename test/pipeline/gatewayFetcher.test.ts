import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadGraphSchema } from '../../src/graph/loadGraphSchema.ts';
import { responsePathOwners } from '../../src/graph/responsePathOwners.ts';
import type { QueryTemplate } from '../../src/graph/validateQueryTemplate.ts';
import { GatewayRequestError } from '../../src/pipeline/gatewayErrors.ts';
import { GatewayFetcher, type FetchResult, type GatewayFetcherHooks } from '../../src/pipeline/gatewayFetcher.ts';
import type { PipelineSettings } from '../../src/config/indexConfig.ts';
import { entities, FakeTransport, FAST, movieTemplate, type Script, type SentRequest } from './gatewayFakes.ts';

const SUPERGRAPH = new URL('../../subgraphs/supergraph.graphql', import.meta.url).pathname;

/** The chunking and retries of the gateway client, over a scripted transport (no network, no waits). */
describe('GatewayFetcher over a fake transport', () => {
  let template: QueryTemplate;
  beforeAll(async () => {
    template = await movieTemplate();
  });

  const retries: string[] = [];
  const fetcherOver = (script?: Script, pipeline: Partial<PipelineSettings> = {}, hooks: GatewayFetcherHooks = {}): { fetcher: GatewayFetcher; transport: FakeTransport } => {
    retries.length = 0;
    const transport = new FakeTransport(script);
    const fetcher = new GatewayFetcher(
      { gateway: { url: 'http://gateway.invalid/graphql', headers: {}, timeoutMs: 1_000, supergraph: null, subgraphs: {} }, template, pipeline: { ...FAST, ...pipeline } },
      { onRetry: (reason) => void retries.push(reason), sleep: async () => {}, ...hooks },
      transport,
    );
    return { fetcher, transport };
  };
  const ids = (count: number): string[] => Array.from({ length: count }, (_, n) => `mov-${n}`);
  const kinds = (results: Map<string, FetchResult>): string[] => [...results.values()].map((result) => result.kind);

  it('asks in requests of batchSize, each id once, and answers every id in the order asked', async () => {
    const { fetcher, transport } = fetcherOver();
    const asked = [...ids(60), 'mov-3'];
    const results = await fetcher.fetch(asked);
    expect(transport.sent.map((request) => request.ids.length)).toEqual([25, 25, 10]);
    expect([...results.keys()]).toEqual(ids(60));
    expect(results.get('mov-42')).toMatchObject({ kind: 'found', document: { movieId: 'mov-42' } });
  });

  it('hands each request’s results over as it settles', async () => {
    const { fetcher } = fetcherOver();
    const chunks: number[] = [];
    await fetcher.fetchInChunks(ids(30), async () => {}, (results) => void chunks.push(results.size));
    expect(chunks.sort()).toEqual([25, 5]);
  });

  it('retries only the entities an error points at, alone, and keeps what the retry finds', async () => {
    const { fetcher, transport } = fetcherOver((request, n) =>
      n === 1 ? { ...entities(request), errors: [{ message: 'talent timed out', path: ['e1', 'cast'] }] } : entities(request),
    );
    const results = await fetcher.fetch(['mov-0', 'mov-1', 'mov-2']);
    expect(transport.sent.map((request) => request.ids)).toEqual([['mov-0', 'mov-1', 'mov-2'], ['mov-1']]);
    expect(kinds(results)).toEqual(['found', 'found', 'found']);
    expect(retries).toEqual(['graphql_errors']);
  });

  it('fails an entity that keeps its error after the retries, with the graph’s reason, and the others not', async () => {
    const { fetcher, transport } = fetcherOver((request) => ({ ...entities(request), errors: [{ message: 'no such cast', path: [`e${request.ids.indexOf('mov-1')}`, 'cast'], extensions: { serviceName: 'talent', code: 'NOT_FOUND' } }] }));
    const results = await fetcher.fetch(['mov-0', 'mov-1']);
    expect(transport.sent).toHaveLength(3);
    expect(results.get('mov-0')?.kind).toBe('found');
    expect(results.get('mov-1')).toEqual({
      kind: 'failed',
      reason: 'gateway returned GraphQL errors for mov-1: no such cast (at cast; NOT_FOUND from talent) (gave up after 3 attempts)',
      fault: { subgraph: 'talent', path: 'cast', code: 'NOT_FOUND' },
    });
  });

  it('under onGraphQLErrors: dlq fails an entity with errors at once', async () => {
    const { fetcher, transport } = fetcherOver((request) => ({ ...entities(request), errors: [{ message: 'boom', path: ['e0'] }] }), { onGraphQLErrors: 'dlq' });
    const results = await fetcher.fetch(['mov-0', 'mov-1']);
    expect(transport.sent).toHaveLength(1);
    expect(results.get('mov-0')).toEqual({ kind: 'failed', reason: 'gateway returned GraphQL errors for mov-0: boom', fault: { subgraph: '(gateway)', path: '', code: 'GRAPHQL_ERROR' } });
    expect(results.get('mov-1')?.kind).toBe('found');
  });

  it('retries a whole request the transport could not get answered, then succeeds', async () => {
    const { fetcher, transport } = fetcherOver((request, n) => (n === 1 ? new GatewayRequestError('HTTP 503', 'http_5xx') : entities(request)));
    expect(kinds(await fetcher.fetch(['mov-0']))).toEqual(['found']);
    expect(transport.sent).toHaveLength(2);
    expect(retries).toEqual(['http_5xx']);
  });

  it('does not retry what retrying cannot help, and fails every entity of the request with why', async () => {
    const { fetcher, transport } = fetcherOver(() => new GatewayRequestError('the gateway answered HTTP 400', null));
    const results = await fetcher.fetch(['mov-0', 'mov-1']);
    expect(transport.sent).toHaveLength(1);
    expect([...results.values()]).toEqual([
      { kind: 'failed', reason: 'the gateway answered HTTP 400 (gave up after 1 attempt)', fault: { subgraph: '(gateway)', path: '', code: 'refused' } },
      { kind: 'failed', reason: 'the gateway answered HTTP 400 (gave up after 1 attempt)', fault: { subgraph: '(gateway)', path: '', code: 'refused' } },
    ]);
  });

  it('waits out an outage past its retries for outageToleranceSeconds, the caller’s wait run before each retry', async () => {
    let waits = 0;
    const { fetcher, transport } = fetcherOver((request, n) => (n <= 6 ? new GatewayRequestError('subgraph down', 'graphql_errors') : entities(request)), {
      outageToleranceSeconds: 3_600,
    });
    const results = await fetcher.fetch(['mov-0'], async () => void waits++);
    expect(kinds(results)).toEqual(['found']);
    expect(transport.sent).toHaveLength(7);
    expect(waits).toBe(6);
  });

  it('lets an error of the caller’s wait through instead of failing the entities', async () => {
    const { fetcher } = fetcherOver(() => new GatewayRequestError('subgraph down', 'graphql_errors'));
    await expect(
      fetcher.fetch(['mov-0'], async () => {
        throw new Error('the partition was revoked');
      }),
    ).rejects.toThrow('the partition was revoked');
  });

  it('reports each request, ok when it came back with data and no GraphQL errors', async () => {
    const requests: Array<{ ok: boolean; entities: number }> = [];
    const { fetcher } = fetcherOver(
      (request, n) => (n === 1 ? { ...entities(request), errors: [{ message: 'boom', path: ['e0'] }] } : entities(request)),
      {},
      { onRequest: (_ms, ok, count) => void requests.push({ ok, entities: count }) },
    );
    await fetcher.fetch(['mov-0', 'mov-1']);
    expect(requests).toEqual([{ ok: false, entities: 2 }, { ok: true, entities: 1 }]);
  });

  it('closes its transport', async () => {
    const { fetcher, transport } = fetcherOver();
    await fetcher.close();
    expect(transport.closed).toBe(true);
  });

  describe('when the graph refuses the query (it no longer validates)', () => {
    const refused = (request: SentRequest): ReturnType<Script> => ({
      ...entities(request, () => null),
      errors: [{ message: '400: Bad Request', extensions: { code: 'INTERNAL_SERVER_ERROR', response: { url: 'http://talent/graphql', body: { errors: [{ message: 'Cannot query field "name" on type "Talent".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] } } } }],
    });

    it('without a gate, fails the ids at once with the subgraph’s own message (no outage retries)', async () => {
      const { fetcher, transport } = fetcherOver(refused, { outageToleranceSeconds: 3_600 });
      const results = await fetcher.fetch(['mov-0']);
      expect(transport.sent).toHaveLength(1);
      expect(results.get('mov-0')).toMatchObject({ kind: 'failed', reason: expect.stringContaining('Cannot query field "name" on type "Talent"') });
    });

    it('with a gate, waits as it says and tries again, without spending the retries, until the graph takes it', async () => {
      const gate = { refusals: [] as Array<string | null>, accepted: 0 };
      const { fetcher, transport } = fetcherOver((request, n) => (n <= 4 ? refused(request) : entities(request)), {}, {
        schemaGate: {
          rejected: async (rejection) => void gate.refusals.push(rejection.field),
          sending: () => 0,
          accepted: () => void gate.accepted++,
        },
      });
      const results = await fetcher.fetch(['mov-0', 'mov-1']);
      expect(transport.sent).toHaveLength(5);
      expect(kinds(results)).toEqual(['found', 'found']);
      expect(gate).toEqual({ refusals: ['Talent.name', 'Talent.name', 'Talent.name', 'Talent.name'], accepted: 1 });
      expect(retries).toEqual([]);
    });

    it('hands the gate each answer with the number it was sent under and the subgraphs it asked', async () => {
      const castTemplate = await movieTemplate('query Movie($id: ID!) { movie(movieId: $id) { movieId cast { role talent { name } } } }');
      const owners = responsePathOwners(await loadGraphSchema({ schemaFile: SUPERGRAPH }), castTemplate, readFileSync(SUPERGRAPH, 'utf8'));
      const answers: Array<{ sent: number; talent: boolean | null; movies: boolean | null }> = [];
      let numbered = 0;
      const transport = new FakeTransport((request) => entities(request, (id) => (id === 'gone' ? null : { movieId: id, cast: [] })));
      const fetcher = new GatewayFetcher(
        { gateway: { url: 'http://gateway.invalid/graphql', headers: {}, timeoutMs: 1_000, supergraph: null, subgraphs: {} }, template: castTemplate, pipeline: { ...FAST, batchSize: 1, concurrency: 1 }, owners },
        {
          sleep: async () => {},
          schemaGate: {
            rejected: async () => {},
            sending: () => ++numbered,
            accepted: (sent, reached) => void answers.push({ sent, talent: reached('talent'), movies: reached('movies') }),
          },
        },
        transport,
      );
      await fetcher.fetch(['mov-1', 'gone']);
      // A movie (even with no cast) asks the talent subgraph for its cast; a movie that is not there asks it nothing.
      expect(answers).toEqual([
        { sent: 1, talent: true, movies: true },
        { sent: 2, talent: false, movies: true },
      ]);
    });
  });
});
