import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitOf, spawnCliAsUser } from '../support/userCli.ts';

const root = new URL('../../', import.meta.url).pathname;
const supergraph = join(root, 'subgraphs/supergraph.graphql');
const movies = join(root, 'index-configs/movies.yaml');
const moviesSdl = readFileSync(join(root, 'subgraphs/movies/schema.graphql'), 'utf8');

/** `fedsearch <args>` as a subgraph team's CI runs it: its exit code and output. */
async function fedsearch(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnCliAsUser(args);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  const { code } = await exitOf(child);
  return { code, stdout, stderr };
}

/** The movies subgraph's SDL with one edit, written where the CI job would have it. */
function proposedMovies(from: string, to: string): string {
  if (!moviesSdl.includes(from)) throw new Error(`the movies SDL no longer holds ${JSON.stringify(from)}`);
  const file = join(mkdtempSync(join(tmpdir(), 'fedsearch-check-')), 'movies.graphql');
  writeFileSync(file, moviesSdl.replace(from, to));
  return file;
}

// Each test spawns the CLI (tsx compiles on start): seconds on a quiet machine, more on a busy one.
describe('fedsearch check', { timeout: 120_000 }, () => {
  it('exits 1 when a change breaks an index, naming the field, its subgraph and the config line', async () => {
    const removed = proposedMovies('  synopsis: String\n', '');
    const result = await fedsearch(['check', movies, '--schema', supergraph, '--subgraph', `movies=${removed}`]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`movies (${movies}): breaks\n  ${movies}:15:7: Movie.synopsis (subgraph movies): Cannot query field "synopsis" on type "Movie".`);
    expect(result.stdout).toContain('1 breaks, 0 needs reindex, 0 compatible, 0 unaffected — failing (--fail-on breaks)');
  });

  it('exits 0 on a change that needs a reindex, and 1 with --fail-on needs-reindex; a directory stands for its configs', async () => {
    const nullable = proposedMovies('title: String!', 'title: String');
    const configs = mkdtempSync(join(tmpdir(), 'fedsearch-check-configs-'));
    copyFileSync(movies, join(configs, 'movies.yaml'));
    const lenient = await fedsearch(['check', configs, '--schema', supergraph, '--subgraph', `movies=${nullable}`]);
    expect(lenient).toMatchObject({ code: 0, stderr: '' });
    expect(lenient.stdout).toContain(`movies (${join(configs, 'movies.yaml')}): needs reindex\n  title (Movie.title): String! → String (now nullable)`);
    const strict = await fedsearch(['check', configs, '--schema', supergraph, '--subgraph', `movies=${nullable}`, '--fail-on', 'needs-reindex']);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain('0 breaks, 1 needs reindex, 0 compatible, 0 unaffected — failing (--fail-on needs-reindex)');
  });

  it('prints the report as JSON with --json', async () => {
    const added = proposedMovies('title: String!', 'title: String!\n  tagline: String');
    const result = await fedsearch(['check', movies, '--schema', supergraph, '--subgraph', `movies=${added}`, '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      proposed: `movies=${added}`,
      indexes: [{ index: 'movies', configFile: movies, classification: 'compatible', problems: [], changes: [], avro: null, mappingIncompatible: [], warnings: [], reasons: [] }],
      skipped: [],
      summary: { unaffected: 0, compatible: 1, 'needs-reindex': 0, breaks: 0 },
      failOn: 'breaks',
      failed: false,
    });
  });

  it('checks a whole proposed supergraph, and refuses a subgraph name the graph does not have', async () => {
    const same = await fedsearch(['check', movies, '--schema', supergraph, '--proposed', supergraph]);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain(`movies (${movies}): unaffected`);
    // The shop configs belong to another graph: listed as skipped, they do not fail the check.
    const directory = await fedsearch(['check', join(root, 'index-configs'), '--schema', supergraph, '--proposed', supergraph]);
    expect(directory.code).toBe(0);
    expect(directory.stdout).toContain(`${join(root, 'index-configs/shop-users.yaml')}: skipped, it does not validate against the current graph`);
    expect(directory.stdout).toContain('0 breaks, 0 needs reindex, 0 compatible, 1 unaffected, 3 skipped');
    const typo = await fedsearch(['check', movies, '--schema', supergraph, '--subgraph', `movie=${supergraph}`]);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain('has no subgraph movie (did you mean movies?)');
  });
});
