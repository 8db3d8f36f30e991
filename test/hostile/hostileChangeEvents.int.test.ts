// Hostile messages on the real topics. Change events on a source topic, generated: bytes that are not JSON, objects
// without an id, ids of the wrong type or over 512 bytes, tombstones, big integers, ids of entities
// that do not exist — each with random headers. Every unusable event is dead-lettered with its
// reason at its offset; none blocks the partition; the index is unchanged; the next real change is
// indexed.
import fc from 'fast-check';
import type { IHeaders } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generateAvroSchema } from '../../src/generate/generateAvroSchema.ts';
import { stableHash } from '../../src/index/stableHash.ts';
import type { DeadLetter } from '../../src/pipeline/deadLetters.ts';
import { DOCUMENT_HEADERS } from '../../src/pipeline/documentCodec.ts';
import { runPipeline, type RunningPipeline } from '../../src/pipeline/runPipeline.ts';
import { entityId } from '../../subgraphs/data/studioRows.ts';
import { createIndexHarness, eventually, readDeadLetters, type IndexHarness } from '../../support/indexHarness.ts';

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
});
