import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { deleteIndex } from '../../src/apply/deleteIndex.ts';
import { runApply, type ApplyOutput } from '../../src/apply/runApply.ts';
import { readCheckpoint } from '../../src/backfill/backfillCheckpoint.ts';
import { Kafka, logLevel } from '../../src/clients/kafkajs.ts';
import { readIndexMetadata } from '../../src/index/indexMetadata.ts';
import { InterruptedError } from '../../src/interruption.ts';
import { createIndexHarness, eventually, type IndexHarness } from '../../support/indexHarness.ts';
import { runCliAsUser } from '../support/userCli.ts';

const MOVIES = 300;

/**
 * `fedsearch apply` on a directory, run as a person runs it, against the real stack: the harness's
 * index (provisioned, never backfilled), a second index whose query later gains a field, a third
 * that is new; then --dry-run's exit codes, --prune, and an invalid config that changes nothing.
 */
describe('fedsearch apply on a directory of configs', () => {
  let h: IndexHarness;
  let directory: string;
  let unchanged: string;
  let changed: string;
  let added: string;
  let yamlOf: (index: string) => string;

  const apply = (...args: string[]) => runCliAsUser(['apply', directory, ...args], { ...h.env, FEDSEARCH_LOG_LEVEL: 'warn' });
  const total = async (alias: string): Promise<number> => {
    const response = await h.es.search({ index: alias, size: 0, track_total_hits: true });
    return typeof response.hits.total === 'number' ? response.hits.total : (response.hits.total?.value ?? -1);
  };
  const aliasTargets = async (alias: string): Promise<string[]> => Object.keys(await h.es.indices.getAlias({ name: alias }));

  beforeAll(async () => {
    h = await createIndexHarness({ elasticsearchUrl: inject('elasticsearchUrl'), kafkaBrokers: inject('kafkaBrokers'), movies: MOVIES });
    const harnessYaml = readFileSync(h.configFile, 'utf8');
    yamlOf = (index) => harnessYaml.replace(`index: ${h.index}`, `index: ${index}`);
    [unchanged, changed, added] = [h.index, `${h.index}_changed`, `${h.index}_added`];
    directory = mkdtempSync(join(tmpdir(), 'fedsearch-apply-'));
    writeFileSync(join(directory, 'a.yaml'), yamlOf(unchanged));
    // Without `rating` in its query at first; the test gives it back.
    writeFileSync(join(directory, 'b.yaml'), yamlOf(changed).replace(/^ {6}rating\n/m, ''));
  }, 120_000);

  afterAll(async () => {
    if (!h) return;
    const kafkaAdmin = h.kafka.admin();
    await kafkaAdmin.connect();
    for (const index of [changed, added, `${h.index}_emptied`]) await deleteIndex(h.es, kafkaAdmin, index, () => {}).catch(() => undefined);
    await kafkaAdmin.disconnect();
    await h.dispose();
    rmSync(directory, { recursive: true, force: true });
  });

  it('fills a provisioned index and creates a new one, then a query that gained a field is reindexed while searches go on', async () => {
    const first = await apply('--grace', '0');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`^backfill\\s+${unchanged}\\s+\\S+a\\.yaml: no full backfill`, 'm'));
    expect(first.stdout).toMatch(new RegExp(`^create\\s+${changed}\\s+\\S+b\\.yaml: new index`, 'm'));
    await eventually('both indexes filled', async () => ((await total(unchanged)) === MOVIES && (await total(changed)) === MOVIES) || undefined);

    writeFileSync(join(directory, 'b.yaml'), yamlOf(changed));
    writeFileSync(join(directory, 'c.yaml'), yamlOf(added));
    const dryRun = await apply('--dry-run');
    expect(dryRun.code, dryRun.stderr).toBe(2);
    expect(dryRun.stdout).toMatch(new RegExp(`^unchanged\\s+${unchanged}\\s`, 'm'));
    expect(dryRun.stdout).toMatch(new RegExp(`^reindex\\s+${changed}\\s+\\S+b\\.yaml: query: changed`, 'm'));
    expect(dryRun.stdout).toMatch(/mapping: new field\(s\) the live documents lack: rating/);
    expect(dryRun.stdout).toMatch(new RegExp(`^create\\s+${added}\\s`, 'm'));
    expect(dryRun.stdout).toContain('plan: 1 unchanged, 1 reindex, 1 create');
    expect(await aliasTargets(changed)).toEqual([`${changed}_v1`]);

    // A search on the index being rebuilt, over and over until apply is done: none may fail or miss a movie.
    const counts: number[] = [];
    const failures: unknown[] = [];
    let searching = true;
    const searches = (async () => {
      while (searching) await total(changed).then((n) => counts.push(n), (error: unknown) => failures.push(error));
    })();
    const second = await apply('--grace', '0');
    searching = false;
    await searches;
    expect(second.code, second.stderr).toBe(0);
    expect(failures).toEqual([]);
    expect(counts.length).toBeGreaterThan(0);
    expect(counts.filter((n) => n !== MOVIES)).toEqual([]);

    expect(await aliasTargets(changed)).toEqual([`${changed}_v2`]);
    expect(await h.es.indices.exists({ index: `${changed}_v1` })).toBe(false);
    const rated = await h.es.search({ index: changed, size: 0, track_total_hits: true, query: { exists: { field: 'rating' } } });
    expect(rated.hits.total).toMatchObject({ value: expect.any(Number) });
    expect((rated.hits.total as { value: number }).value).toBeGreaterThan(0);
    expect(await total(added)).toBe(MOVIES);
    // The unchanged index was left alone: still its first version.
    expect(await aliasTargets(unchanged)).toEqual([`${unchanged}_v1`]);

    const again = await apply('--dry-run');
    expect(again.code, again.stdout).toBe(0);
    expect(again.stdout).toContain('plan: 3 unchanged');
  }, 240_000);

  it('deletes an index whose config is gone only with --prune', async () => {
    rmSync(join(directory, 'c.yaml'));
    const dryRun = await apply('--dry-run');
    expect(dryRun.code).toBe(2);
    expect(dryRun.stdout).toMatch(new RegExp(`^would-delete\\s+${added}\\s+\\S+c\\.yaml: its config is gone; kept: --prune deletes it`, 'm'));
    const kept = await apply();
    expect(kept.code, kept.stderr).toBe(0);
    expect(await total(added)).toBe(MOVIES);

    const pruned = await apply('--prune');
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stdout).toMatch(new RegExp(`^delete\\s+${added}\\s`, 'm'));
    expect(await h.es.indices.exists({ index: added })).toBe(false);
    expect(await readIndexMetadata(h.es, added)).toBeUndefined();
    const admin = h.kafka.admin();
    await admin.connect();
    const topics = await admin.listTopics();
    await admin.disconnect();
    expect(topics).not.toContain(`${added}.documents`);

    const settled = await apply('--dry-run', '--prune');
    expect(settled.code, settled.stdout).toBe(0);
    expect(settled.stdout).toContain('plan: 2 unchanged');
  }, 120_000);

  it('changes nothing when one config of the directory is invalid, and names its file and line', async () => {
    writeFileSync(join(directory, 'broken.yaml'), yamlOf(`${h.index}_broken`).replace(/^ {6}synopsis$/m, '      synopsys'));
    writeFileSync(join(directory, 'c.yaml'), yamlOf(added));
    try {
      const refused = await apply();
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/nothing was changed/);
      expect(refused.stderr).toMatch(/broken\.yaml:\d+:\d+: query: Cannot query field "synopsys"/);
      expect(await h.es.indices.exists({ index: added })).toBe(false);
    } finally {
      rmSync(join(directory, 'broken.yaml'));
      rmSync(join(directory, 'c.yaml'));
    }
  }, 60_000);

  it('a config moved to another directory is recorded from there: its old directory\'s --prune keeps it, and a copy left behind is named as a second claim', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'fedsearch-apply-moved-'));
    const moved = join(elsewhere, 'b.yaml');
    renameSync(join(directory, 'b.yaml'), moved);
    try {
      const fromThere = await runCliAsUser(['apply', elsewhere], { ...h.env, FEDSEARCH_LOG_LEVEL: 'warn' });
      expect(fromThere.code, fromThere.stderr).toBe(0);
      expect(fromThere.stdout).toMatch(new RegExp(`^update\\s+${changed}\\s+${moved}: record this config as the index's \\(its record names \\S+b\\.yaml, which no longer names ${changed}: moved\\)`, 'm'));
      expect((await readIndexMetadata(h.es, changed))?.configFile).toBe(moved);

      const oldDirectory = await apply('--dry-run', '--prune');
      expect(oldDirectory.code, oldDirectory.stdout).toBe(0);
      expect(oldDirectory.stdout).not.toContain(changed);
      expect(oldDirectory.stdout).toContain('plan: 1 unchanged');

      writeFileSync(join(directory, 'b.yaml'), readFileSync(moved, 'utf8'));
      const twoClaims = await apply('--dry-run');
      expect(twoClaims.code, twoClaims.stdout).toBe(0);
      expect(twoClaims.stdout).toContain(`! two configs claim ${changed}: this one and ${moved}, the one its record names (kept): remove one of them`);
      expect((await readIndexMetadata(h.es, changed))?.configFile).toBe(moved);
    } finally {
      rmSync(join(directory, 'b.yaml'), { force: true });
      renameSync(moved, join(directory, 'b.yaml'));
      rmSync(elsewhere, { recursive: true, force: true });
    }
  }, 120_000);

  it('a directory whose last config was removed is pruned with --prune, given a config of the cluster alongside', async () => {
    const emptied = `${h.index}_emptied`;
    const team = mkdtempSync(join(tmpdir(), 'fedsearch-apply-emptied-'));
    const applyTeam = (...args: string[]) => runCliAsUser(['apply', team, ...args], { ...h.env, FEDSEARCH_LOG_LEVEL: 'warn' });
    try {
      writeFileSync(join(team, 'only.yaml'), yamlOf(emptied));
      const created = await applyTeam();
      expect(created.code, created.stderr).toBe(0);
      rmSync(join(team, 'only.yaml'));

      const withoutPrune = await applyTeam();
      expect(withoutPrune.code).toBe(1);
      expect(withoutPrune.stderr).toContain(`${team} holds no index configuration (.yaml or .yml file) (with --prune, apply deletes the indexes its configs made)`);
      const noCluster = await applyTeam('--prune');
      expect(noCluster.code).toBe(1);
      expect(noCluster.stderr).toContain('pass a config of the cluster they are in along with the directory');
      expect(await h.es.indices.exists({ index: emptied })).toBe(true);

      const pruned = await applyTeam(join(directory, 'a.yaml'), '--prune');
      expect(pruned.code, pruned.stderr).toBe(0);
      expect(pruned.stdout).toMatch(new RegExp(`^delete\\s+${emptied}\\s+\\S+only\\.yaml: its config is gone`, 'm'));
      expect(pruned.stdout).toMatch(new RegExp(`^unchanged\\s+${unchanged}\\s`, 'm'));
      expect(await h.es.indices.exists({ index: emptied })).toBe(false);
      expect(await readIndexMetadata(h.es, emptied)).toBeUndefined();
    } finally {
      rmSync(team, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('apply --prune deleting one index', () => {
  it('leaves another index whose name starts with the pruned one\'s and _v (products, products_variants)', async () => {
    const es = new Client({ node: inject('elasticsearchUrl') });
    const kafkaAdmin = new Kafka({ clientId: 'apply-prune-test', brokers: inject('kafkaBrokers'), logLevel: logLevel.NOTHING }).admin();
    await kafkaAdmin.connect();
    const pruned = `prune_${randomUUID().slice(0, 8)}`;
    const other = `${pruned}_variants`;
    try {
      for (const index of [pruned, other]) await es.indices.create({ index: `${index}_v1`, aliases: { [index]: { is_write_index: true } } });
      await es.indices.create({ index: `${pruned}_v2` });
      const report: string[] = [];
      await deleteIndex(es, kafkaAdmin, pruned, (line) => void report.push(line));
      expect(report[0]).toBe(`✓ deleted ${pruned}_v1, ${pruned}_v2 (and the alias ${pruned})`);
      expect(await es.indices.exists({ index: [`${pruned}_v1`, `${pruned}_v2`] })).toBe(false);
      expect(Object.keys(await es.indices.getAlias({ name: other }))).toEqual([`${other}_v1`]);
    } finally {
      await es.indices.delete({ index: [`${pruned}_v1`, `${pruned}_v2`, `${other}_v1`], ignore_unavailable: true });
      await kafkaAdmin.disconnect();
      await es.close();
    }
  });
});

describe('apply --dry-run when a service is down', () => {
  it('exits 2 like a plan with changes, but prints no plan and says on stderr that none was made', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'fedsearch-apply-down-'));
    writeFileSync(join(directory, 'movies.yaml'), readFileSync(new URL('../../index-configs/movies.yaml', import.meta.url), 'utf8'));
    const supergraph = new URL('../../subgraphs/supergraph.graphql', import.meta.url).pathname;
    try {
      const down = await runCliAsUser(['apply', directory, '--dry-run', '--schema', supergraph], {
        FEDSEARCH_ES_URL: 'http://127.0.0.1:1',
        FEDSEARCH_KAFKA_BROKERS: '127.0.0.1:1',
        FEDSEARCH_LOG_LEVEL: 'warn',
      });
      expect(down.code).toBe(2);
      expect(down.stdout).not.toContain('plan:');
      expect(down.stderr).toMatch(/^fedsearch: no plan was made \(exit 2 here is a service failing, not changes to make\): planning movies: /m);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

/**
 * A reindex that does not end in its swap — stopped (Ctrl-C, here a signal aborted before it
 * starts: it finishes its first page of 50 and stops), or with entities that failed — and the
 * apply after it, on one index of its own per case.
 */
describe('fedsearch apply after a reindex that did not swap', () => {
  let h: IndexHarness;
  let harnessYaml: string;
  const made: string[] = [];

  const total = async (alias: string): Promise<number> => (await h.es.count({ index: alias })).count;
  const withField = async (alias: string, field: string): Promise<number> => (await h.es.count({ index: alias, query: { exists: { field } } })).count;
  const aliasTargets = async (alias: string): Promise<string[]> => Object.keys(await h.es.indices.getAlias({ name: alias }));

  /** A directory with one config for a new index, in pages of 50; `edit` the query or fields. */
  const indexOfItsOwn = (name: string) => {
    const index = `${h.index}_${name}`;
    made.push(index);
    const directory = mkdtempSync(join(tmpdir(), `fedsearch-apply-${name}-`));
    const full = harnessYaml.replace(`index: ${h.index}`, `index: ${index}`).replace('movies(first: 500,', 'movies(first: 50,');
    const write = (yaml: string): void => writeFileSync(join(directory, `${name}.yaml`), yaml);
    const apply = (...args: string[]) => runCliAsUser(['apply', directory, '--grace', '0', ...args], { ...h.env, FEDSEARCH_LOG_LEVEL: 'warn' });
    /** apply stopped as Ctrl-C stops it, after its first page. */
    const applyStopped = async (): Promise<void> => {
      const controller = new AbortController();
      controller.abort('SIGINT');
      const quiet: ApplyOutput = { print: () => {}, progress: () => ({ update: () => {}, note: () => {}, stop: () => {} }) };
      await expect(runApply([directory], { dryRun: false, prune: false, graceSeconds: 0, createSourceTopics: false, signal: controller.signal }, quiet)).rejects.toBeInstanceOf(InterruptedError);
    };
    /** Filled by apply without `field` in its query, then the config given it back. */
    const filledWithout = async (field: string): Promise<void> => {
      write(withoutLine(full, field));
      expect((await apply()).code).toBe(0);
      write(full);
    };
    /** --dry-run plans the stopped reindex's resume (`done` entities done); apply finishes it, and then nothing is left to do. */
    const resumedAndSwapped = async (done: number): Promise<void> => {
      const dryRun = await apply('--dry-run');
      expect(dryRun.code, dryRun.stdout).toBe(2);
      expect(dryRun.stdout).toMatch(new RegExp(`^reindex\\s+${index}\\s+\\S+: resume the reindex into ${index}_v2 that stopped before its swap \\(${done} entities done\\)`, 'm'));
      const resumed = await apply();
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(await aliasTargets(index)).toEqual([`${index}_v2`]);
      expect(await total(index)).toBe(MOVIES);
      expect((await readIndexMetadata(h.es, index))?.reindexTarget ?? null).toBeNull();
      expect((await apply('--dry-run')).code).toBe(0);
    };
    return { index, full, write, apply, applyStopped, filledWithout, resumedAndSwapped };
  };
  const withoutLine = (yaml: string, field: string): string => yaml.replace(new RegExp(`^ {6}${field}\\n`, 'm'), '');

  beforeAll(async () => {
    h = await createIndexHarness({ elasticsearchUrl: inject('elasticsearchUrl'), kafkaBrokers: inject('kafkaBrokers'), movies: MOVIES });
    harnessYaml = readFileSync(h.configFile, 'utf8');
  }, 120_000);

  afterAll(async () => {
    if (!h) return;
    h.graph.faults.set('movies', 0, 0);
    const kafkaAdmin = h.kafka.admin();
    await kafkaAdmin.connect();
    for (const index of made) await deleteIndex(h.es, kafkaAdmin, index, () => {}).catch(() => undefined);
    await kafkaAdmin.disconnect();
    await h.dispose();
  });

  it('a reindex stopped for a mapping-only change is planned as its resume, and finished by the next apply', async () => {
    const { full, write, apply, applyStopped, resumedAndSwapped } = indexOfItsOwn('mapping');
    write(full);
    expect((await apply()).code).toBe(0);
    // suggest on synopsis: a new field in the mapping, the query unchanged; apply adds it to _v1 in place first.
    write(full.replace('  synopsis: { text: true }', '  synopsis: { text: true, suggest: true }'));
    await applyStopped();
    await resumedAndSwapped(50);
  }, 180_000);

  it('a reindex stopped, then the query gains another field: its version is not resumed but built again, and the alias swaps to every movie with the new query', async () => {
    const { index, full, write, apply, applyStopped } = indexOfItsOwn('query');
    const withRating = withoutLine(full, 'runtimeMinutes');
    write(withoutLine(withRating, 'rating'));
    expect((await apply()).code).toBe(0);
    write(withRating);
    await applyStopped();
    // The pull request is amended before apply runs again: runtimeMinutes too.
    write(full);

    const dryRun = await apply('--dry-run');
    expect(dryRun.stdout).toContain(`resume the reindex into ${index}_v2 that stopped before its swap: not resumable (${index}_v2 was built for another query than the config's now)`);
    const again = await apply();
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`the stopped reindex into ${index}_v2 (50 entities done) is not resumed: ${index}_v2 was built for another query than the config's now; ${index}_v2 is deleted`);
    expect(await aliasTargets(index)).toEqual([`${index}_v3`]);
    expect(await h.es.indices.exists({ index: `${index}_v2` })).toBe(false);
    expect(await total(index)).toBe(MOVIES);
    // Every movie fetched with the new query: as many hold runtimeMinutes as the graph has (one in ten has none).
    const { movies } = await h.gql<{ movies: { edges: Array<{ node: { runtimeMinutes: number | null } }> } }>('{ movies(first: 500) { edges { node { runtimeMinutes } } } }');
    expect(await withField(index, 'runtimeMinutes')).toBe(movies.edges.filter(({ node }) => node.runtimeMinutes !== null).length);
  }, 180_000);

  it('a reindex stopped whose half-built version was deleted starts again from the first page', async () => {
    const { index, apply, applyStopped, filledWithout } = indexOfItsOwn('gone');
    await filledWithout('rating');
    await applyStopped();
    const { target } = (await readCheckpoint(h.es, index)) ?? {};
    expect(target).toBe(`${index}_v2`);
    await h.es.indices.delete({ index: `${index}_v2` });

    const again = await apply();
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`the stopped reindex into ${index}_v2 (50 entities done) is not resumed: ${index}_v2 no longer exists; a new version is filled from the beginning`);
    expect(await aliasTargets(index)).toEqual([`${index}_v3`]);
    expect(await total(index)).toBe(MOVIES);
    expect(await withField(index, 'rating')).toBeGreaterThan(0);
  }, 180_000);

  it('a resumed version that refuses documents (a mapping of its own) is not swapped in', async () => {
    const { index, apply, applyStopped, filledWithout } = indexOfItsOwn('refused');
    await filledWithout('rating');
    await applyStopped();
    // The half-built version, remade by hand with a rating it cannot hold: every rated movie is refused.
    await h.es.indices.delete({ index: `${index}_v2` });
    await h.es.indices.create({ index: `${index}_v2`, mappings: { properties: { rating: { type: 'boolean' } } } });

    const refused = await apply();
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`reindex of ${index} into ${index}_v2 not swapped: ${index}_v2 holds \\d+ documents, \\d+ fewer than the \\d+ the reindex wrote`));
    expect(refused.stderr).toContain(`The alias stays on ${index}_v1 (${MOVIES} documents)`);
    expect(await aliasTargets(index)).toEqual([`${index}_v1`]);
    expect(await total(index)).toBe(MOVIES);
  }, 180_000);

  it('a reindex with entities that failed keeps the live version, exits 1 naming them, and the next apply reindexes again', async () => {
    const { index, apply, filledWithout, resumedAndSwapped } = indexOfItsOwn('failed');
    await filledWithout('rating');
    h.graph.faults.set('movies', 5, 600_000);
    let failed: Awaited<ReturnType<typeof apply>>;
    try {
      failed = await apply();
    } finally {
      h.graph.faults.set('movies', 0, 0);
    }
    expect(failed.code, failed.stderr).toBe(1);
    expect(failed.stderr).toMatch(new RegExp(`reindex of ${index} into ${index}_v2 not swapped: \\d+ of ${MOVIES} entities failed; dead letters in ${index}\\S*dlq`));
    expect(failed.stderr).toContain(`The alias stays on ${index}_v1 (${MOVIES} documents)`);
    expect(await aliasTargets(index)).toEqual([`${index}_v1`]);
    expect(await total(index)).toBe(MOVIES);
    // Its checkpoint set back to the first page: every entity is fetched again, the failed ones too.
    await resumedAndSwapped(0);
  }, 240_000);
});
