import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadIndex } from '../../src/index/loadIndex.ts';
import { runPipeline, type RunningPipeline } from '../../src/pipeline/runPipeline.ts';
import { entityId } from '../../subgraphs/data/studioRows.ts';
import { createIndexHarness, eventually, readDeadLetters, type IndexHarness } from '../../support/indexHarness.ts';
import { CLEAN_AUDIT, fedsearchAudit } from '../support/cliAudit.ts';

const MOVIES = 120;

interface Health {
  status: string;
  paused?: { reason: string; field: string | null; subgraph: string | null; message: string; since: string };
}

/**
 * Issue #29: a subgraph redeployed without a field the movies query selects, while the indexer
 * runs and the gateway still plans with the old supergraph. The pipeline pauses (no dead letters,
 * /healthz and the metric say why), and resumes by itself once the subgraph is rolled back.
 */
describe('the pipeline pauses when a subgraph stops taking the query, and resumes when it does again', () => {
  let h: IndexHarness;
  let pipeline: RunningPipeline;

  const health = async (): Promise<{ code: number; body: Health }> => {
    const response = await fetch(`${pipeline.metricsUrl}/healthz`);
    return { code: response.status, body: (await response.json()) as Health };
  };
  const pausedMetric = async (reason: string): Promise<number | undefined> => {
    const text = await (await fetch(`${pipeline.metricsUrl}/metrics`)).text();
    const line = text.split('\n').find((candidate) => candidate.startsWith('fedsearch_index_paused{') && candidate.includes(`reason="${reason}"`));
    return line === undefined ? undefined : Number(line.split(' ').at(-1));
  };
  const titleOf = async (id: string): Promise<string | undefined> => {
    const found = await h.es.get<{ title: string }>({ index: h.index, id }).catch(() => undefined);
    return found?._source?.title;
  };
  const retitle = (id: string, title: string): Promise<unknown> =>
    h.gql('mutation($id: ID!, $title: String) { updateMovie(movieId: $id, patch: { title: $title }) { movieId } }', { id, title });

  beforeAll(async () => {
    h = await createIndexHarness({
      elasticsearchUrl: inject('elasticsearchUrl'),
      kafkaBrokers: inject('kafkaBrokers'),
      movies: MOVIES,
      pipelineSettings: '  retries: 2\n  outageToleranceSeconds: 0\n  graphCheckSeconds: 1\n',
    });
    // The config names the graph's supergraph, as a platform team's would: the pause then names
    // the subgraph that owns the field, not only its URL.
    const supergraphFile = join(dirname(h.configFile), 'supergraph.graphql');
    writeFileSync(supergraphFile, h.graph.supergraphSdl);
    writeFileSync(h.configFile, readFileSync(h.configFile, 'utf8').replace(/^gateway:\n/m, `gateway:\n  supergraph: ${supergraphFile}\n`));
    const loaded = await loadIndex(h.configFile);
    pipeline = await runPipeline(loaded, { stage: 'all', metricsPort: 0 });
    const seeded = await pipeline.enrich.enrich(new Map(Array.from({ length: MOVIES }, (_, i) => [entityId('mov', i + 1), null])));
    expect(seeded.failed).toEqual([]);
  }, 120_000);

  afterAll(async () => {
    await pipeline?.stop();
    await h?.dispose();
  });

  it('pauses with the field and its subgraph, dead-letters nothing, and resumes by itself after the rollback', async () => {
    await retitle(entityId('mov', 1), 'Before The Change');
    await eventually('the pipeline indexing', async () => ((await titleOf(entityId('mov', 1))) === 'Before The Change' ? true : undefined));

    await h.graph.restartSubgraph('talent', { withoutFields: ['Talent.name'] });
    const changed = [2, 3, 4, 5].map((n) => entityId('mov', n));
    for (const id of changed) await retitle(id, `Changed While Paused ${id}`);

    const paused = await eventually('/healthz to say paused', async () => {
      const { code, body } = await health();
      return body.status === 'paused' ? { code, body } : undefined;
    });
    expect(paused.code).toBe(503);
    expect(paused.body.paused).toMatchObject({ reason: 'subgraph_rejects', field: 'Talent.name', subgraph: 'talent' });
    expect(paused.body.paused?.message).toContain('Cannot query field "name" on type "Talent"');
    expect(await pausedMetric('subgraph_rejects')).toBe(1);
    expect(await readDeadLetters(h.kafka, `${h.index}.dlq`)).toEqual([]);
    // Paused: the changes wait, none is indexed with a document the graph could not give.
    expect(await Promise.all(changed.map(titleOf))).not.toContain(`Changed While Paused ${changed[0]}`);

    await h.graph.restartSubgraph('talent');
    await eventually('/healthz to say ok again', async () => ((await health()).body.status === 'ok' ? true : undefined));
    expect(await pausedMetric('subgraph_rejects')).toBe(0);
    await eventually('the changes made while paused', async () => {
      const titles = await Promise.all(changed.map(titleOf));
      return titles.every((title, at) => title === `Changed While Paused ${changed[at]}`) ? true : undefined;
    });
    expect(await readDeadLetters(h.kafka, `${h.index}.dlq`)).toEqual([]);
    const audit = await fedsearchAudit(h);
    expect(audit.code, audit.stderr).toBe(0);
    for (const line of CLEAN_AUDIT) expect(audit.stdout).toMatch(line);
  }, 90_000);
});
