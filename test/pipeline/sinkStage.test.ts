import type { estypes } from '@elastic/elasticsearch';
import type { KafkaMessage } from '../../src/clients/kafkajs.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedDecoding, type SinkDecoding } from '../../src/pipeline/sinkDecoding.ts';
import { SinkStage, type BulkClient, type SinkStageDeps } from '../../src/pipeline/sinkStage.ts';
import { counterValue, fakeConsumer, filmCodec, kafkaMessage, observed, recordingDeadLetters, silentLogger } from './stageFakes.ts';

const topology = { alias: 'films', documentsTopic: 'films.documents', sinkGroup: 'films-sink' };
const codec = filmCodec();

function document(id: string, version: number, title: string | null = `Title of ${id}`): KafkaMessage {
  const message = codec.toMessage({ id, document: title === null ? null : { filmId: id, title }, version, eventTsMs: null });
  const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
  return kafkaMessage({ key: id, value: message.value as Buffer | null, headers });
}

/** A document body of a bulk request: an object, or its JSON when a worker decoded it. */
function isBody(entry: Record<string, unknown> | string): entry is string {
  return typeof entry === 'string';
}

/** A document body as an object, however it was sent. */
function source(entry: Record<string, unknown> | string | undefined): { title?: unknown } {
  return typeof entry === 'string' ? (JSON.parse(entry) as { title?: unknown }) : (entry ?? {});
}

/** The decode workers of the suite running (none: the event loop decodes). */
let decoding: SinkDecoding | undefined;

type ItemStatus = number | { status: number; error: { type: string; reason: string } };

/** An Elasticsearch that answers each bulk with the statuses `answer` gives per operation, and records what it was sent. */
function fakeElasticsearch(answer: (operation: { action: 'index' | 'delete'; _index: string; _id: string }, call: number) => ItemStatus | 'throw') {
  const requests: Array<Array<Record<string, unknown>>> = [];
  const client: BulkClient = {
    async bulk(request: estypes.BulkRequest): Promise<estypes.BulkResponse> {
      const operations = (request.operations ?? []) as Array<Record<string, unknown>>;
      requests.push(operations);
      const items: estypes.BulkResponseItem[] = [];
      const results: Array<Record<string, estypes.BulkResponseItem>> = [];
      for (const entry of operations) {
        const action = isBody(entry) ? null : 'index' in entry ? 'index' : 'delete' in entry ? 'delete' : null;
        if (action === null) continue; // a document body
        const meta = entry[action] as { _index: string; _id: string };
        const outcome = answer({ action, ...meta }, requests.length);
        if (outcome === 'throw') throw new Error('connect ECONNREFUSED 127.0.0.1:9200');
        const status = typeof outcome === 'number' ? outcome : outcome.status;
        const item = { _index: meta._index, _id: meta._id, status, ...(typeof outcome === 'number' ? {} : { error: outcome.error }) } as estypes.BulkResponseItem;
        items.push(item);
        results.push({ [action]: item });
      }
      return { errors: results.some((r) => (Object.values(r)[0]?.status ?? 0) >= 300), items: results, took: 1 } as estypes.BulkResponse;
    },
  };
  return { client, requests, items: () => requests };
}

function sink(elasticsearch: BulkClient, options: Partial<Pick<SinkStageDeps, 'extraTargets' | 'deadLetters' | 'heartbeatEveryMs' | 'decoding'>> = {}) {
  const deadLetters = recordingDeadLetters();
  const { events, metrics: stageMetrics } = observed();
  const waits: number[] = [];
  const stage = new SinkStage({
    topology,
    elasticsearch,
    codec,
    deadLetters,
    events,
    logger: silentLogger,
    sleep: async (ms) => void waits.push(ms),
    ...(decoding ? { decoding } : {}),
    ...options,
  });
  return { stage, deadLetters, metrics: stageMetrics, events, waits };
}

/** The (target, id, version, title) of each write in a bulk request. */
function writes(operations: Array<Record<string, unknown>>): Array<[string, string, number, unknown]> {
  const out: Array<[string, string, number, unknown]> = [];
  operations.forEach((entry, i) => {
    const meta = (entry['index'] ?? entry['delete']) as { _index: string; _id: string; version: number } | undefined;
    if (!meta) return;
    const body = 'index' in entry ? source(operations[i + 1]).title : null;
    out.push([meta._index, meta._id, meta.version, body]);
  });
  return out;
}

// Every test runs twice: documents decoded on the event loop (pipeline.workers: 0) and in a worker thread.
describe.each(['event loop', 'worker threads'] as const)('SinkStage, documents decoded on the %s', (where) => {
  beforeAll(() => {
    if (where === 'worker threads') decoding = sharedDecoding(codec, 1);
  });
  afterAll(async () => {
    await decoding?.close();
    decoding = undefined;
  });

  it('asks Elasticsearch for only the parts of the bulk answer it reads, and writes everything again after an answer that does not match the request', async () => {
    for (const answered of [1, 3]) {
      const sent: estypes.BulkRequest[] = [];
      const client: BulkClient = {
        async bulk(request) {
          sent.push(request);
          // The first answer has the wrong number of items (fewer, or more, than the 2 writes); the next is right.
          const items = Array.from({ length: sent.length === 1 ? answered : 2 }, () => ({ index: { _index: 'films_v1', status: 201 } }));
          return { errors: false, items, took: 1 } as estypes.BulkResponse;
        },
      };
      const { stage, waits, metrics: m } = sink(client);
      const consumer = fakeConsumer();
      await stage.run(consumer.consumer);
      await consumer.deliver(topology.documentsTopic, [document('f1', 1), document('f2', 1)]);
      expect(sent[0]?.filter_path).toEqual(['errors', 'items.*.status', 'items.*.error', 'items.*._index']);
      expect(writes(sent[1]?.operations as Array<Record<string, unknown>>).map(([, id]) => id)).toEqual(['f1', 'f2']);
      expect(waits).toHaveLength(1);
      expect(await counterValue(m.registry, 'fedsearch_retries_total', { stage: 'sink', reason: 'elasticsearch_unmatched_answer' })).toBe(2);
      // Only the matching answer counts writes: nothing is counted twice.
      expect(await counterValue(m.registry, 'fedsearch_documents_written_total', { operation: 'index', result: 'ok' })).toBe(2);
      expect(consumer.commits).toHaveLength(1);
    }
  });

  it('writes only the newest version of each document in a batch, with its version as the external version, and commits after', async () => {
    const es = fakeElasticsearch(() => 201);
    const { stage } = sink(es.client);
    const consumer = fakeConsumer();
    await stage.run(consumer.consumer);
    const messages = [document('f1', 5, 'Old'), document('f2', 3, 'Two'), document('f1', 9, 'New'), document('f1', 7, 'Middle'), document('f3', 4, null)];
    await consumer.deliver(topology.documentsTopic, messages, { partition: 2 });
    expect(es.requests).toHaveLength(1);
    expect(writes(es.requests[0] ?? [])).toEqual([
      ['films', 'f1', 9, 'New'],
      ['films', 'f2', 3, 'Two'],
      ['films', 'f3', 4, null],
    ]);
    expect(es.requests[0]?.find((entry) => !isBody(entry) && 'delete' in entry)).toEqual({
      delete: { _index: 'films', _id: 'f3', version: 4, version_type: 'external_gte' },
    });
    expect(consumer.commits).toEqual([{ topic: topology.documentsTopic, partition: 2, offset: String(Number(messages.at(-1)?.offset) + 1) }]);
  });

  it("commits with the batch's own commit, which kafkajs's runner survives when the member was evicted (consumer.commitOffsets crashes it)", async () => {
    const { stage } = sink(fakeElasticsearch(() => 201).client);
    const consumer = fakeConsumer();
    await stage.run(consumer.consumer);
    await consumer.deliver(topology.documentsTopic, [document('f1', 1)]);
    expect(consumer.commits).toHaveLength(1);
    expect(consumer.consumerCommits()).toBe(0);
  });

  it('heartbeats while a bulk request hangs (Elasticsearch frozen), so the group keeps the member', async () => {
    const slow: BulkClient = {
      bulk: async (request) => {
        await sleep(150);
        return fakeElasticsearch(() => 201).client.bulk(request);
      },
    };
    const { stage } = sink(slow, { heartbeatEveryMs: 20 });
    const consumer = fakeConsumer();
    await stage.run(consumer.consumer);
    await consumer.deliver(topology.documentsTopic, [document('f1', 1)]);
    expect(consumer.heartbeats()).toBeGreaterThanOrEqual(3);
    expect(consumer.commits).toHaveLength(1);
  });

  it('counts a 409 as stale (a newer version is already there), not as a failure', async () => {
    const { stage, deadLetters, metrics: m } = sink(fakeElasticsearch(() => 409).client);
    const consumer = fakeConsumer();
    await stage.run(consumer.consumer);
    await consumer.deliver(topology.documentsTopic, [document('f1', 1)]);
    expect(await counterValue(m.registry, 'fedsearch_documents_written_total', { operation: 'index', result: 'stale' })).toBe(1);
    expect(deadLetters.letters).toEqual([]);
    expect(consumer.commits).toHaveLength(1);
  });

  it('backs off and retries only what Elasticsearch was too busy for, counting each retry with its reason', async () => {
    const es = fakeElasticsearch(({ _id }, call) => (call === 1 && _id === 'f2' ? 429 : call === 2 && _id === 'f2' ? 503 : 201));
    const { stage, metrics: m, waits } = sink(es.client);
    const consumer = fakeConsumer();
    await stage.run(consumer.consumer);
    await consumer.deliver(topology.documentsTopic, [document('f1', 1), document('f2', 1)]);
    expect(es.requests.map((request) => writes(request).map(([, id]) => id))).toEqual([['f1', 'f2'], ['f2'], ['f2']]);
    expect(await counterValue(m.registry, 'fedsearch_retries_total', { stage: 'sink', reason: 'elasticsearch_busy' })).toBe(2);
    // The shared Elasticsearch backoff: 125–250 ms, then 250–500 ms.
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBeGreaterThanOrEqual(125);
    expect(waits[0]).toBeLessThan(250);
    expect(waits[1]).toBeGreaterThanOrEqual(250);
    expect(waits[1]).toBeLessThan(500);
    expect(consumer.commits).toHaveLength(1);
  });

  it('writes to the alias only while it is an alias, and waits (uncommitted) while it is gone instead of dead-lettering', async () => {
    const gone = { status: 404, error: { type: 'index_not_found_exception', reason: 'no such index [films] and [require_alias] request flag is [true]' } };
    const es = fakeElasticsearch((_operation, call) => (call === 1 ? gone : 201));
    const { stage, metrics: m, deadLetters } = sink(es.client);
    const consumer = fakeConsumer();
    await stage.run(consumer.consumer);
    await consumer.deliver(topology.documentsTopic, [document('f1', 1)]);
    expect(es.requests[0]?.[0]).toMatchObject({ index: { _index: 'films', require_alias: true } });
    expect(es.requests).toHaveLength(2);
    expect(deadLetters.letters).toEqual([]);
    expect(await counterValue(m.registry, 'fedsearch_retries_total', { stage: 'sink', reason: 'elasticsearch_index_missing' })).toBe(1);
    expect(consumer.commits).toHaveLength(1);
  });

  it('reports each batch, bulk answer, retry round and dead letters as one named event with counts', async () => {
    const es = fakeElasticsearch(({ _id }, call) =>
      _id === 'f3' ? { status: 400, error: { type: 'mapper_parsing_exception', reason: 'bad title' } } : call === 1 && _id === 'f2' ? 429 : _id === 'f1' ? 409 : 201,
    );
    const { stage, events } = sink(es.client);
    const seen: Array<[string, unknown]> = [];
    for (const name of ['sink.batch', 'sink.written', 'sink.retry', 'dead_letters', 'consumer.lag'] as const) events.on(name, (payload) => void seen.push([name, payload]));
    const consumer = fakeConsumer();
    await stage.run(consumer.consumer);
    await consumer.deliver(topology.documentsTopic, [document('f1', 1), document('f2', 1), document('f3', 1), document('f4', 1, null)], { partition: 2 });
    const counts = (ok: number, stale: number, dead: number) => ({ ok, stale, 'dead-lettered': dead });
    expect(seen).toEqual([
      ['sink.batch', { partition: 2, messages: 4 }],
      ['sink.written', { index: counts(0, 1, 1), delete: counts(1, 0, 0), endToEndSeconds: [] }],
      ['sink.retry', { reason: 'elasticsearch_busy', count: 1 }],
      ['sink.written', { index: counts(1, 0, 0), delete: counts(0, 0, 0), endToEndSeconds: [] }],
      ['dead_letters', { stage: 'sink', kind: 'document', count: 1 }],
      ['consumer.lag', { group: 'films-sink', topic: 'films.documents', partition: 2, lag: 0 }],
    ]);
  });

  it('retries the whole batch when the bulk request itself fails', async () => {
    const es = fakeElasticsearch((_, call) => (call === 1 ? 'throw' : 201));
    const { stage, metrics: m } = sink(es.client);
    const consumer = fakeConsumer();
    await stage.run(consumer.consumer);
    await consumer.deliver(topology.documentsTopic, [document('f1', 1), document('f2', 1)]);
    expect(es.requests).toHaveLength(2);
    expect(await counterValue(m.registry, 'fedsearch_retries_total', { stage: 'sink', reason: 'elasticsearch_unreachable' })).toBe(2);
  });

  it('stops without committing when the consumer stops while it backs off, so the batch is read again', async () => {
    const { stage } = sink(fakeElasticsearch(() => 429).client);
    const consumer = fakeConsumer();
    await stage.run(consumer.consumer);
    let running = true;
    const delivery = consumer.deliver(topology.documentsTopic, [document('f1', 1)], { running: () => running });
    running = false;
    await expect(delivery).rejects.toThrow('the batch will be redelivered');
    expect(consumer.commits).toEqual([]);
  });

  it('dead-letters a document Elasticsearch refuses for good, with the reason and its offset, and commits', async () => {
    const es = fakeElasticsearch(({ _id }) => (_id === 'bad' ? { status: 400, error: { type: 'document_parsing_exception', reason: 'failed to parse field [title]' } } : 201));
    const { stage, deadLetters } = sink(es.client);
    const consumer = fakeConsumer();
    await stage.run(consumer.consumer);
    const bad = document('bad', 1);
    await consumer.deliver(topology.documentsTopic, [document('ok', 1), bad], { partition: 1 });
    expect(deadLetters.letters).toHaveLength(1);
    expect(deadLetters.letters[0]).toMatchObject({
      kind: 'document',
      stage: 'sink',
      entityId: 'bad',
      source: { topic: topology.documentsTopic, partition: 1, offset: bad.offset },
    });
    expect(deadLetters.letters[0]?.reason).toBe('Elasticsearch refused index of bad in films: document_parsing_exception: failed to parse field [title]');
    expect(consumer.commits).toHaveLength(1);
  });

  it('dead-letters a message it cannot read instead of blocking the partition', async () => {
    const es = fakeElasticsearch(() => 201);
    const { stage, deadLetters } = sink(es.client);
    const consumer = fakeConsumer();
    await stage.run(consumer.consumer);
    const keyless = kafkaMessage({ key: null, value: 'not avro' });
    await consumer.deliver(topology.documentsTopic, [keyless, document('f1', 1)]);
    expect(deadLetters.letters.map((letter) => [letter.kind, letter.reason, letter.source?.offset])).toEqual([
      ['document', 'document message without a key', keyless.offset],
    ]);
    expect(writes(es.requests[0] ?? []).map(([, id]) => id)).toEqual(['f1']);
    expect(consumer.commits).toHaveLength(1);
  });

  it('dead-letters a document whose value is not Avro of its schema, with the reason and its offset, and writes the rest', async () => {
    const es = fakeElasticsearch(() => 201);
    const { stage, deadLetters } = sink(es.client);
    const consumer = fakeConsumer();
    await stage.run(consumer.consumer);
    const good = document('f1', 1);
    const corrupt = kafkaMessage({ key: 'f2', value: Buffer.from([0x04, 0x66, 0x32, 0x02, 0x7f]), headers: { 'fedsearch-schema': 'f1', 'fedsearch-version': '2' } });
    await consumer.deliver(topology.documentsTopic, [good, corrupt]);
    expect(deadLetters.letters.map((letter) => [letter.entityId, letter.source?.offset, letter.reason])).toEqual([['f2', corrupt.offset, expect.stringMatching(/^document f2 is not valid Avro of schema f1: /)]]);
    expect(writes(es.requests[0] ?? [])).toEqual([['films', 'f1', 1, 'Title of f1']]);
    expect(consumer.commits).toHaveLength(1);
  });

  it('sends no bulk request for a batch whose every message was unreadable (Elasticsearch refuses an empty one)', async () => {
    const es = fakeElasticsearch(() => 201);
    const { stage, deadLetters } = sink(es.client);
    const consumer = fakeConsumer();
    await stage.run(consumer.consumer);
    await consumer.deliver(topology.documentsTopic, [kafkaMessage({ key: null, value: 'not avro' })]);
    expect(deadLetters.letters).toHaveLength(1);
    expect(es.requests).toHaveLength(0);
    expect(consumer.commits).toHaveLength(1);
  });

  it('dead-letters a document whose fedsearch-event-ts header is not a number, before writing anything, and moves on', async () => {
    const es = fakeElasticsearch(() => 201);
    const { stage, deadLetters } = sink(es.client);
    const consumer = fakeConsumer();
    await stage.run(consumer.consumer);
    const good = document('f1', 1);
    const bad = kafkaMessage({ key: 'f2', value: good.value, headers: { 'fedsearch-schema': 'f1', 'fedsearch-version': '2', 'fedsearch-event-ts': 'soon' } });
    await consumer.deliver(topology.documentsTopic, [good, bad]);
    expect(deadLetters.letters.map((letter) => [letter.entityId, letter.reason])).toEqual([
      ['f2', 'document f2 has an invalid fedsearch-event-ts header ("soon"): not a time in milliseconds'],
    ]);
    expect(writes(es.requests[0] ?? []).map(([, id]) => id)).toEqual(['f1']);
    expect(consumer.commits).toHaveLength(1);
  });

  it('commits a batch only once its dead letters are sent', async () => {
    const refused = { status: 400, error: { type: 'document_parsing_exception', reason: 'failed to parse field [title]' } };
    const consumer = fakeConsumer();
    const commitsWhenSent: number[] = [];
    const { stage } = sink(fakeElasticsearch(() => refused).client, {
      deadLetters: { send: async () => void commitsWhenSent.push(consumer.commits.length) },
    });
    await stage.run(consumer.consumer);
    await consumer.deliver(topology.documentsTopic, [document('f1', 1)]);
    expect(commitsWhenSent).toEqual([0]);
    expect(consumer.commits).toHaveLength(1);
  });

  it('does not commit a batch whose dead letters could not be sent, so it is read again', async () => {
    const consumer = fakeConsumer();
    const { stage } = sink(fakeElasticsearch(() => 201).client, {
      deadLetters: {
        send: async () => {
          throw new Error('the dead-letter topic is not writable');
        },
      },
    });
    await stage.run(consumer.consumer);
    const keyless = kafkaMessage({ key: null, value: 'not avro' });
    await expect(consumer.deliver(topology.documentsTopic, [keyless, document('f1', 1)])).rejects.toThrow('not writable');
    expect(consumer.commits).toEqual([]);
  });

  it('writes to the alias and to every extra target (a reindex under way)', async () => {
    const es = fakeElasticsearch(() => 201);
    const { stage } = sink(es.client, { extraTargets: () => ['films_v2'] });
    const consumer = fakeConsumer();
    await stage.run(consumer.consumer);
    await consumer.deliver(topology.documentsTopic, [document('f1', 4)]);
    expect(writes(es.requests[0] ?? []).map(([target, id]) => `${target}/${id}`)).toEqual(['films/f1', 'films_v2/f1']);
  });

  it("writes a reindex's document to the version being built alone, and as any other once that version is swapped in", async () => {
    const es = fakeElasticsearch(() => 201);
    let extra = ['films_v2'];
    const { stage } = sink(es.client, { extraTargets: () => extra });
    const consumer = fakeConsumer();
    await stage.run(consumer.consumer);
    const reindexed = (id: string, into: string): KafkaMessage => {
      const message = codec.toMessage({ id, document: { filmId: id, title: `Title of ${id}` }, version: 2, eventTsMs: null });
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
      return kafkaMessage({ key: id, value: message.value as Buffer, headers: { ...headers, 'fedsearch-only-into': into } });
    };
    await consumer.deliver(topology.documentsTopic, [reindexed('f1', 'films_v2'), document('f2', 2)]);
    expect(writes(es.requests[0] ?? []).map(([target, id]) => `${target}/${id}`)).toEqual(['films_v2/f1', 'films/f2', 'films_v2/f2']);
    // Swapped (the alias is films_v2 now): no extra target, the alias takes it.
    extra = [];
    await consumer.deliver(topology.documentsTopic, [reindexed('f3', 'films_v2')]);
    expect(writes(es.requests[1] ?? []).map(([target, id]) => `${target}/${id}`)).toEqual(['films/f3']);
    expect(consumer.commits).toHaveLength(2);
  });

  it("keeps a live change for the alias when a newer reindex document of the same entity is in the batch: that one goes to the new version alone", async () => {
    const es = fakeElasticsearch(() => 201);
    const { stage } = sink(es.client, { extraTargets: () => ['films_v2'] });
    const consumer = fakeConsumer();
    await stage.run(consumer.consumer);
    const reindexed = (id: string, version: number, title: string): KafkaMessage => {
      const message = codec.toMessage({ id, document: { filmId: id, title }, version, eventTsMs: null });
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
      return kafkaMessage({ key: id, value: message.value as Buffer, headers: { ...headers, 'fedsearch-only-into': 'films_v2' } });
    };
    // The live change (fetched first) and the reindex's fetch of the same film, read in one batch;
    // then a live change newer than the reindex's document, which makes that one redundant.
    await consumer.deliver(topology.documentsTopic, [document('f1', 5, 'Live'), reindexed('f1', 6, 'Reindexed'), reindexed('f2', 3, 'Reindexed'), document('f2', 4, 'Live')]);
    const written = writes(es.requests[0] ?? []).map(([target, id, version, title]) => `${target}/${id}@${version} ${String(title)}`);
    // The alias (the version searches read until the swap) must get the live change.
    expect(written.filter((write) => write.startsWith('films/'))).toEqual(['films/f1@5 Live', 'films/f2@4 Live']);
    // The new version ends up with the newest of each.
    expect(written).toContain('films_v2/f1@6 Reindexed');
    expect(written).toContain('films_v2/f2@4 Live');
    expect(written).not.toContain('films_v2/f2@3 Reindexed');
  });

  it('during a reindex, pairs the answer with every target\'s write: one item per write is not an answer', async () => {
    const sent: number[] = [];
    const client: BulkClient = {
      async bulk(request) {
        const operations = (request.operations ?? []) as Array<Record<string, unknown>>;
        const writesAsked = operations.filter((entry) => !isBody(entry) && ('index' in entry || 'delete' in entry)).length;
        sent.push(writesAsked);
        // The first answer has one item per document (2), not per write (4).
        const items = Array.from({ length: sent.length === 1 ? writesAsked / 2 : writesAsked }, () => ({ index: { _index: 'films_v1', status: 201 } }));
        return { errors: false, items, took: 1 } as estypes.BulkResponse;
      },
    };
    const { stage, metrics: m } = sink(client, { extraTargets: () => ['films_v2'] });
    const consumer = fakeConsumer();
    await stage.run(consumer.consumer);
    await consumer.deliver(topology.documentsTopic, [document('f1', 1), document('f2', 1)]);
    expect(sent).toEqual([4, 4]);
    expect(await counterValue(m.registry, 'fedsearch_retries_total', { stage: 'sink', reason: 'elasticsearch_unmatched_answer' })).toBe(2);
  });

  it('dead-letters a write one target refuses for good once, without also retrying it for another target\'s 429', async () => {
    const es = fakeElasticsearch(({ _index }) => (_index === 'films_v2' ? { status: 400, error: { type: 'mapper_parsing_exception', reason: 'failed to parse' } } : 429));
    const { stage, deadLetters, metrics: m } = sink(es.client, { extraTargets: () => ['films_v2'] });
    const consumer = fakeConsumer();
    await stage.run(consumer.consumer);
    await consumer.deliver(topology.documentsTopic, [document('f1', 1)]);
    expect(es.requests).toHaveLength(1);
    expect(deadLetters.letters.map((letter) => letter.entityId)).toEqual(['f1']);
    expect(await counterValue(m.registry, 'fedsearch_retries_total', { stage: 'sink', reason: 'elasticsearch_busy' })).toBe(0);
    expect(consumer.commits).toHaveLength(1);
  });
});

describe('SinkStage with decode workers that fail', () => {
  it('decodes the batch on the event loop instead, so a broken pool never holds a partition', async () => {
    const es = fakeElasticsearch(() => 201);
    const broken: Pick<SinkDecoding, 'decode'> = { decode: async (_documents, context) => Promise.reject(new Error(`sink decode workers of films (${context}): the worker thread exited with code 1`)) };
    const { stage, deadLetters } = sink(es.client, { decoding: broken });
    const consumer = fakeConsumer();
    await stage.run(consumer.consumer);
    await consumer.deliver(topology.documentsTopic, [document('f1', 1), document('f2', 1, null)]);
    expect(writes(es.requests[0] ?? [])).toEqual([['films', 'f1', 1, 'Title of f1'], ['films', 'f2', 1, null]]);
    expect(deadLetters.letters).toEqual([]);
    expect(consumer.commits).toHaveLength(1);
  });
});

