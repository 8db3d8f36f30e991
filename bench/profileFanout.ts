// The reverse-lookup fan-out on its own, a quick loop beside `npm run bench`'s fan-out rows: a
// studio of N movies (default 3,000) where one person is credited in 1,000, kept in step by a
// `fedsearch run` process (as in the bench), then that person renamed ROUNDS times (default 3),
// each timed until all 1,000 movies show the new name.
//   FAST=1          against the fast graph (the replay gateway) instead of the demo graph
//   IN_PROCESS=1    the pipeline in this process, beside the demo graph, instead of a child
//   N=3000 ROUNDS=3 npx tsx bench/profileFanout.ts
import { setTimeout as sleep } from 'node:timers/promises';
import { runBackfill } from '../src/backfill/runBackfill.ts';
import { GatewayFetcher } from '../src/pipeline/gatewayFetcher.ts';
import { runPipeline } from '../src/pipeline/runPipeline.ts';
import { elasticsearchUrl } from '../stack/elasticsearchService.ts';
import { kafkaBrokers } from '../stack/kafkaService.ts';
import { entityId } from '../subgraphs/data/studioRows.ts';
import { createIndexHarness } from '../support/indexHarness.ts';
import { renameThroughGraph, timeFanout, timeFanoutOnReplay } from './fanout.ts';
import { startFastGraph } from './fastGraph.ts';
import { startIndexerProcess } from './indexerProcesses.ts';

const N = Number(process.env.N ?? 3000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const HUB_MOVIES = 1_000;
const ids = Array.from({ length: N }, (_, i) => entityId('mov', i + 1));
const main = await createIndexHarness({ elasticsearchUrl: elasticsearchUrl(), kafkaBrokers: kafkaBrokers(), movies: N, hubTalentMovies: HUB_MOVIES });
let times: number[];
if (process.env.FAST === '1') {
  const fetcher = new GatewayFetcher({ gateway: main.loaded.config.gateway, template: main.loaded.query, pipeline: main.loaded.config.pipeline });
  const fast = await startFastGraph(fetcher, main.loaded.query.rootKey, ids, main.graph.gatewayUrl);
  const h = await createIndexHarness({ elasticsearchUrl: elasticsearchUrl(), kafkaBrokers: kafkaBrokers(), movies: N, graph: { ...main.graph, gatewayUrl: fast.url } });
  times = await timeFanoutOnReplay(h, fast.url, ids, HUB_MOVIES, ROUNDS);
  await fast.stop();
  await h.dispose();
} else {
  await runBackfill(main.loaded, { rate: Number.POSITIVE_INFINITY, resume: false, newVersion: false, cleanup: true, graceSeconds: 0 }, { update: () => {}, note: () => {}, stop: () => {} });
  const indexer = process.env.IN_PROCESS === '1' ? await runPipeline(main.loaded, { stage: 'all', metricsPort: 0 }) : await startIndexerProcess(main);
  if (process.env.IN_PROCESS === '1') await sleep(3_000);
  times = await timeFanout(main, HUB_MOVIES, ROUNDS, renameThroughGraph(main));
  await indexer.stop();
}
console.log(`fan-out of one change to ${HUB_MOVIES} movies, ms: ${times.map((t) => t.toFixed(0)).join(', ')}`);
await main.dispose();
process.exit(0);
