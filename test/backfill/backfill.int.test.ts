import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigResourceTypes, Kafka } from '../../src/clients/kafkajs.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runAudit } from '../../src/audit/runAudit.ts';
import { fedsearchAudit } from '../support/cliAudit.ts';
import { readCheckpoint } from '../../src/backfill/backfillCheckpoint.ts';
import type { BackfillProgress } from '../../src/backfill/backfillProgress.ts';
import { runBackfill } from '../../src/backfill/runBackfill.ts';
import { readIndexMetadata, updateIndexMetadata } from '../../src/index/indexMetadata.ts';
import { runPipeline } from '../../src/pipeline/runPipeline.ts';
import { entityId } from '../../subgraphs/data/studioRows.ts';
import { createIndexHarness, eventually, type IndexHarness } from '../../support/indexHarness.ts';
import { exitOf, pressCtrlC, spawnCliAsUser } from '../support/userCli.ts';

// Three pages of 500: a backfill stopped after its first page finishes the one in flight and
// leaves the third to --resume. Small enough that the file's eight backfills and a dozen full
// audits stay a few minutes of the suite.
const MOVIES = 1_500;
/** The killed and Ctrl-C'd backfills' cap: the first page is checkpointed about 3 s before the second. */
const SLOW_RATE = '150';
const cli = new URL('../../cli/fedsearch.js', import.meta.url).pathname;
const quiet: BackfillProgress = { update: () => {}, note: () => {}, stop: () => {} };
const defaults = { resume: false, newVersion: false, cleanup: false, graceSeconds: 0 };

/** Runs `during` with `overrides` on a topic's configuration, then puts back what it had. */
async function withTopicConfig<T>(kafka: Kafka, topic: string, overrides: Record<string, string>, during: () => Promise<T>): Promise<T> {
  const TOPIC = 2 as ConfigResourceTypes; // kafkajs's ConfigResourceTypes.TOPIC
  const admin = kafka.admin();
  await admin.connect();
  try {
    const described = await admin.describeConfigs({ resources: [{ type: TOPIC, name: topic }], includeSynonyms: false });
    // AlterConfigs replaces the topic's whole set: keep the ones it has, then restore exactly those.
    const own = (described.resources[0]?.configEntries ?? []).filter((entry) => !entry.isDefault).map(({ configName, configValue }) => ({ name: configName, value: configValue }));
    const changed = [...own.filter((entry) => !(entry.name in overrides)), ...Object.entries(overrides).map(([name, value]) => ({ name, value }))];
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: TOPIC, name: topic, configEntries: changed }] });
    try {
      return await during();
    } finally {
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: TOPIC, name: topic, configEntries: own }] });
    }
  } finally {
    await admin.disconnect();
  }
}

describe('backfill, reindex and audit against the real stack and demo graph', () => {
  let h: IndexHarness;

  const audit = (repair = false) => runAudit(h.loaded, { full: true, sample: 0, repair, settleSeconds: 1 });
  const clean = { missing: [], extra: [], stale: [] };

  beforeAll(async () => {
    h = await createIndexHarness({ elasticsearchUrl: inject('elasticsearchUrl'), kafkaBrokers: inject('kafkaBrokers'), movies: MOVIES });
  }, 120_000);

  afterAll(async () => {
    await h?.dispose();
  });

  it('fills an empty index completely, and the audit finds no difference', async () => {
    const summary = await runBackfill(h.loaded, { ...defaults, rate: Number.POSITIVE_INFINITY }, quiet);
    expect(summary).toMatchObject({ done: MOVIES, written: MOVIES, failed: 0, liveIndex: `${h.index}_v1` });
    expect(await audit()).toMatchObject({ graph: MOVIES, indexed: MOVIES, compared: MOVIES, ...clean });
  }, 180_000);

  it('never goes faster than the rate cap', async () => {
    const cap = 150;
    const summary = await runBackfill(h.loaded, { ...defaults, rate: cap }, quiet);
    expect(summary.done).toBe(MOVIES);
    // An upper bound only: a busy machine may be slower than the cap, never faster.
    expect(summary.rate).toBeLessThanOrEqual(cap * 1.1);
  }, 180_000);

  it('resumes after being killed midway without redoing finished pages, and ends clean', async () => {
    const child = spawn(process.execPath, [cli, 'backfill', h.configFile, '--rate', SLOW_RATE], {
      env: { ...process.env, ...h.env, FEDSEARCH_LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    });
    // Wait until at least one page (500 ids) is checkpointed, then kill it hard.
    const checkpoint = await eventually('a checkpoint', async () => {
      const saved = await readCheckpoint(h.es, h.index);
      return saved && saved.done >= 500 ? saved : undefined;
    }, 60_000);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const saved = await readCheckpoint(h.es, h.index);
    expect(saved?.cursor).not.toBeNull();

    const resumed = await runBackfill(h.loaded, { ...defaults, rate: Number.POSITIVE_INFINITY, resume: true }, quiet);
    // It continued from the checkpoint: the total counts what the killed run had finished.
    expect(resumed.done).toBe(MOVIES);
    expect(resumed.done - (saved?.done ?? 0)).toBeLessThan(MOVIES);
    expect(checkpoint.done).toBeGreaterThanOrEqual(500);
    expect(await readCheckpoint(h.es, h.index)).toBeUndefined();
    expect(await audit()).toMatchObject(clean);
  }, 180_000);

  it('stops cleanly on Ctrl-C in a terminal: exit 130 (the work is not done), a resumable checkpoint, and --resume finishes the job', async () => {
    const child = spawnCliAsUser(['backfill', h.configFile, '--rate', SLOW_RATE], { env: { ...h.env, FEDSEARCH_LOG_LEVEL: 'warn' } });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => void (stderr += chunk.toString('utf8')));
    await eventually('a first page checkpointed', async () => ((await readCheckpoint(h.es, h.index))?.done ?? 0) >= 500 || undefined, 60_000);
    pressCtrlC(child);
    expect(await exitOf(child), stderr).toEqual({ code: 130, signal: null });
    expect(stderr).toContain('Ctrl-C: stopping cleanly');
    expect(stderr).toMatch(/backfill of \S+ stopped after \d+ entities; `fedsearch backfill \S+ --resume` continues it/);
    const saved = await readCheckpoint(h.es, h.index);
    expect(saved?.cursor).not.toBeNull();
    expect(saved?.done).toBeLessThan(MOVIES);

    const resumed = spawnCliAsUser(['backfill', h.configFile, '--rate', 'none', '--resume'], { env: { ...h.env, FEDSEARCH_LOG_LEVEL: 'warn' } });
    let resumedOut = '';
    resumed.stdout?.on('data', (chunk: Buffer) => void (resumedOut += chunk.toString('utf8')));
    expect((await exitOf(resumed)).code).toBe(0);
    expect(JSON.parse(resumedOut)).toMatchObject({ done: MOVIES, failed: 0 });
    expect(await readCheckpoint(h.es, h.index)).toBeUndefined();
    expect(await audit()).toMatchObject(clean);
  }, 180_000);

  it('reindexes to a new version under live mutations with searches answering throughout', async () => {
    const pipeline = await runPipeline(h.loaded, { stage: 'all', metricsPort: 0 });
    let searching = true;
    const searchErrors: unknown[] = [];
    let searches = 0;
    const searchLoop = (async () => {
      while (searching) {
        try {
          const response = await h.es.search({ index: h.index, query: { match: { title: 'harbor' } }, size: 1 });
          expect(response.hits.hits.length).toBeGreaterThan(0);
          searches++;
        } catch (error) {
          searchErrors.push(error);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    let mutating = true;
    const mutated = new Map<string, string>();
    const mutationLoop = (async () => {
      for (let n = 1; mutating; n++) {
        const id = entityId('mov', (n % MOVIES) + 1);
        const title = `Harbor Reindex ${n}`;
        await h.gql('mutation($id: ID!, $title: String) { updateMovie(movieId: $id, patch: { title: $title }) { movieId } }', { id, title });
        mutated.set(id, title);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    const notes: string[] = [];
    try {
      const summary = await runBackfill(
        h.loaded,
        { ...defaults, rate: Number.POSITIVE_INFINITY, newVersion: true, cleanup: true },
        { ...quiet, note: (message) => void notes.push(message) },
      );
      // It fetched only once the running pipeline's sink had said it writes to the new version.
      expect(notes).toContain(`1 running sink(s) acknowledged: live updates go to ${h.index}_v2 too`);
      expect(summary).toMatchObject({ liveIndex: `${h.index}_v2`, previousIndex: `${h.index}_v1`, failed: 0 });
      // Live updates keep flowing after the swap too.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    } finally {
      mutating = false;
      await mutationLoop;
      searching = false;
      await searchLoop;
    }
    expect(Object.keys(await h.es.indices.getAlias({ name: h.index }))).toEqual([`${h.index}_v2`]);
    expect(await h.es.indices.exists({ index: `${h.index}_v1` })).toBe(false);
    expect(searchErrors).toEqual([]);
    expect(searches).toBeGreaterThan(10);
    expect(mutated.size).toBeGreaterThan(10);
    await eventually('every live mutation in the new version', async () => {
      await h.es.indices.refresh({ index: h.index });
      const docs = await h.es.mget<{ title: string }>({ index: h.index, ids: [...mutated.keys()] });
      return docs.docs.every((doc) => 'found' in doc && doc.found && doc._source?.title === mutated.get(doc._id)) ? true : undefined;
    });
    await pipeline.stop();
    expect(await audit()).toMatchObject(clean);
  }, 240_000);

  it('finds a document deleted, one edited and one added behind the pipeline’s back, and --repair fixes them', async () => {
    await h.es.delete({ index: h.index, id: 'mov-0000005', refresh: true });
    await h.es.update({ index: h.index, id: 'mov-0000006', doc: { title: 'Edited Behind Its Back' }, refresh: true });
    await h.es.index({ index: h.index, id: 'mov-9999999', document: { movieId: 'mov-9999999', title: 'Not In The Graph', genres: [], originalLanguage: 'en', updatedAt: '2026-01-01T00:00:00.000Z', cast: [] }, refresh: true });
    // A movie the pipeline never saw: created in the graph while nothing consumes its event.
    const { createMovie } = await h.gql<{ createMovie: { movieId: string } }>('mutation { createMovie(input: { title: "Unseen" }) { movieId } }');

    const found = await audit();
    expect(found.missing).toEqual(['mov-0000005', createMovie.movieId].sort());
    expect(found.extra).toEqual(['mov-9999999']);
    expect(found.stale).toEqual(['mov-0000006']);
    // Checked again after settling and still wrong: persistent, not in flight.
    expect(found.persistent.map((d) => `${d.class} ${d.id}`).sort()).toEqual(
      [`missing mov-0000005`, `missing ${createMovie.movieId}`, 'extra mov-9999999', 'stale mov-0000006'].sort(),
    );
    expect(found.settled).toEqual([]);
    // Through the CLI: exit 1, each named, persistent.
    const cli = await fedsearchAudit(h, ['--full', '--settle', '1']);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toMatch(/persistent 4: /);
    for (const id of ['mov-0000005', 'mov-0000006', 'mov-9999999', createMovie.movieId]) expect(cli.stdout).toContain(id);
    // The stale one says which field differs, both values, and (no supergraph in this config) that its owner is not known.
    expect(found.persistent.find((d) => d.class === 'stale')?.fields).toEqual([
      expect.objectContaining({ path: 'title', indexed: '"Edited Behind Its Back"', subgraph: null, volatile: false }),
    ]);
    expect(cli.stdout).toMatch(/^ {4}mov-0000006\n {6}title: "Edited Behind Its Back" → "[^"]+" \(owner unknown\)$/m);
    expect(found.volatile).toEqual([]);

    const repaired = await audit(true);
    expect(repaired.repaired).toBe(4);
    expect(repaired.stillDifferent).toEqual([]);
    expect(await audit()).toMatchObject(clean);
  }, 180_000);
  it('stops a reindex cleanly when a page fails (a dead letter it cannot write): the error, the checkpoint, the alias where it was; --resume finishes it', async () => {
    const live = Object.keys(await h.es.indices.getAlias({ name: h.index }))[0];
    let failure: unknown;
    await withTopicConfig(h.kafka, `${h.index}.dlq`, { 'max.message.bytes': '1' }, async () => {
      // From the second page on the graph cannot answer: every fetch is dead-lettered, and the
      // dead-letter topic refuses every letter.
      const failFromSecondPage = { ...quiet, update: ({ done }: { done: number }) => void (done >= 500 && h.graph.setSubgraphDown('talent', true)) };
      try {
        failure = await runBackfill(h.loaded, { ...defaults, rate: Number.POSITIVE_INFINITY, newVersion: true }, failFromSecondPage).then(
          () => undefined,
          (error: unknown) => error,
        );
      } finally {
        h.graph.setSubgraphDown('talent', false);
      }
    });
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(
      new RegExp(`^backfill of ${h.index} stopped: a batch of \\d+ ids from mov-\\d+ failed: .+; the checkpoint keeps the 500 entities of the pages finished before it, \`fedsearch backfill \\S+ --resume --new-version\` continues from there$`),
    );
    // The first page is checkpointed with the version it was building; the alias has not moved,
    // and that version stays announced to the sinks until the reindex is resumed.
    const saved = await readCheckpoint(h.es, h.index);
    expect(saved).toMatchObject({ done: 500, failed: 0, target: `${h.index}_v3` });
    expect(saved?.cursor).not.toBeNull();
    expect(Object.keys(await h.es.indices.getAlias({ name: h.index }))).toEqual([live]);
    expect((await readIndexMetadata(h.es, h.index))?.reindexTarget).toBe(`${h.index}_v3`);

    // A movie of the finished page changes while the reindex is stopped. The resume skips that
    // page: the change reaches the new version only through the live sinks' dual writes.
    await h.es.indices.refresh({ index: `${h.index}_v3` });
    const fetched = (await h.es.search<{ movieId: string }>({ index: `${h.index}_v3`, size: 1, query: { match_all: {} } })).hits.hits[0]?._id as string;
    const title = 'Retitled While The Reindex Was Stopped';
    const pipeline = await runPipeline(h.loaded, { stage: 'all', metricsPort: 0 });
    try {
      await h.gql('mutation($id: ID!, $title: String) { updateMovie(movieId: $id, patch: { title: $title }) { movieId } }', { id: fetched, title });
      await eventually('the change in the version being built', async () => {
        await h.es.indices.refresh({ index: `${h.index}_v3` });
        const doc = await h.es.get<{ title: string }>({ index: `${h.index}_v3`, id: fetched }, { ignore: [404] });
        return doc.found && doc._source?.title === title ? true : undefined;
      });
    } finally {
      await pipeline.stop();
    }

    const resumed = await runBackfill(h.loaded, { ...defaults, rate: Number.POSITIVE_INFINITY, newVersion: true, cleanup: true, resume: true }, quiet);
    expect(resumed).toMatchObject({ failed: 0, liveIndex: `${h.index}_v3`, previousIndex: live });
    expect(await readCheckpoint(h.es, h.index)).toBeUndefined();
    expect((await h.es.get<{ title: string }>({ index: h.index, id: fetched }))._source?.title).toBe(title);
    expect(await audit()).toMatchObject(clean);
  }, 180_000);

  it('a backfill that does not resume a stopped reindex gives it up: the sinks stop writing to its version', async () => {
    const live = Object.keys(await h.es.indices.getAlias({ name: h.index }))[0] as string;
    const stopped = `${h.index}_v9`;
    await h.es.indices.create({ index: stopped });
    // What a reindex stopped by a failure or Ctrl-C leaves: its version still announced.
    await updateIndexMetadata(h.es, h.index, { reindexTarget: stopped, reindexAnnouncement: 'stopped-reindex' });
    const idsFile = join(mkdtempSync(join(tmpdir(), 'fedsearch-ids-')), 'ids.txt');
    writeFileSync(idsFile, `${entityId('mov', 1)}\n`);
    const notes: string[] = [];
    await runBackfill(h.loaded, { ...defaults, rate: Number.POSITIVE_INFINITY, idsFile }, { ...quiet, note: (message) => void notes.push(message) });
    expect(notes).toContain(`the stopped reindex into ${stopped} is given up: live updates go to ${live} alone until a new version is announced (${stopped} stays until deleted)`);
    expect((await readIndexMetadata(h.es, h.index))?.reindexTarget ?? null).toBeNull();
    await h.es.indices.delete({ index: stopped });
  }, 60_000);

  it('says at once that a config without backfill.query needs --ids-file, and leaves no checkpoint', async () => {
    const withoutQuery = h.configFile.replace(/\.yaml$/, '.no-query.yaml');
    writeFileSync(withoutQuery, readFileSync(h.configFile, 'utf8').replace(/^  query: \|\n(?: {4}.*\n)+/m, ''));
    const child = spawnCliAsUser(['backfill', withoutQuery], { env: { ...h.env, FEDSEARCH_LOG_LEVEL: 'warn' } });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => void (stderr += chunk.toString('utf8')));
    expect((await exitOf(child)).code, stderr).toBe(1);
    expect(stderr).toBe(`fedsearch: ${withoutQuery}: backfill.query is not set; it lists every ${h.loaded.config.primary.type} id page by page (or give \`backfill --ids-file <file>\`, one id a line)\n`);
    expect(await readCheckpoint(h.es, h.index)).toBeUndefined();
  }, 60_000);
});
