// Errors said with whose they are, on the real stack: the demo graph's talent subgraph answers
// errors for some movies (its fault switch); the live pipeline's metric, the dead letters'
// headers and `fedsearch dlq` (spawned as a person runs it) all name talent.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runPipeline, type RunningPipeline } from '../../src/pipeline/runPipeline.ts';
import { entityId } from '../../subgraphs/data/studioRows.ts';
import { createIndexHarness, eventually, readDeadLetters, type IndexHarness } from '../../support/indexHarness.ts';
import { runCliAsUser } from '../support/userCli.ts';

const MOVIES = 40;
const CHANGED = 12;

describe('errors and latency attributed to the subgraph whose they are', () => {
  let h: IndexHarness;
  let pipeline: RunningPipeline;
  /** The changed movies whose cast the talent subgraph fails, as the gateway answers them. */
  const failing = new Set<string>();

  const cli = (args: string[]): ReturnType<typeof runCliAsUser> => runCliAsUser(args, h.env);

  beforeAll(async () => {
    h = await createIndexHarness({
      elasticsearchUrl: inject('elasticsearchUrl'),
      kafkaBrokers: inject('kafkaBrokers'),
      movies: MOVIES,
      // Retried automatically, the letters would add to the error counts this test reads: off here (recovery.int.test.ts has them on).
      pipelineSettings: '  retries: 1\n  outageToleranceSeconds: 0\n  retryDeadLetters:\n    enabled: false\n',
    });
    pipeline = await runPipeline(h.loaded, { stage: 'all', metricsPort: 0 });
    h.graph.faults.set('talent', 50, 10 * 60_000);
    const ids = Array.from({ length: CHANGED }, (_, i) => entityId('mov', i + 1));
    for (const id of ids) {
      const answer = await fetch(h.graph.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `{ movie(movieId: "${id}") { cast { talent { name } } } }` }),
      });
      if (((await answer.json()) as { errors?: unknown[] }).errors) failing.add(id);
    }
    expect(failing.size).toBeGreaterThan(0);
    expect(failing.size).toBeLessThan(CHANGED);
    for (const id of ids) await h.gql(`mutation { updateMovie(movieId: "${id}", patch: { runtimeMinutes: 99 }) { movieId } }`);
  }, 180_000);

  afterAll(async () => {
    await pipeline?.stop();
    await h?.dispose();
  });

  it('dead-letters exactly the movies talent failed, each letter naming talent, the error path and the code', async () => {
    const letters = await eventually(
      'a letter for each failing movie',
      async () => {
        const read = await readDeadLetters(h.kafka, `${h.index}.dlq`);
        return read.length >= failing.size ? read : undefined;
      },
      60_000,
    );
    expect(new Set(letters.map((letter) => letter.entityId))).toEqual(failing);
    for (const letter of letters) expect(letter.fault).toEqual({ subgraph: 'talent', path: '', code: 'FAULT_INJECTED' });
  });

  it('counts the errors under talent in fedsearch_subgraph_errors_total, and times the fetches', async () => {
    const text = await (await fetch(`${pipeline.metricsUrl}/metrics`)).text();
    const errors = text.split('\n').find((line) => line.startsWith('fedsearch_subgraph_errors_total{') && line.includes('subgraph="talent"') && line.includes('code="FAULT_INJECTED"'));
    // Every failing movie, tried twice (retries: 1).
    expect(Number(errors?.split(' ').pop())).toBe(failing.size * 2);
    // No supergraph in this config (the gateway is introspected): a request's latency is the gateway's.
    const fetches = text.split('\n').find((line) => line.startsWith('fedsearch_subgraph_fetch_seconds_count{') && line.includes('subgraph="(gateway)"'));
    expect(Number(fetches?.split(' ').pop())).toBeGreaterThan(0);
  });

  it('`fedsearch dlq` tells a person which team to call, how many letters, since when, and which ids', async () => {
    const { code, stdout, stderr } = await cli(['dlq', h.configFile]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe(`${h.index}.dlq: ${failing.size} letter${failing.size === 1 ? '' : 's'} — 0 waiting for an automatic retry, ${failing.size} permanent (\`fedsearch replay\`)`);
    expect(lines[2]).toMatch(/^SUBGRAPH\s+REASON\s+STATE\s+LETTERS\s+FIRST SEEN\s+LAST SEEN\s+NEXT RETRY\s+EXAMPLES$/);
    expect(lines[3]).toMatch(new RegExp(`^talent\\s+FAULT_INJECTED\\s+permanent\\s+${failing.size}\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ\\s+\\S+ \\S+\\s+-\\s+mov-\\d+`));
    const json = await cli(['dlq', h.configFile, '--json']);
    const summary = JSON.parse(json.stdout) as { letters: number; groups: Array<{ subgraph: string; count: number; examples: string[] }> };
    expect(summary.letters).toBe(failing.size);
    expect(summary.groups).toEqual([expect.objectContaining({ subgraph: 'talent', count: failing.size })]);
    for (const example of summary.groups[0]?.examples ?? []) expect(failing.has(example)).toBe(true);
  });
});
