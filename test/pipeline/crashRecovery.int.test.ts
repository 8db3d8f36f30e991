import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createIndexHarness, eventually, type IndexHarness } from '../support/indexHarness.ts';

const cli = new URL('../../cli/fedsearch.js', import.meta.url).pathname;
const MOVIES = 300;

describe('the indexer killed with SIGKILL mid-stream', () => {
  let h: IndexHarness;
  const children: ChildProcess[] = [];

  const startIndexer = (): ChildProcess => {
    const child = spawn(process.execPath, [cli, 'run', h.configFile], {
      env: { ...process.env, ...h.env, FEDSEARCH_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    return child;
  };

  beforeAll(async () => {
    h = await createIndexHarness({ elasticsearchUrl: inject('elasticsearchUrl'), kafkaBrokers: inject('kafkaBrokers'), movies: MOVIES });
  }, 120_000);

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await h?.dispose();
  });

  it('loses nothing: after a restart every movie in the index matches the gateway', async () => {
    const first = startIndexer();
    const titles = new Map<string, string>();
    const mutate = async (from: number, to: number, tag: string): Promise<void> => {
      for (let n = from; n <= to; n++) {
        const id = `mov-${String(n).padStart(7, '0')}`;
        const title = `${tag} ${n}`;
        await h.gql(`mutation($id: ID!, $title: String) { updateMovie(movieId: $id, patch: { title: $title }) { movieId } }`, { id, title });
        titles.set(id, title);
      }
    };
    await mutate(1, 150, 'Before');
    // Kill while it is busy with what was just produced: no drain, no commit.
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    await mutate(151, MOVIES, 'While down');
    await mutate(1, 40, 'After');

    startIndexer();
    const mismatches = async (): Promise<string[]> => {
      await h.es.indices.refresh({ index: h.index });
      const response = await h.es.mget<{ title: string }>({ index: h.index, ids: [...titles.keys()] });
      return response.docs
        .filter((doc) => !('found' in doc) || !doc.found || doc._source?.title !== titles.get(doc._id))
        .map((doc) => doc._id);
    };
    await eventually('every mutated movie indexed with its latest title', async () => ((await mismatches()).length === 0 ? true : undefined), 90_000);

    // And against the gateway itself, for every mutated id.
    for (const [id, title] of titles) {
      const { movie } = await h.gql<{ movie: { title: string } }>('query($id: ID!) { movie(movieId: $id) { title } }', { id });
      expect(movie.title).toBe(title);
    }
    expect(await mismatches()).toEqual([]);
  }, 180_000);
});
