import type { estypes } from '@elastic/elasticsearch';
import { beforeAll, describe, expect, it } from 'vitest';
import type { QueryTemplate } from '../../src/graph/validateQueryTemplate.ts';
import { Enricher } from '../../src/pipeline/enricher.ts';
import { reportingFetcher } from '../../src/pipeline/enricherResources.ts';
import type { Route } from '../../src/pipeline/enrichSteps.ts';
import { GatewayRequestError } from '../../src/pipeline/gatewayErrors.ts';
import type { PipelineEventMap, PipelineEventName } from '../../src/pipeline/pipelineEvents.ts';
import { moviesIndex } from '../search/moviesIndex.ts';
import { entities, FakeTransport, FAST, movieTemplate, type Script } from './gatewayFakes.ts';
import { counterValue, filmCodec, observed, recordingDeadLetters, silentLogger } from './stageFakes.ts';

const movies = moviesIndex();

const EVERY_EVENT: PipelineEventName[] = [
  'enrich.batch',
  'enrich.events',
  'enrich.reverse_lookup',
  'enrich.index_refresh',
  'enrich.fetched',
  'enrich.gateway_request',
  'enrich.gateway_retry',
  'enrich.produce',
  'sink.batch',
  'sink.written',
  'sink.retry',
  'dead_letters',
  'consumer.lag',
];

/** An Enricher over a scripted gateway transport, a fake index (reverse lookups answer `found`) and a recording producer; every event it emits, in order. */
function enricherOver(template: QueryTemplate, script: Script, found: string[], documentsFor?: string) {
  const { events, metrics } = observed();
  const seen: Array<{ name: PipelineEventName; payload: PipelineEventMap[PipelineEventName] }> = [];
  for (const name of EVERY_EVENT) events.on(name, (payload) => void seen.push({ name, payload }));
  const produced: string[] = [];
  const headers: Array<Record<string, unknown>> = [];
  const elasticsearch = {
    search: async (): Promise<estypes.SearchResponse> => ({
      took: 1,
      timed_out: false,
      _shards: { total: 1, successful: 1, failed: 0 },
      hits: { total: { value: found.length, relation: 'eq' }, hits: found.map((_id) => ({ _id, _index: 'movies' })) },
    }),
    openPointInTime: async () => ({ id: 'pit', _shards: { total: 1, successful: 1, failed: 0 } }),
    closePointInTime: async () => ({}),
    indices: { refresh: async () => undefined },
  };
  const gateway = { url: 'http://gateway.invalid/graphql', headers: {}, timeoutMs: 1_000, supergraph: null, subgraphs: {} };
  const enricher = new Enricher({
    loaded: movies,
    topology: { alias: 'movies', documentsTopic: 'movies.documents' },
    elasticsearch,
    fetcher: reportingFetcher({ gateway, template, pipeline: FAST }, events, { transport: new FakeTransport(script), sleep: async () => undefined }),
    producer: {
      async send(record) {
        produced.push(...record.messages.map((message) => String(message.key)));
        headers.push(...record.messages.map((message) => ({ ...message.headers })));
        return [];
      },
    },
    codec: filmCodec(),
    deadLetters: recordingDeadLetters(),
    events,
    logger: silentLogger,
    ...(documentsFor ? { documentsFor } : {}),
  });
  return { enricher, seen, metrics, produced, headers };
}

describe('Enricher events', () => {
  let template: QueryTemplate;
  beforeAll(async () => {
    template = await movieTemplate();
  });

  it('reports its lookups, gateway requests and retries, fetch results, produce requests and dead letters, once per call with counts', async () => {
    // The first request fails on the network and is tried again; then m1 is found, m2 is gone and
    // m3 comes back in a shape the documents topic's schema refuses.
    const script: Script = (request, n) =>
      n === 1
        ? new GatewayRequestError('connection reset', 'network')
        : entities(request, (id) => (id === 'm2' ? null : { filmId: id, title: id === 'm3' ? 42 : 'Up' }));
    const { enricher, seen, metrics, produced } = enricherOver(template, script, ['m1', 'm2', 'm3']);
    const talent = enricher.routes.get('studio.talent.changes')?.[0] as Route;

    const primary = new Map<string, number | null>();
    await enricher.lookUp(new Map([[talent, new Map([['t1', 5]])]]), primary);
    const outcome = await enricher.enrich(primary);
    await enricher.deadLetterFailures(outcome.failed);

    expect(produced).toEqual(['m1', 'm2']);
    expect(seen.map(({ name, payload }) => (name === 'enrich.gateway_request' ? { name, ok: (payload as PipelineEventMap[typeof name]).ok } : { name, payload }))).toEqual([
      { name: 'enrich.reverse_lookup', payload: { entityType: 'Talent', relatedIds: 1, found: 3, added: 3, second: false } },
      { name: 'enrich.gateway_request', ok: false },
      { name: 'enrich.gateway_retry', payload: { reason: 'network' } },
      { name: 'enrich.gateway_request', ok: true },
      { name: 'enrich.fetched', payload: { found: 2, missing: 1, failed: 0 } },
      { name: 'enrich.produce', payload: { documents: 2 } },
      { name: 'dead_letters', payload: { stage: 'enrich', kind: 'refetch', count: 1 } },
    ]);
    // The metrics see them through their subscription.
    expect(await counterValue(metrics.registry, 'fedsearch_documents_fetched_total', { result: 'found' })).toBe(2);
    expect(await counterValue(metrics.registry, 'fedsearch_documents_fetched_total', { result: 'missing' })).toBe(1);
    expect(await counterValue(metrics.registry, 'fedsearch_retries_total', { stage: 'enrich', reason: 'network' })).toBe(1);
    expect(await counterValue(metrics.registry, 'fedsearch_dead_letters_total', { stage: 'enrich', kind: 'refetch' })).toBe(1);
  });

  it("marks a reindex's documents with the one index version they are for, and a live enricher's with none", async () => {
    const script: Script = (request) => entities(request, (id) => ({ filmId: id, title: 'Up' }));
    const reindex = enricherOver(template, script, [], 'movies_v3');
    await reindex.enricher.enrich(new Map([['m1', null], ['m2', null]]));
    expect(reindex.headers.map((h) => String(h['fedsearch-only-into']))).toEqual(['movies_v3', 'movies_v3']);
    const live = enricherOver(template, script, []);
    await live.enricher.enrich(new Map([['m1', null]]));
    expect(live.headers.map((h) => h['fedsearch-only-into'])).toEqual([undefined]);
  });

  it('reports the second lookup after its forced refresh, counting only the documents the first did not find', async () => {
    const { enricher, seen, metrics } = enricherOver(template, (request) => entities(request), ['m1', 'm2']);
    const talent = enricher.routes.get('studio.talent.changes')?.[0] as Route;
    const late = await enricher.lookUpAgain(new Map([[talent, new Map([['t1', 5]])]]), new Map([['m1', 5]]));
    expect([...late.keys()]).toEqual(['m2']);
    expect(seen).toEqual([
      { name: 'enrich.index_refresh', payload: {} },
      { name: 'enrich.reverse_lookup', payload: { entityType: 'Talent', relatedIds: 1, found: 2, added: 1, second: true } },
    ]);
    expect(await counterValue(metrics.registry, 'fedsearch_reverse_lookup_late_total', { entity_type: 'Talent' })).toBe(1);
    expect(await counterValue(metrics.registry, 'fedsearch_index_refreshes_total', {})).toBe(1);
  });

  it('stops reporting to a subscriber that unsubscribed', async () => {
    const { events, metrics } = observed();
    const seen: number[] = [];
    const off = events.on('enrich.produce', ({ documents }) => void seen.push(documents));
    events.emit('enrich.produce', { documents: 3 });
    off();
    events.emit('enrich.produce', { documents: 4 });
    expect(seen).toEqual([3]);
    // The metrics' own subscription is untouched.
    const histogram = await metrics.documentsPerProduce.get();
    expect(histogram.values.find((value) => value.metricName === 'fedsearch_documents_per_produce_count')?.value).toBe(2);
  });
});
