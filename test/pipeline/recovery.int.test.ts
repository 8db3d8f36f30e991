// Dead letters that recover by themselves, on the real stack: the demo graph's talent subgraph
// fails some movies for a while (its fault switch) as they change, and the movies subgraph answers
// null for others (as a lagging replica would) while their change events say they exist; the live
// pipeline dead-letters them (never deleting a document for such a null), counts them as waiting,
// and once the subgraphs recover retries them by itself — every document is correct again,
// `audit --full` clean, without any command. The time from recovery to the
// first clean audit is printed (bench/recovery.ts measures it with a 60 s fault); no timed assertion.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runPipeline, type RunningPipeline } from '../../src/pipeline/runPipeline.ts';
import { entityId } from '../../subgraphs/data/studioRows.ts';
import { createIndexHarness, eventually, indexedDocument, readDeadLetters, type IndexHarness } from '../../support/indexHarness.ts';
import { auditEventuallyClean, CLEAN_AUDIT } from '../support/cliAudit.ts';
import { runCliAsUser } from '../support/userCli.ts';

const MOVIES = 40;
// Every movie changes: the index holds only what changed, and `audit --full` compares the whole graph.
const CHANGED = MOVIES;
/** How long talent fails: long enough for letters to be retried and sent back during it, short enough for the suite. */
const FAULT_MS = Number(process.env.FEDSEARCH_RECOVERY_FAULT_SECONDS ?? 25) * 1000;

describe('dead letters the graph caused recover by themselves once the subgraph does', () => {
  let h: IndexHarness;
  let pipeline: RunningPipeline;
  const ids = Array.from({ length: CHANGED }, (_, i) => entityId('mov', i + 1));

  const metric = async (name: string, labels = ''): Promise<number> => {
    const text = await (await fetch(`${pipeline.metricsUrl}/metrics`)).text();
    const line = text.split('\n').find((one) => one.startsWith(`${name}{`) && one.includes(labels));
    return line === undefined ? 0 : Number(line.split(' ').pop());
  };
  const dlq = (): ReturnType<typeof runCliAsUser> => runCliAsUser(['dlq', h.configFile], h.env);

  beforeAll(async () => {
    h = await createIndexHarness({
      elasticsearchUrl: inject('elasticsearchUrl'),
      kafkaBrokers: inject('kafkaBrokers'),
      movies: MOVIES,
      // Automatic retries as configured by default; the live stage gives up on an entity quickly.
      pipelineSettings: '  retries: 1\n  outageToleranceSeconds: 0\n',
    });
    pipeline = await runPipeline(h.loaded, { stage: 'all', metricsPort: 0 });
  }, 180_000);

  afterAll(async () => {
    h?.graph.faults.set('talent', 0, 0);
    h?.graph.faults.set('movies', 0, 0);
    await pipeline?.stop();
    await h?.dispose();
  });

  it('dlq and replay of an index never provisioned say so, name the command that provisions it, and exit', async () => {
    const unprovisioned = join(mkdtempSync(join(tmpdir(), 'fedsearch-it-')), 'unprovisioned.yaml');
    writeFileSync(unprovisioned, readFileSync(h.configFile, 'utf8').replace(`index: ${h.index}`, `index: ${h.index}_never`));
    const told = `fedsearch: the dead-letter topic ${h.index}_never.dlq does not exist: ${h.index}_never is not provisioned on this Kafka cluster yet (\`fedsearch provision ${unprovisioned}\` creates it)\n`;
    // Before, both exited 2 on kafkajs's "This server does not host this topic-partition", and replay never exited.
    expect(await runCliAsUser(['dlq', unprovisioned], h.env)).toEqual({ code: 1, stdout: '', stderr: told });
    expect(await runCliAsUser(['replay', unprovisioned], h.env)).toEqual({ code: 1, stdout: '', stderr: told });
  }, 120_000);

  it('counts the letters as waiting while talent fails, retries them, and leaves every document correct after it recovers', async () => {
    const faultEnds = Date.now() + FAULT_MS;
    h.graph.faults.set('talent', 50, FAULT_MS);
    h.graph.faults.set('movies', 25, FAULT_MS, 'null');
    for (const id of ids) await h.gql(`mutation { updateMovie(movieId: "${id}", patch: { runtimeMinutes: 101 }) { movieId } }`);

    await eventually('letters for the movies talent fails', async () => ((await readDeadLetters(h.kafka, `${h.index}.dlq`)).length > 0 ? true : undefined), 60_000);
    const waiting = await eventually('fedsearch_dead_letters_waiting for talent', async () => {
      const count = await metric('fedsearch_dead_letters_waiting', 'subgraph="talent"');
      return count > 0 ? count : undefined;
    });
    expect(waiting).toBeLessThan(CHANGED);
    expect(await metric('fedsearch_dead_letter_oldest_age_seconds')).toBeGreaterThan(0);
    const during = await dlq();
    expect(during.code).toBe(0);
    expect(during.stdout.split('\n')[0]).toMatch(new RegExp(`^${h.index}\\.dlq: \\d+ letters? — \\d+ waiting for an automatic retry \\(next \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ\\), 0 permanent`));
    expect(during.stdout).toMatch(/\ntalent\s+FAULT_INJECTED\s+waiting\s+\d+\s+.*\(retry \d+\)\s+mov-\d+/);
    // Whose a null is comes from the supergraph; this config has none (the gateway is introspected).
    expect(during.stdout).toMatch(/\n\(gateway\)\s+ENTITY_NULL\s+waiting\s+\d+\s+.*mov-\d+/);

    // Changed again halfway through: the newest state is what must end up indexed.
    await sleep(Math.max(0, faultEnds - FAULT_MS / 2 - Date.now()));
    for (const id of ids) await h.gql(`mutation { updateMovie(movieId: "${id}", patch: { runtimeMinutes: 102 }) { movieId } }`);
    await sleep(Math.max(0, faultEnds - Date.now()));
    const recovered = performance.now();

    const audit = await auditEventuallyClean(h, 180_000);
    const seconds = (performance.now() - recovered) / 1000;
    console.log(`talent failed 50 % and movies answered null for 25 % of their entities for ${FAULT_MS / 1000} s; recovery → clean \`audit --full\`: ${seconds.toFixed(1)} s`);
    for (const line of CLEAN_AUDIT) expect(audit).toMatch(line);
    for (const id of ids) expect((await indexedDocument<{ runtimeMinutes: number }>(h, id))?.runtimeMinutes).toBe(102);

    for (const subgraph of ['talent', '(gateway)']) {
      await eventually(`no letter waiting for ${subgraph}`, async () => ((await metric('fedsearch_dead_letters_waiting', `subgraph="${subgraph}"`)) === 0 ? true : undefined), 60_000);
    }
    expect(await metric('fedsearch_dead_letter_oldest_age_seconds')).toBe(0);
    expect(await metric('fedsearch_dead_letter_retries_total', 'outcome="recovered"')).toBeGreaterThan(0);
    const after = await dlq();
    // Nothing waits and nothing needs replay (no replay ever ran, so none is counted as replayed before).
    expect(after.stdout.split('\n')[0]).toBe(`${h.index}.dlq: no letters`);
  }, 600_000);
});
