import type { estypes } from '@elastic/elasticsearch';
import { describe, expect, it } from 'vitest';
import { EnrichStage } from '../../src/pipeline/enrichStage.ts';
import { Enricher } from '../../src/pipeline/enricher.ts';
import { documentMessages, eventRoutes, lookUpPrimaryIds, routeEvents, type PendingIds, type Route } from '../../src/pipeline/enrichSteps.ts';
import type { FetchResult } from '../../src/pipeline/gatewayFetcher.ts';
import type { LookupTarget } from '../../src/pipeline/reverseLookup.ts';
import { moviesIndex } from '../search/moviesIndex.ts';
import { counterValue, fakeConsumer, filmCodec, kafkaMessage, observed, recordingDeadLetters, silentLogger } from './stageFakes.ts';

const movies = moviesIndex();
const routes = eventRoutes(movies);
const route = (topic: string): Route => routes.get(topic)?.[0] as Route;
const change = (body: unknown): ReturnType<typeof kafkaMessage> => kafkaMessage({ key: null, value: typeof body === 'string' ? body : JSON.stringify(body) });

describe('enrich steps', () => {
  it('routes every event topic of the index, related lookups on the exact field in its nested object', () => {
    expect([...routes.keys()]).toEqual(['studio.movie.changes', 'studio.credit.changes', 'studio.production.changes', 'studio.talent.changes']);
    expect(route('studio.movie.changes').lookup).toBeNull();
    expect(route('studio.production.changes').lookup).toMatchObject({ index: 'movies', fields: ['production.ptpId'], nestedPath: null });
    expect(route('studio.talent.changes').lookup).toMatchObject({ index: 'movies', fields: ['cast.talent.talentId'], nestedPath: 'cast' });
  });

  it('decodes and routes a batch: ids with their oldest event time, undecodable events as dead letters with their offset', () => {
    const broken = change('{not json');
    const routed = routeEvents(
      [change({ after: { movieId: 'm1' }, ts_ms: 20 }), change({ after: { movieId: 'm1' }, ts_ms: 10 }), broken, change({ before: { movieId: 'm2' } })],
      routes.get('studio.movie.changes') ?? [],
      { topic: 'studio.movie.changes', partition: 3 },
    );
    expect(routed.primary).toEqual(new Map([['m1', 10], ['m2', null]]));
    expect(routed.related.size).toBe(0);
    expect(routed.decoded).toBe(3);
    expect(routed.letters).toEqual([
      {
        kind: 'event',
        stage: 'enrich',
        reason: expect.stringContaining('value is not JSON'),
        entityId: null,
        source: { topic: 'studio.movie.changes', partition: 3, offset: broken.offset },
        key: null,
        value: broken.value,
      },
    ]);
  });

  it('routes related events to their lookup, not to fetching', () => {
    const talent = route('studio.talent.changes');
    const routed = routeEvents([change({ after: { talentId: 't1' }, ts_ms: 5 })], [talent], { topic: 'studio.talent.changes', partition: 0 });
    expect(routed.primary.size).toBe(0);
    expect(routed.related).toEqual(new Map([[talent, new Map([['t1', 5]])]]));
  });

  it('looks up the primary ids of related changes, with the oldest event time, skipping ids already handled', async () => {
    const talent = route('studio.talent.changes');
    const asked: Array<[LookupTarget, readonly string[]]> = [];
    const into: PendingIds = new Map([['m1', 1]]);
    const added = await lookUpPrimaryIds(
      async (target, ids) => {
        asked.push([target, ids]);
        return ['m1', 'm2', 'm3'];
      },
      new Map([[talent, new Map([['t1', 7], ['t2', 4]])]]),
      into,
      () => undefined,
      new Set(['m3']),
    );
    expect(asked).toEqual([[talent.lookup, ['t1', 't2']]]);
    expect(into).toEqual(new Map([['m1', 1], ['m2', 4]]));
    expect(added).toEqual(new Map([['m1', 4], ['m2', 4]]));
  });

  it('produces a message per document, a tombstone for an entity that is gone, and returns what failed', () => {
    const codec = filmCodec();
    const results = new Map<string, FetchResult>([
      ['f1', { kind: 'found', document: { filmId: 'f1', title: 'Up' }, version: 11 }],
      ['f2', { kind: 'missing', version: 12 }],
      ['f3', { kind: 'failed', reason: 'gateway timeout' }],
      ['f4', { kind: 'found', document: { filmId: 'f4', title: 42 }, version: 13 }],
    ]);
    const { messages, outcome } = documentMessages(results, new Map([['f1', 99]]), codec);
    expect(messages.map((m) => [m.key, m.value === null ? null : 'avro', m.headers?.['fedsearch-version'], m.headers?.['fedsearch-event-ts']])).toEqual([
      ['f1', 'avro', '11', '99'],
      ['f2', null, '12', undefined],
    ]);
    expect(outcome.written).toBe(1);
    expect(outcome.deleted).toBe(1);
    expect(outcome.failed.map((f) => f.id)).toEqual(['f3', 'f4']);
    expect(outcome.failed[1]?.reason).toMatch(/^document does not fit the Avro schema/);
  });

  it('keeps which primary ids the batch says exist: the latest op per id, never a related id', () => {
    const movie = route('studio.movie.changes');
    const talent = route('studio.talent.changes');
    const routed = routeEvents(
      [
        change({ op: 'c', after: { movieId: 'm1' } }),
        change({ op: 'u', after: { movieId: 'm2' } }),
        change({ op: 'd', before: { movieId: 'm2' } }),
        change({ op: 'd', before: { movieId: 'm3' } }),
        change({ op: 'u', after: { movieId: 'm3' } }),
        change({ after: { movieId: 'm4' } }),
      ],
      [movie],
      { topic: 'studio.movie.changes', partition: 0 },
    );
    expect([...routed.expectedToExist].sort()).toEqual(['m1', 'm3']);
    expect(routeEvents([change({ op: 'u', after: { talentId: 't1' } })], [talent], { topic: 'studio.talent.changes', partition: 0 }).expectedToExist.size).toBe(0);
  });

  it('fails, naming the subgraph, an entity answered null while its event says it exists, instead of deleting it', () => {
    const results = new Map<string, FetchResult>([
      ['f1', { kind: 'missing', version: 12, subgraph: 'films' }],
      ['f2', { kind: 'missing', version: 13, subgraph: 'films' }],
    ]);
    const { messages, outcome } = documentMessages(results, new Map(), filmCodec(), new Set(['f1']));
    expect(messages.map((m) => [m.key, m.value])).toEqual([['f2', null]]);
    expect(outcome.deleted).toBe(1);
    expect(outcome.failed).toEqual([{ id: 'f1', reason: expect.stringContaining('null for f1 while its change event says the row exists'), fault: { subgraph: 'films', path: '', code: 'ENTITY_NULL' } }]);
  });
});

/** An EnrichStage over fakes: the index answers reverse lookups from `lookups` in turn, the gateway finds every id. */
function stage(options: {
  lookups: string[][];
  failing?: string[];
  /** Ids per gateway request (default: all in one). */
  chunkSize?: number;
  /** Awaited before fetching these ids (default: none). */
  beforeFetch?: (ids: readonly string[]) => Promise<void>;
  /** Awaited before each request after the first settles (default: none). */
  beforeLaterChunk?: () => Promise<void>;
  /** How long "the sink caught up" takes (default: at once). */
  sinkCaughtUp?: () => Promise<void>;
  /** Reverse lookups that fail, by call number from 0 (default: none). */
  failingLookups?: number[];
}) {
  const events: string[] = [];
  const fetched: string[][] = [];
  let lookup = 0;
  const deadLetters = recordingDeadLetters();
  const { events: reported, metrics: stageMetrics } = observed();
  const elasticsearch = {
    async search(): Promise<estypes.SearchResponse> {
      if (options.failingLookups?.includes(lookup)) {
        lookup++;
        events.push('lookup failed');
        throw new Error('Elasticsearch unreachable');
      }
      const ids = options.lookups[Math.min(lookup++, options.lookups.length - 1)] ?? [];
      events.push(`lookup ${ids.join(',')}`);
      return { took: 1, timed_out: false, _shards: { total: 1, successful: 1, failed: 0 }, hits: { total: { value: ids.length, relation: 'eq' }, hits: ids.map((_id) => ({ _id, _index: 'movies' })) } };
    },
    openPointInTime: async () => ({ id: 'pit', _shards: { total: 1, successful: 1, failed: 0 } }),
    closePointInTime: async () => ({}),
    indices: { refresh: async () => void events.push('refresh') },
  };
  const enricher = new Enricher({
    loaded: movies,
    topology: { alias: 'movies', documentsTopic: 'movies.documents' },
    elasticsearch,
    fetcher: {
      async fetchInChunks(ids, _whileWaiting, onChunk) {
        fetched.push([...ids]);
        await options.beforeFetch?.(ids);
        const size = options.chunkSize ?? ids.length;
        for (let start = 0; start < ids.length; start += size) {
          if (start > 0) await options.beforeLaterChunk?.();
          const chunk = ids.slice(start, start + size);
          events.push(`fetched ${chunk.join(',')}`);
          await onChunk(new Map(chunk.map((id): [string, FetchResult] => [id, options.failing?.includes(id) ? { kind: 'failed', reason: 'HTTP 500' } : { kind: 'missing', version: 1 }])));
        }
      },
    },
    producer: {
      async send(record) {
        events.push(`send ${record.messages.map((m) => m.key).join(',')}`);
        return [];
      },
    },
    codec: filmCodec(),
    deadLetters: { send: async (letters) => { events.push(`dead letters ${letters.length}`); await deadLetters.send([...letters]); } },
    events: reported,
    logger: silentLogger,
  });
  const enrich = new EnrichStage({
    enricher,
    topology: { enrichGroup: 'movies-enrich' },
    events: reported,
    logger: silentLogger,
    sinkCaughtUp: async () => {
      await options.sinkCaughtUp?.();
      events.push('sink caught up');
    },
    sleep: async () => undefined,
  });
  return { enrich, events, fetched, deadLetters, metrics: stageMetrics };
}

describe('EnrichStage', () => {
  it('looks a related change up again once the sink has settled, fetches only what the second lookup adds, then commits', async () => {
    const { enrich, events, fetched, metrics: m } = stage({ lookups: [['m1'], ['m1', 'm2']] });
    const consumer = fakeConsumer();
    await enrich.run(consumer.consumer);
    const renamed = change({ after: { talentId: 't1' }, ts_ms: 3 });
    await consumer.deliver('studio.talent.changes', [renamed]);
    await enrich.drain(5_000);
    expect(fetched).toEqual([['m1'], ['m2']]);
    expect(events).toEqual(['lookup m1', 'fetched m1', 'send m1', 'sink caught up', 'refresh', 'lookup m1,m2', 'fetched m2', 'send m2']);
    expect(consumer.commits).toEqual([{ topic: 'studio.talent.changes', partition: 0, offset: String(Number(renamed.offset) + 1) }]);
    expect(await counterValue(m.registry, 'fedsearch_reverse_lookup_late_total', { entity_type: 'Talent' })).toBe(1);
  });

  it('looks a related change up again only once the fetches under way when it was read have produced their documents, however slow', async () => {
    // m9 is being fetched (its credit just added, the talent's old name read) when t1's rename is read.
    let answerM9!: () => void;
    const m9Answered = new Promise<void>((resolve) => (answerM9 = resolve));
    let fetchingM9!: () => void;
    const m9Asked = new Promise<void>((resolve) => (fetchingM9 = resolve));
    const { enrich, events } = stage({
      lookups: [['m1'], ['m1', 'm9']],
      beforeFetch: (ids) => {
        if (!ids.includes('m9')) return Promise.resolve();
        fetchingM9();
        return m9Answered;
      },
    });
    const consumer = fakeConsumer();
    await enrich.run(consumer.consumer);
    const creditAdded = consumer.deliver('studio.movie.changes', [change({ after: { movieId: 'm9' }, ts_ms: 1 })], { partition: 1 });
    await m9Asked;
    const renamed = consumer.deliver('studio.talent.changes', [change({ after: { talentId: 't1' }, ts_ms: 2 })]);
    await renamed;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(events).not.toContain('sink caught up');
    answerM9();
    await creditAdded;
    await enrich.drain(5_000);
    expect(events.indexOf('send m9')).toBeGreaterThan(-1);
    expect(events.indexOf('send m9')).toBeLessThan(events.indexOf('sink caught up'));
    expect(events.slice(events.indexOf('sink caught up'))).toEqual(['sink caught up', 'refresh', 'lookup m1,m9', 'fetched m9', 'send m9']);
  });

  it('writes the first documents of a fan-out while later ones are still being fetched, and commits after all', async () => {
    let firstSent!: () => void;
    const sentBeforeRest = new Promise<void>((resolve) => (firstSent = resolve));
    const { enrich, events } = stage({ lookups: [['m1', 'm2', 'm3', 'm4']], chunkSize: 2, beforeLaterChunk: () => sentBeforeRest });
    const consumer = fakeConsumer();
    await enrich.run(consumer.consumer);
    // The later request waits until the first documents are sent: a stage that sent only after
    // fetching everything would never get there.
    const watch = setInterval(() => events.includes('send m1,m2') && firstSent(), 1);
    try {
      await consumer.deliver('studio.talent.changes', [change({ after: { talentId: 't1' }, ts_ms: 3 })]);
    } finally {
      clearInterval(watch);
    }
    await enrich.drain(5_000);
    expect(events.slice(0, 5)).toEqual(['lookup m1,m2,m3,m4', 'fetched m1,m2', 'send m1,m2', 'fetched m3,m4', 'send m3,m4']);
    expect(consumer.commits).toHaveLength(1);
  });

  it('dead-letters a fetch that kept failing, with its event time, before it commits', async () => {
    const { enrich, events, deadLetters } = stage({ lookups: [[]], failing: ['m9'] });
    const consumer = fakeConsumer();
    await enrich.run(consumer.consumer);
    await consumer.deliver('studio.movie.changes', [change({ after: { movieId: 'm9' }, ts_ms: 42 }), change('nope')]);
    await enrich.drain(5_000);
    expect(deadLetters.letters.map((l) => [l.kind, l.entityId, l.value?.toString()])).toEqual([
      ['event', null, 'nope'],
      ['refetch', 'm9', JSON.stringify({ id: 'm9', tsMs: 42 })],
    ]);
    expect(events).toEqual(['fetched m9', 'dead letters 2']);
    expect(consumer.commits).toHaveLength(1);
  });

  /**
   * Two talent renames on one partition, delivered one after the other while "the sink caught up"
   * is held back; `release` lets the second lookups go on.
   */
  async function twoRenamesWhileTheSinkLags(options: Parameters<typeof stage>[0]) {
    let release!: () => void;
    const sinkGate = new Promise<void>((resolve) => (release = resolve));
    const staged = stage({ ...options, sinkCaughtUp: () => sinkGate });
    const consumer = fakeConsumer();
    await staged.enrich.run(consumer.consumer);
    const renamed = change({ after: { talentId: 't1' }, ts_ms: 3 });
    const renamedToo = change({ after: { talentId: 't2' }, ts_ms: 4 });
    await consumer.deliver('studio.talent.changes', [renamed]);
    await consumer.deliver('studio.talent.changes', [renamedToo]);
    return { ...staged, consumer, renamed, renamedToo, release };
  }

  it('does not hold a partition for the second lookup: the next batch is written meanwhile, and offsets are committed in batch order', async () => {
    const { enrich, events, consumer, renamed, renamedToo, release } = await twoRenamesWhileTheSinkLags({ lookups: [['m1'], ['m5'], ['m1'], ['m5']] });
    // The second batch of the partition was looked up, fetched and sent while the first waits for
    // the sink; neither is committed yet.
    expect(events).toEqual(['lookup m1', 'fetched m1', 'send m1', 'lookup m5', 'fetched m5', 'send m5']);
    expect(consumer.commits).toEqual([]);
    release();
    await enrich.drain(5_000);
    expect(consumer.commits.map((commit) => commit.offset)).toEqual([String(Number(renamed.offset) + 1), String(Number(renamedToo.offset) + 1)]);
  });

  it('sends the partition back to a batch whose second lookup failed, and commits neither it nor a later batch', async () => {
    // Lookups in call order: batch 1's first, batch 2's first, batch 1's second (fails), batch 2's second.
    const { enrich, events, consumer, renamed, release } = await twoRenamesWhileTheSinkLags({ lookups: [['m1'], ['m2'], [], ['m2']], failingLookups: [2] });
    release();
    await enrich.drain(5_000);
    expect(events).toContain('lookup failed');
    expect(consumer.seeks).toEqual([{ topic: 'studio.talent.changes', partition: 0, offset: renamed.offset }]);
    expect(consumer.commits).toEqual([]);
  });
});
