// Hostile messages on the real topics. Change events on a source topic, generated: bytes that are not JSON, objects
// without an id, ids of the wrong type or over 512 bytes, tombstones, big integers, ids of entities
// that do not exist — each with random headers. Every unusable event is dead-lettered with its
// reason at its offset; none blocks the partition; the index is unchanged; the next real change is
// indexed. Then the events that stalled a partition for good (issue #28): a big integer id in a
// value nested 20,000 deep, an event too large for the dead-letter topic once headers are added, a
// dead-letter topic that refuses letters, a ts_ms that is no time, and Ctrl-C while a stage
// crash-loops.
import { createHash } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import fc from 'fast-check';
import type { IHeaders } from '../../src/clients/kafkajs.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MAX_EVENT_DEPTH } from '../../src/pipeline/decodeChangeEvent.ts';
import { STAND_IN_LIMITS } from '../../src/pipeline/deadLetters.ts';
import { setTopicMessageLimit, topicMessageLimits } from '../../src/provision/deadLetterTopicLimit.ts';
import { generateAvroSchema } from '../../src/generate/generateAvroSchema.ts';
import { stableHash } from '../../src/index/stableHash.ts';
import type { DeadLetter } from '../../src/pipeline/deadLetters.ts';
import { DOCUMENT_HEADERS } from '../../src/pipeline/documentCodec.ts';
import { runPipeline, type RunningPipeline } from '../../src/pipeline/runPipeline.ts';
import { entityId } from '../../subgraphs/data/studioRows.ts';
import { createIndexHarness, eventually, readDeadLetters, type IndexHarness } from '../../support/indexHarness.ts';
import { exitOf, pressCtrlC, spawnCliAsUser } from '../support/userCli.ts';

const MOVIES = 100;

interface HostileEvent {
  /** What the dead letter's reason must say; null: a usable event (of an entity that does not exist). */
  reason: RegExp | null;
  value: Buffer | null;
  headers: IHeaders;
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8');
/** Ids no demo entity has, so a usable event changes nothing. */
const unknownId = fc.oneof(
  fc.string({ minLength: 1, maxLength: 40 }).map((s) => `zz-${s}`),
  fc.bigInt({ min: 2n ** 53n + 1n, max: 2n ** 70n }).map((n) => n.toString()),
);

const hostileEvent: fc.Arbitrary<HostileEvent> = fc
  .tuple(
    fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 300 }).filter((bytes) => {
        try {
          const parsed: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
          return parsed === null || typeof parsed !== 'object';
        } catch {
          return true;
        }
      }).map((bytes) => ({ reason: /^value is not (JSON|a JSON object)/, value: Buffer.from(bytes) })),
      fc.dictionary(fc.constantFrom('after', 'before', 'ts_ms', 'op', 'x'), fc.jsonValue({ maxDepth: 2 })).filter((o) => {
        const id = (o.after as { movieId?: unknown } | null)?.movieId ?? (o.before as { movieId?: unknown } | null)?.movieId;
        return id === undefined;
      }).map((o) => ({ reason: /^no id at after\.movieId/, value: json(o) })),
      fc.oneof(fc.boolean(), fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(fc.string(), fc.integer(), { minKeys: 1 })).map((id) => ({
        reason: /is (boolean|a list|object), not a string or number/,
        value: json({ after: { movieId: id } }),
      })),
      fc.string({ minLength: 513, maxLength: 2_000 }).filter((s) => Buffer.byteLength(s) > 512).map((id) => ({
        reason: /bytes long; at most 512 are allowed/,
        value: json({ op: 'u', after: { movieId: id } }),
      })),
      fc.constant({ reason: /tombstone/, value: null }),
      unknownId.map((id) => ({ reason: null, value: Buffer.from(`{"op":"u","after":{"movieId":${/^\d+$/.test(id) ? id : JSON.stringify(id)}}}`) })),
    ),
    fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), fc.oneof(fc.string({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b))), { maxKeys: 4 }),
  )
  .map(([event, headers]) => ({ ...event, headers }));

/** Sends one event with this key and value to `topic`; where it landed. */
async function sendEvent(h: IndexHarness, topic: string, key: string, value: Buffer | string, headers: IHeaders = {}): Promise<{ partition: number; offset: string }> {
  const producer = h.kafka.producer();
  await producer.connect();
  try {
    const [record] = await producer.send({ topic, messages: [{ key, value, headers }] });
    return { partition: record!.partition, offset: record!.baseOffset as string };
  } finally {
    await producer.disconnect();
  }
}

/** Sets the dead-letter topic's max.message.bytes for the duration of `during`, then puts it back. */
async function withDeadLetterLimit<T>(h: IndexHarness, bytes: number, during: () => Promise<T>): Promise<T> {
  const admin = h.kafka.admin();
  await admin.connect();
  const topic = `${h.index}.dlq`;
  const [provisioned] = await topicMessageLimits(admin, [topic]);
  try {
    await setTopicMessageLimit(admin, topic, bytes);
    return await during();
  } finally {
    await setTopicMessageLimit(admin, topic, provisioned as number);
    await admin.disconnect();
  }
}

/** One series of a counter on a pipeline's /metrics, by some of its labels. */
async function counterOn(metricsUrl: string, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{`) && Object.entries(labels).every(([label, value]) => candidate.includes(`${label}="${value}"`)));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('hostile change events', () => {
  let h: IndexHarness;
  let pipeline: RunningPipeline;

  const allDocuments = async (): Promise<Array<{ id: string; source: unknown }>> => {
    await h.es.indices.refresh({ index: h.index });
    const found = await h.es.search({ index: h.index, size: 1_000, query: { match_all: {} } });
    return found.hits.hits.map((hit) => ({ id: hit._id as string, source: hit._source })).sort((a, b) => a.id.localeCompare(b.id));
  };

  /** A real change made through the graph and seen in the index: nothing upstream is blocked. */
  const retitleAndWait = async (movieId: string, title: string): Promise<void> => {
    await h.gql(`mutation { updateMovie(movieId: "${movieId}", patch: { title: "${title}" }) { movieId } }`);
    await eventually(`${movieId} retitled "${title}"`, async () => {
      const found = await h.es.get<{ title: string }>({ index: h.index, id: movieId });
      return found._source?.title === title ? true : undefined;
    }, 60_000);
  };
  const lettersFrom = (topic: string, kind: DeadLetter['kind'], atLeast: number): Promise<DeadLetter[]> =>
    eventually(`${atLeast} ${kind} letters from ${topic}`, async () => {
      const all = (await readDeadLetters(h.kafka, `${h.index}.dlq`)).filter((letter) => letter.kind === kind && letter.source?.topic === topic);
      return all.length >= atLeast ? all : undefined;
    }, 60_000);

  beforeAll(async () => {
    h = await createIndexHarness({ elasticsearchUrl: inject('elasticsearchUrl'), kafkaBrokers: inject('kafkaBrokers'), movies: MOVIES });
    pipeline = await runPipeline(h.loaded, { stage: 'all', metricsPort: 0 });
    const seeded = await pipeline.enrich.enrich(new Map(Array.from({ length: MOVIES }, (_, i) => [entityId('mov', i + 1), null])));
    expect(seeded.failed).toEqual([]);
    await eventually('the seeded documents', async () => ((await allDocuments()).length === MOVIES ? true : undefined), 120_000);
  }, 240_000);

  afterAll(async () => {
    await pipeline?.stop();
    await h?.dispose();
  });

  it('dead-letters every unusable event with its reason at its offset, blocks nothing and changes nothing', async () => {
    const before = await allDocuments();
    const events = fc.sample(hostileEvent, { numRuns: 150, seed: 2026_11_23 });
    const topic = h.loaded.config.primary.events[0]!.topic;
    const producer = h.kafka.producer();
    await producer.connect();
    const sent: Array<HostileEvent & { partition: number; offset: string }> = [];
    for (const [i, event] of events.entries()) {
      const [record] = await producer.send({ topic, messages: [{ key: `hostile-${i}`, value: event.value, headers: event.headers }] });
      sent.push({ ...event, partition: record!.partition, offset: record!.baseOffset as string });
    }
    await producer.disconnect();
    const unusable = sent.filter((event) => event.reason !== null);
    expect(unusable.length).toBeGreaterThan(50);

    // A real change after all of them is indexed: nothing blocked a partition.
    await retitleAndWait(entityId('mov', 7), 'After The Hostile Events');
    const letters = await lettersFrom(topic, 'event', unusable.length);
    const at = new Map(letters.map((letter) => [`${letter.source?.partition}/${letter.source?.offset}`, letter]));
    for (const event of unusable) {
      const letter = at.get(`${event.partition}/${event.offset}`);
      expect(letter?.reason, `the event at ${event.partition}/${event.offset}: ${event.value?.toString('utf8').slice(0, 80)}`).toMatch(event.reason as RegExp);
    }
    expect(letters).toHaveLength(unusable.length);

    // Everything but the movie retitled on purpose is as it was.
    const after = (await allDocuments()).map((document) =>
      document.id === entityId('mov', 7) ? before.find((b) => b.id === document.id) ?? document : document,
    );
    expect(after).toEqual(before);
    expect((await fetch(`${pipeline.metricsUrl}/healthz`)).status).toBe(200);
  }, 240_000);

  it('dead-letters an Avro bomb and an oversized document from the documents topic, and writes the next document', async () => {
    const fingerprint = stableHash(generateAvroSchema(h.loaded.shape, h.loaded.config).schema);
    const headers = { [DOCUMENT_HEADERS.schema]: fingerprint, [DOCUMENT_HEADERS.version]: String(Date.now() * 1000) };
    // 9 bytes: a one-letter movieId, then a length that claims 20 million bytes.
    const bomb = Buffer.from([0x02, 0x61, 0x80, 0xb4, 0x89, 0x13, 0x00, 0x00, 0x00]);
    const oversized = Buffer.alloc(h.loaded.config.pipeline.maxDocumentBytes + 1, 0x02);
    const producer = h.kafka.producer();
    await producer.connect();
    const topic = `${h.index}.documents`;
    const [bombSent] = await producer.send({ topic, messages: [{ key: 'bomb-1', value: bomb, headers }] });
    const [bigSent] = await producer.send({ topic, messages: [{ key: 'big-1', value: oversized, headers }] });
    await producer.disconnect();
    await retitleAndWait(entityId('mov', 9), 'After The Bomb');
    const letters = await lettersFrom(topic, 'document', 2);
    expect(letters.find((letter) => letter.source?.offset === bombSent!.baseOffset && letter.source?.partition === bombSent!.partition)?.reason).toMatch(
      /^document bomb-1 is not valid Avro of schema \w+: \S+: a (block|length) of \d+/,
    );
    expect(letters.find((letter) => letter.source?.offset === bigSent!.baseOffset && letter.source?.partition === bigSent!.partition)?.reason).toMatch(
      /^document big-1 is \d+ bytes in Avro; at most \d+ are allowed/,
    );
    for (const id of ['bomb-1', 'big-1']) expect((await h.es.exists({ index: h.index, id })).valueOf()).toBe(false);
  }, 120_000);
  const healthOf = async (): Promise<{ status: number; restarts: Record<string, number> }> => {
    const response = await fetch(`${pipeline.metricsUrl}/healthz`);
    return { status: response.status, restarts: ((await response.json()) as { restarts: Record<string, number> }).restarts };
  };
  const letterAt = async (topic: string, where: { partition: number; offset: string }): Promise<DeadLetter> =>
    eventually(`the letter of ${topic}/${where.partition}/${where.offset}`, async () =>
      (await readDeadLetters(h.kafka, `${h.index}.dlq`)).find((letter) => letter.source?.topic === topic && letter.source.partition === where.partition && letter.source.offset === where.offset),
    60_000);
  const undecodableCount = (topic: string): Promise<number> => counterOn(pipeline.metricsUrl, 'fedsearch_events_total', { topic, outcome: 'undecodable' });

  it('dead-letters an event whose id above 2^53 sits beside a value nested 20,000 deep, and the partition goes on', async () => {
    const topic = h.loaded.config.primary.events[0]!.topic;
    const depth = 20_000;
    // Its exact-digits re-parse overflowed the stack: the enrich consumer crash-looped on it for good.
    const sent = await sendEvent(h, topic, 'deep-1', `{"op":"u","after":{"movieId":9007199254740993,"x":${'['.repeat(depth)}${']'.repeat(depth)}}}`);
    await retitleAndWait(entityId('mov', 11), 'After The Deep Event');
    expect((await letterAt(topic, sent)).reason).toBe(`value nests deeper than ${MAX_EVENT_DEPTH} levels of arrays and objects`);
    expect(await healthOf()).toEqual({ status: 200, restarts: { [pipeline.topology.enrichGroup]: 0, [pipeline.topology.sinkGroup]: 0 } });
  }, 120_000);

  it('dead-letters an undecodable event just under the source topic\'s limit with all its bytes', async () => {
    const topic = h.loaded.config.primary.events[0]!.topic;
    const admin = h.kafka.admin();
    await admin.connect();
    const [sourceLimit] = await topicMessageLimits(admin, [topic]);
    await admin.disconnect();
    // As large as the source topic takes (batch and record framing are under 150 bytes); a letter adds some 300 bytes of headers.
    const value = Buffer.alloc((sourceLimit as number) - 150, 0x78);
    // Before, its letter (the same bytes plus headers) was over the dead-letter topic's limit: MESSAGE_TOO_LARGE, crash-loop.
    const sent = await sendEvent(h, topic, 'almost-1mb', value);
    await retitleAndWait(entityId('mov', 12), 'After The Large Event');
    const letter = await letterAt(topic, sent);
    expect(letter.standIn).toBeUndefined();
    expect(letter.reason).toMatch(/^value is not JSON/);
    expect(Buffer.compare(letter.value as Buffer, value)).toBe(0);
    expect(await healthOf()).toMatchObject({ status: 200, restarts: { [pipeline.topology.enrichGroup]: 0 } });
  }, 120_000);

  it('writes a bounded stand-in for a letter the dead-letter topic refuses as too large, and counts the event once', async () => {
    const topic = h.loaded.config.primary.events[0]!.topic;
    const value = Buffer.alloc(500_000, 0x78);
    const countBefore = await undecodableCount(topic);
    const letter = await withDeadLetterLimit(h, 200_000, async () => {
      const sent = await sendEvent(h, topic, 'refused-1', value);
      await retitleAndWait(entityId('mov', 13), 'After The Refused Letter');
      return letterAt(topic, sent);
    });
    expect(letter.reason).toMatch(/^value is not JSON/);
    expect(letter.standIn).toMatch(new RegExp(`^${h.index}\\.dlq refused the \\d+-byte letter: .*larger than the max message size`));
    expect(Buffer.compare(letter.value as Buffer, value.subarray(0, STAND_IN_LIMITS.valueBytes))).toBe(0);
    expect(await undecodableCount(topic)).toBe(countBefore + 1);
    expect(await healthOf()).toMatchObject({ status: 200, restarts: { [pipeline.topology.enrichGroup]: 0 } });
  }, 120_000);

  it('counts an undecodable event once although writing its letter failed on every try until the dead-letter topic took it', async () => {
    const topic = h.loaded.config.primary.events[0]!.topic;
    const value = Buffer.from('{"op":"u","after":');
    const countBefore = await undecodableCount(topic);
    // A dead-letter topic that takes not even a stand-in: the batch fails, the consumer is started again, twice.
    const sent = await withDeadLetterLimit(h, 100, async () => {
      const where = await sendEvent(h, topic, 'unwritable-1', value);
      await eventually('the enrich consumer started again twice', async () => ((await healthOf()).restarts[pipeline.topology.enrichGroup]! >= 2 ? true : undefined), 90_000);
      return where;
    });
    const letter = await letterAt(topic, sent);
    expect(letter).toMatchObject({ reason: expect.stringMatching(/^value is not JSON/), value });
    expect(letter.standIn).toBeUndefined();
    expect(await undecodableCount(topic)).toBe(countBefore + 1);
    await retitleAndWait(entityId('mov', 14), 'After The Unwritable Letter');
  }, 180_000);

  it('indexes a change whose ts_ms is -1 or 1e308 instead of producing a document the sink refuses', async () => {
    const topic = h.loaded.config.primary.events[0]!.topic;
    const movieId = entityId('mov', 15);
    const written = async (): Promise<number> => (await h.es.get({ index: h.index, id: movieId }))._seq_no as number;
    for (const ts of ['-1', '1e308']) {
      const before = await written();
      await sendEvent(h, topic, movieId, `{"op":"u","after":{"movieId":"${movieId}"},"ts_ms":${ts}}`);
      await eventually(`${movieId} written again after the event with ts_ms ${ts}`, async () => ((await written()) > before ? true : undefined), 60_000);
    }
    const refused = (await readDeadLetters(h.kafka, `${h.index}.dlq`)).filter((letter) => letter.entityId === movieId);
    expect(refused).toEqual([]);
  }, 120_000);
});

describe('Ctrl-C while a stage crash-loops', () => {
  let h: IndexHarness;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    h = await createIndexHarness({ elasticsearchUrl: inject('elasticsearchUrl'), kafkaBrokers: inject('kafkaBrokers'), movies: 5 });
  }, 240_000);

  afterAll(async () => {
    // A test that timed out leaves its `fedsearch run` behind otherwise.
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(-child.pid, 'SIGKILL');
    await h?.dispose();
  });

  it('stops `fedsearch run` with one Ctrl-C, exit 0', async () => {
    // A dead-letter topic that takes no letter at all: the enrich consumer crashes on the event and is started again every 5 s.
    await withDeadLetterLimit(h, 100, async () => {
      await sendEvent(h, h.loaded.config.primary.events[0]!.topic, 'poison-1', '{not json');
      const run = spawnCliAsUser(['run', h.configFile], { env: h.env });
      child = run;
      let output = '';
      const crashed = new Promise<void>((resolve) => {
        const read = (chunk: Buffer): void => {
          output += chunk.toString('utf8');
          if (output.includes('consumer crashed; starting it again')) resolve();
        };
        run.stdout?.on('data', read);
        run.stderr?.on('data', read);
      });
      const exited = exitOf(run);
      await Promise.race([crashed, exited.then(() => Promise.reject(new Error(`fedsearch run exited before crashing:\n${output}`)))]);
      pressCtrlC(run);
      expect(await exited, output).toEqual({ code: 0, signal: null });
      expect(output).not.toContain('stopping at once');
    });
  }, 120_000);
});
