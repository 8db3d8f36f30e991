// What `fedsearch serve` costs per search, beside the same bodies sent straight to Elasticsearch:
// a studio of N movies (default 20,000) backfilled, one `fedsearch serve` child (with
// `--cpu-prof` when FEDSEARCH_PROFILE=1; the profile lands in FEDSEARCH_PROFILE_DIR, default
// .fedsearch/profiles), autocannon at 1 and 10 connections for each query. Prints latency,
// req/s and the serve process's CPU per request (main thread and V8's helper threads), beside a
// pass-through proxy (bench/passThroughProxy.ts) as the floor.
// ROUNDS (default 1) repeats every measurement, side by side again each time, on the same index.
//   N=20000 [ROUNDS=3] [NODE_ARGS=--max-semi-space-size=64] npx tsx bench/profileSearch.ts
import { runBackfill } from '../src/backfill/runBackfill.ts';
import { elasticsearchUrl } from '../stack/elasticsearchService.ts';
import { kafkaBrokers } from '../stack/kafkaService.ts';
import { createIndexHarness } from '../support/indexHarness.ts';
import { loadBothSides, loadTest, loadTestWithCpu, searchPair, startPassThroughProxy, startSearchServer } from './searchLoad.ts';
import { nodeArgsFrom } from './childProcesses.ts';

const N = Number(process.env.N ?? 20_000);
const SECONDS = Number(process.env.SECONDS ?? 8);
const ROUNDS = Number(process.env.ROUNDS ?? 1);
const PROFILE_DIR = process.env.FEDSEARCH_PROFILE_DIR ?? new URL('../.fedsearch/profiles/', import.meta.url).pathname;
const profile = process.env.FEDSEARCH_PROFILE === '1';
const quiet = { update: () => {}, note: () => {}, stop: () => {} };

const h = await createIndexHarness({ elasticsearchUrl: elasticsearchUrl(), kafkaBrokers: kafkaBrokers(), movies: N });
await runBackfill(h.loaded, { rate: Number.POSITIVE_INFINITY, resume: false, newVersion: false, cleanup: false, graceSeconds: 0 }, quiet);
// The floor: a pass-through proxy in its own process, ES's bytes in and out, no parsing.
const proxy = await startPassThroughProxy(elasticsearchUrl(), h.index);
// NODE_ARGS: more options for the serve process's node (V8 flags, say).
const server = await startSearchServer(h.configFile, h.env, [...nodeArgsFrom('NODE_ARGS'), ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [])]);
const queries: Array<{ label: string; request: Record<string, unknown> }> = [
  { label: 'text', request: { query: 'shadow river', facets: [] } },
  { label: 'text + filter + facets', request: { query: 'shadow river', filter: 'releaseYear >= 1990 AND production.status IN ["RELEASED", "POST_PRODUCTION"]' } },
];
try {
  console.log(`${new Date().toISOString()}: ${N} movies, ${SECONDS} s a measurement, ${ROUNDS} round(s)`);
  for (let round = 1; round <= ROUNDS; round++) {
    for (const { label, request } of queries) {
      const pair = await searchPair(server, h.loaded, h.es, elasticsearchUrl(), request);
      for (const connections of [1, 10]) {
        const { viaFedsearch: fed, direct: es } = await loadBothSides(pair, connections, SECONDS, 2);
        await loadTest(proxy.url, pair.direct.body, connections, 2);
        const passed = await loadTestWithCpu(proxy.url, pair.direct.body, connections, SECONDS, proxy.pid);
        console.log(
          `round ${round} ${label} c${connections}: fedsearch p50 ${fed.p50} p99 ${fed.p99} ${fed.requestsPerSecond.toFixed(0)}/s | direct p50 ${es.p50} p99 ${es.p99} ${es.requestsPerSecond.toFixed(0)}/s | p50 ${(fed.p50 / Math.max(1, es.p50)).toFixed(2)}× req/s ${(fed.requestsPerSecond / es.requestsPerSecond).toFixed(2)}× | serve CPU ${fed.cpuMsPerRequest.toFixed(3)} ms/request | pass-through proxy p50 ${passed.p50} ${passed.requestsPerSecond.toFixed(0)}/s CPU ${passed.cpuMsPerRequest.toFixed(3)} ms/request, req/s ${(passed.requestsPerSecond / es.requestsPerSecond).toFixed(2)}× of direct | answers ${(fed.bytesPerResponse / 1024).toFixed(1)} KiB, direct ${(es.bytesPerResponse / 1024).toFixed(1)} KiB | failures ${fed.failures + es.failures + passed.failures}\n  serve threads ms/request: main ${fed.mainThreadCpuMsPerRequest.toFixed(2)}, other ${(fed.cpuMsPerRequest - fed.mainThreadCpuMsPerRequest).toFixed(2)}`,
        );
      }
    }
  }
} finally {
  await proxy.stop();
  await server.stop();
  await h.dispose();
}
if (profile) console.log(`profile in ${PROFILE_DIR}`);
process.exit(0);
