import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BackfillProgress } from '../../src/backfill/backfillProgress.ts';
import { runBackfill } from '../../src/backfill/runBackfill.ts';
import { runPipeline, type RunningPipeline } from '../../src/pipeline/runPipeline.ts';
import { startChangeGenerator, type Change } from '../../subgraphs/changeGenerator.ts';
import { auditEventuallyClean, CLEAN_AUDIT } from '../support/cliAudit.ts';
import { createIndexHarness, eventually, type IndexHarness } from '../../support/indexHarness.ts';

const MOVIES = 300;
const quiet: BackfillProgress = { update: () => {}, note: () => {}, stop: () => {} };

describe('the demo change generator', () => {
  let h: IndexHarness;
  let pipeline: RunningPipeline | undefined;

  beforeAll(async () => {
    h = await createIndexHarness({ elasticsearchUrl: inject('elasticsearchUrl'), kafkaBrokers: inject('kafkaBrokers'), movies: MOVIES });
    await runBackfill(h.loaded, { rate: Number.POSITIVE_INFINITY, resume: false, newVersion: false, cleanup: false, graceSeconds: 0 }, quiet);
    pipeline = await runPipeline(h.loaded, { stage: 'all', metricsPort: 0 });
  }, 120_000);

  afterAll(async () => {
    await pipeline?.stop();
    await h?.dispose();
  });

  it('keeps a steady trickle of changes across all three subgraphs, and the index follows them', async () => {
    const changes: Change[] = [];
    const errors: Error[] = [];
    const generator = startChangeGenerator({
      gatewayUrl: h.graph.gatewayUrl,
      movies: MOVIES,
      perSecond: 20,
      seed: 7,
      onChange: (change) => changes.push(change),
      onError: (error) => errors.push(error),
    });
    await eventually('60 changes', async () => (changes.length >= 60 ? true : undefined), 30_000);
    await generator.stop();
    expect(errors).toEqual([]);
    expect(Object.values(generator.counts()).reduce((a, b) => a + b)).toBe(changes.length);
    expect(new Set(changes.map((change) => change.kind))).toEqual(new Set(['movie', 'production', 'talent', 'credit']));

    // A retitled movie is searchable under its new title…
    const retitle = changes.findLast((change) => change.kind === 'movie' && change.description.includes('retitled'));
    const { movie } = await h.gql<{ movie: { title: string } }>('query($id: ID!) { movie(movieId: $id) { title } }', { id: retitle?.id });
    await eventually('the last retitled movie indexed with its new title', async () => {
      const doc = await h.es.get<{ title: string }>({ index: h.index, id: retitle?.id as string }).catch(() => undefined);
      return doc?._source?.title === movie.title ? true : undefined;
    });
    // …and the whole index matches the graph after all of them.
    const report = await auditEventuallyClean(h);
    for (const line of CLEAN_AUDIT) expect(report).toMatch(line);
  }, 180_000);

  it('refuses a rate that is not above zero', () => {
    expect(() => startChangeGenerator({ gatewayUrl: h.graph.gatewayUrl, movies: MOVIES, perSecond: 0 })).toThrow(/above 0/);
  });
});
