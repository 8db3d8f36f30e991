// `fedsearch serve` as a service of its own: started while the gateway is down, it serves from the
// graph's schema `provision` recorded; an index whose search field the graph already has is left
// out of the search subgraph while the others — and its own HTTP API — are served.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BackfillProgress } from '../../src/backfill/backfillProgress.ts';
import { runBackfill } from '../../src/backfill/runBackfill.ts';
import { createIndexHarness, eventually, type IndexHarness } from '../../support/indexHarness.ts';
import { postGraphQL } from '../../subgraphs/shared/postGraphQL.ts';
import { startDemoGraph, type DemoGraph } from '../../subgraphs/startDemoGraph.ts';
import { exitOf, pressCtrlC, spawnCliAsUser } from '../support/userCli.ts';

const MOVIES = 60;
const quiet: BackfillProgress = { update: () => {}, note: () => {}, stop: () => {} };

describe('fedsearch serve without the gateway', () => {
  let graph: DemoGraph;
  let served: IndexHarness;
  let clashing: IndexHarness;
  let graphStopped = false;

  beforeAll(async () => {
    const kafkaBrokers = inject('kafkaBrokers');
    graph = await startDemoGraph({ movies: MOVIES, hubTalentMovies: 0, kafkaBrokers: null, ports: { gateway: 0, movies: 0, productions: 0, talent: 0 } });
    served = await createIndexHarness({ elasticsearchUrl: inject('elasticsearchUrl'), kafkaBrokers, movies: MOVIES, graph });
    // Query.movies is the graph's own root field: as this index's search field, it cannot join the subgraph.
    clashing = await createIndexHarness({ elasticsearchUrl: inject('elasticsearchUrl'), kafkaBrokers, movies: MOVIES, graph, edit: (yaml) => `${yaml}\nsearch:\n  field: movies\n` });
    await runBackfill(served.loaded, { rate: Number.POSITIVE_INFINITY, resume: false, newVersion: false, cleanup: true, graceSeconds: 0 }, quiet);
    await served.es.indices.refresh({ index: served.index });
  }, 240_000);

  afterAll(async () => {
    if (!graphStopped) await graph?.stop();
    await clashing?.dispose();
    await served?.dispose();
  });

  it('starts from the recorded schema, answers searches on both indexes, and leaves the clashing one out of the subgraph', async () => {
    await graph.stop();
    graphStopped = true;
    const child = spawnCliAsUser(['serve', served.configFile, clashing.configFile, '--port', '0', '--subgraph-port', '0'], { env: { ...served.env, FEDSEARCH_LOG_LEVEL: 'warn' } });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => void (stderr += chunk.toString('utf8')));
    try {
      const subgraphUrl = await eventually('serve listening', async () => /search subgraph (\S+) \(1 of 2 indexes\)/.exec(stderr)?.[1], 90_000);
      const apiUrl = (/search API (http:\/\/[^/]+)\//.exec(stderr) as RegExpExecArray)[1] as string;
      // One line per index said where its schema came from (the gateway was down for both).
      expect(stderr).toContain(`${served.index}: the gateway cannot be reached; serving with the graph's schema recorded at the last provision`);
      expect(stderr).toContain(`${clashing.index}: the gateway cannot be reached; serving with the graph's schema recorded at the last provision`);
      expect(stderr).toContain(`${clashing.index}: served by the HTTP API only, left out of the search subgraph:`);
      expect(stderr).toContain('Query.movies is already a field of the graph');

      const search = async (index: string): Promise<{ status: number; total?: number }> => {
        const response = await fetch(`${apiUrl}/v1/indexes/${index}/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 1 }) });
        return { status: response.status, ...((await response.json()) as { total?: number }) };
      };
      expect(await search(served.index)).toMatchObject({ status: 200, total: MOVIES });
      // The index left out of the subgraph is still searchable over HTTP (nothing backfilled into it).
      expect(await search(clashing.index)).toMatchObject({ status: 200, total: 0 });
      // The subgraph holds the served index's field only.
      const answer = await postGraphQL<{ searchMovies: { totalCount: number } }>(subgraphUrl, '{ searchMovies(first: 1) { totalCount } }');
      expect(answer.searchMovies.totalCount).toBe(MOVIES);
    } finally {
      pressCtrlC(child);
      expect((await exitOf(child)).code, stderr).toBe(0);
    }
  }, 180_000);
});
