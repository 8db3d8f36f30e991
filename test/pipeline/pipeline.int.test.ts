import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readIndexMetadata } from '../../src/index/indexMetadata.ts';
import { DocumentCodec } from '../../src/pipeline/documentCodec.ts';
import type { DeadLetter } from '../../src/pipeline/deadLetters.ts';
import { fetchVersion } from '../../src/pipeline/gatewayFetcher.ts';
import { replayDeadLetters } from '../../src/pipeline/replayDeadLetters.ts';
import { runPipeline, type RunningPipeline } from '../../src/pipeline/runPipeline.ts';
import { stableHash } from '../../src/index/stableHash.ts';
import { generateAvroSchema } from '../../src/generate/generateAvroSchema.ts';
import { HUB_TALENT_ID } from '../../subgraphs/data/generateStudio.ts';
import { entityId } from '../../subgraphs/data/studioRows.ts';
import { createIndexHarness, eventually, indexedDocument, readDeadLetters, type IndexHarness } from '../../support/indexHarness.ts';

interface MovieDocument {
  movieId: string;
  title: string;
  production: { status: string } | null;
  cast: Array<{ role: string; talent: { talentId: string; name: string } }>;
}

const MOVIES = 1_500;
const HUB_MOVIES = 1_100;

describe('streaming indexer against the real stack and demo graph', () => {
  let h: IndexHarness;
  let pipeline: RunningPipeline;

  const documentOf = (id: string): Promise<MovieDocument | null> => indexedDocument<MovieDocument>(h, id);

  const deadLetters = (): Promise<DeadLetter[]> => readDeadLetters(h.kafka, `${h.index}.dlq`);

  beforeAll(async () => {
    h = await createIndexHarness({
      elasticsearchUrl: inject('elasticsearchUrl'),
      kafkaBrokers: inject('kafkaBrokers'),
      movies: MOVIES,
      hubTalentMovies: HUB_MOVIES,
      // The harness's settings, with the sink's documents decoded in a worker thread (off by
      // default): the other pipeline tests cover the event loop's decoding.
      pipelineSettings: '  retries: 2\n  outageToleranceSeconds: 0\n  retryDeadLetters:\n    enabled: false\n  workers: 1\n',
    });
    pipeline = await runPipeline(h.loaded, { stage: 'all', metricsPort: 0 });
    // Fill the index through the same enrichment the live pipeline uses.
    const ids = Array.from({ length: MOVIES }, (_, i) => entityId('mov', i + 1));
    const seeded = await pipeline.enrich.enrich(new Map(ids.map((id) => [id, null])));
    expect(seeded.failed).toEqual([]);
    await eventually('the seeded documents', async () => {
      await h.es.indices.refresh({ index: h.index });
      return (await h.es.count({ index: h.index })).count === MOVIES ? true : undefined;
    }, 120_000);
  }, 240_000);

  afterAll(async () => {
    await pipeline?.stop();
    await h?.dispose();
  });

  it('indexes a created movie, then its update, then its deletion', async () => {
    const { createMovie } = await h.gql<{ createMovie: { movieId: string } }>(
      'mutation { createMovie(input: { title: "Free Guy", genres: ["comedy"] }) { movieId } }',
    );
    const id = createMovie.movieId;
    await eventually('the new movie', async () => ((await documentOf(id))?.title === 'Free Guy' ? true : undefined));
    await h.gql(`mutation { updateMovie(movieId: "${id}", patch: { title: "Free Guy 2" }) { movieId } }`);
    await eventually('the update', async () => ((await documentOf(id))?.title === 'Free Guy 2' ? true : undefined));
    await h.gql(`mutation { deleteMovie(movieId: "${id}") }`);
    await eventually('the deletion', async () => ((await documentOf(id)) === null ? true : undefined));
  });

  it('reflects a production change in the movie that references it', async () => {
    await h.gql('mutation { updateProduction(ptpId: "ptp-0000003", patch: { status: CANCELLED }) { ptpId } }');
    await eventually('the production status', async () =>
      (await documentOf('mov-0000003'))?.production?.status === 'CANCELLED' ? true : undefined,
    );
  });

  it(`reflects one talent change in all ${HUB_MOVIES} movies that credit them`, async () => {
    await h.gql(`mutation { updateTalent(talentId: "${HUB_TALENT_ID}", patch: { name: "Renée Hub-Star" }) { talentId } }`);
    const renamed = async (): Promise<number> => {
      await h.es.indices.refresh({ index: h.index });
      const query = { nested: { path: 'cast', query: { term: { 'cast.talent.name.keyword': 'Renée Hub-Star' } } } };
      return (await h.es.count({ index: h.index, query })).count;
    };
    const count = await eventually('every movie of the hub talent', async () => ((await renamed()) === HUB_MOVIES ? HUB_MOVIES : undefined), 60_000);
    expect(count).toBe(HUB_MOVIES);
  });

  it('treats a credit change as a change of the movie', async () => {
    await h.gql('mutation { addCredit(input: { movieId: "mov-0000010", talentId: "tal-0000001", role: DIRECTOR }) { creditId } }');
    await eventually('the new credit', async () =>
      (await documentOf('mov-0000010'))?.cast.some((c) => c.talent.talentId === 'tal-0000001' && c.role === 'DIRECTOR') ? true : undefined,
    );
  });

  it('renames a person in a movie that credited them a moment before (the credit not yet searchable)', async () => {
    // Each pair races: the credit's fetch reads the old name, and the rename's reverse lookup runs
    // before that document is searchable. The second lookup, after the sink settles, catches it.
    const pairs = Array.from({ length: 12 }, (_, n) => ({
      movieId: entityId('mov', 200 + n),
      talentId: entityId('tal', 900 + n),
      name: `Just Credited ${n} ${Date.now()}`,
    }));
    await Promise.all(
      pairs.map(async ({ movieId, talentId, name }) => {
        await h.gql('mutation($m: ID!, $t: ID!) { addCredit(input: { movieId: $m, talentId: $t, role: COMPOSER }) { creditId } }', { m: movieId, t: talentId });
        await h.gql('mutation($t: ID!, $name: String) { updateTalent(talentId: $t, patch: { name: $name }) { talentId } }', { t: talentId, name });
      }),
    );
    const renamedIn = async (): Promise<string[]> => {
      const docs = await Promise.all(pairs.map(({ movieId }) => documentOf(movieId)));
      return pairs.filter((pair, n) => docs[n]?.cast.some((c) => c.talent.talentId === pair.talentId && c.talent.name === pair.name)).map((pair) => pair.movieId);
    };
    await eventually('every movie with the renamed person’s new name', async () => ((await renamedIn()).length === pairs.length ? true : undefined), 30_000).catch(
      async (error: Error) => {
        throw new Error(`${error.message}; renamed in ${(await renamedIn()).join(', ')} of ${pairs.map((pair) => pair.movieId).join(', ')}`);
      },
    );
  });

  it('never lets an older document overwrite a newer one, whatever the order they arrive in', async () => {
    const metadata = await readIndexMetadata(h.es, h.index);
    const fingerprint = stableHash(generateAvroSchema(h.loaded.shape, h.loaded.config).schema);
    const codec = DocumentCodec.fromMetadata(metadata!, fingerprint);
    const base = (await documentOf('mov-0000020')) as unknown as Record<string, unknown>;
    const older = fetchVersion();
    const newer = fetchVersion();
    const producer = h.kafka.producer();
    await producer.connect();
    await producer.send({
      topic: `${h.index}.documents`,
      messages: [
        codec.toMessage({ id: 'mov-0000020', document: { ...base, title: 'Newer' }, version: newer, eventTsMs: null }),
        codec.toMessage({ id: 'mov-0000020', document: { ...base, title: 'Older' }, version: older, eventTsMs: null }),
      ],
    });
    // A later write to the same partition shows both above were handled.
    await producer.send({
      topic: `${h.index}.documents`,
      messages: [codec.toMessage({ id: 'mov-0000020', document: { ...base, title: 'Newer' }, version: newer, eventTsMs: null })],
    });
    await producer.disconnect();
    await eventually('the newer title', async () => ((await documentOf('mov-0000020'))?.title === 'Newer' ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect((await documentOf('mov-0000020'))?.title).toBe('Newer');
  });

  it('dead-letters a document Elasticsearch refuses (a mapping error) with its reason, and goes on', async () => {
    const metadata = await readIndexMetadata(h.es, h.index);
    const fingerprint = stableHash(generateAvroSchema(h.loaded.shape, h.loaded.config).schema);
    const codec = DocumentCodec.fromMetadata(metadata!, fingerprint);
    const base = (await documentOf('mov-0000050')) as unknown as Record<string, unknown>;
    const producer = h.kafka.producer();
    await producer.connect();
    // Avro takes any string; the index maps updatedAt as a date and refuses this one.
    await producer.send({
      topic: `${h.index}.documents`,
      messages: [codec.toMessage({ id: 'mov-0000050', document: { ...base, updatedAt: 'not a date' }, version: fetchVersion(), eventTsMs: null })],
    });
    await producer.disconnect();
    const refused = await eventually('the refused document in the DLQ', async () =>
      (await deadLetters()).find((letter) => letter.kind === 'document' && letter.entityId === 'mov-0000050'),
    );
    expect(refused.stage).toBe('sink');
    expect(refused.reason).toMatch(/^Elasticsearch refused index of mov-0000050 in it_\w+_v1: document_parsing_exception/);
    await h.gql('mutation { updateMovie(movieId: "mov-0000051", patch: { title: "After The Refusal" }) { movieId } }');
    await eventually('the update after the refusal', async () => ((await documentOf('mov-0000051'))?.title === 'After The Refusal' ? true : undefined));
  });

  it('sends a poison event to the dead-letter topic with its reason and position, and goes on', async () => {
    const producer = h.kafka.producer();
    await producer.connect();
    const [sent] = await producer.send({ topic: h.loaded.config.primary.events[0]!.topic, messages: [{ key: 'poison', value: '{oops' }] });
    await producer.disconnect();
    await h.gql('mutation { updateMovie(movieId: "mov-0000030", patch: { title: "After The Poison" }) { movieId } }');
    await eventually('the update after the poison', async () => ((await documentOf('mov-0000030'))?.title === 'After The Poison' ? true : undefined));
    const poison = (await deadLetters()).find((letter) => letter.kind === 'event');
    expect(poison).toMatchObject({
      stage: 'enrich',
      reason: expect.stringMatching(/^value is not JSON/),
      source: { topic: h.loaded.config.primary.events[0]!.topic, partition: sent!.partition },
    });
    expect(String(poison?.value)).toBe('{oops');
  });

  it('dead-letters entities while a subgraph is down, and replay restores them', async () => {
    h.graph.setSubgraphDown('talent', true);
    try {
      await h.gql('mutation { updateMovie(movieId: "mov-0000040", patch: { title: "Shot During The Outage" }) { movieId } }');
      await eventually('the failed fetch in the DLQ', async () =>
        (await deadLetters()).some((l) => l.kind === 'refetch' && l.entityId === 'mov-0000040') ? true : undefined,
      );
      expect((await documentOf('mov-0000040'))?.title).not.toBe('Shot During The Outage');
    } finally {
      h.graph.setSubgraphDown('talent', false);
    }
    const sourceTopic = h.loaded.config.primary.events[0]!.topic;
    const topicEnd = async (topic: string): Promise<number> => {
      const admin = h.kafka.admin();
      await admin.connect();
      try {
        return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
      } finally {
        await admin.disconnect();
      }
    };
    const sourceEnd = await topicEnd(sourceTopic);
    const report = await replayDeadLetters(h.loaded, {}, () => {});
    expect(report.refetched).toBeGreaterThanOrEqual(1);
    // The poison event of the test above still cannot be read: it stays in the dead-letter topic,
    // counted as failed again, and nothing is put back on the source topic (another team's). The
    // document Elasticsearch refused above goes back on fedsearch's own documents topic.
    expect(report).toMatchObject({ read: 3, failedAgain: 1, reinjected: 1 });
    expect(await topicEnd(sourceTopic)).toBe(sourceEnd);
    await eventually('the replayed movie', async () =>
      (await documentOf('mov-0000040'))?.title === 'Shot During The Outage' ? true : undefined,
    );
    // Its mapping is still wrong, so the sink refuses it again: a new letter.
    await eventually('the document refused again', async () =>
      (await deadLetters()).filter((l) => l.kind === 'document' && l.entityId === 'mov-0000050').length === 2 ? true : undefined,
    );
    // A letter is replayed once: a second replay sees only what arrived since — the poison event
    // the first one kept and the document refused again.
    const again = await replayDeadLetters(h.loaded, {}, () => {});
    expect(again).toMatchObject({ read: 2, refetched: 0, failedAgain: 1, reinjected: 1 });
  });

  it('serves Prometheus metrics and health', async () => {
    const metrics = await (await fetch(`${pipeline.metricsUrl}/metrics`)).text();
    expect(metrics).toMatch(/fedsearch_documents_written_total\{[^}]*operation="index",result="ok"[^}]*\} [1-9]/);
    expect(metrics).toContain('fedsearch_reverse_lookup_fanout_bucket');
    expect(metrics).toContain('fedsearch_end_to_end_seconds_count');
    expect(metrics).toMatch(/fedsearch_documents_per_produce_count\{[^}]*\} [1-9]/);
    for (const stage of ['enrich', 'sink']) expect(metrics).toMatch(new RegExp(`fedsearch_batch_messages_count\\{[^}]*stage="${stage}"[^}]*\\} [1-9]`));
    expect(metrics).toMatch(/fedsearch_dead_letters_total\{[^}]*kind="event"/);
    const health = await fetch(`${pipeline.metricsUrl}/healthz`);
    expect(health.status).toBe(200);
  });
});
