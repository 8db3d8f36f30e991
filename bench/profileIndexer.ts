// Where a `fedsearch run` process spends its CPU when the graph costs next to nothing: a studio of
// N movies (default 4,000), their answers replayed by the fast graph (bench/replayGateway.ts), one
// `fedsearch run` child (with `--cpu-prof` unless FEDSEARCH_PROFILE=0) indexing N change events.
// Prints the rate, CPU per document and resident memory (peak after start-up, and after
// indexing); the profile lands in FEDSEARCH_PROFILE_DIR (default .fedsearch/profiles) for Chrome DevTools.
// FEDSEARCH_NODE_ARGS passes Node/V8 flags to the child (e.g. --max-old-space-size=96).
// TIMELINE=1 prints, every 250 ms, the events decoded, documents fetched and written (the child's
// /metrics), the documents searchable and the child's CPU so far: which stage the others wait on.
//   N=4000 npx tsx bench/profileIndexer.ts
import { spawn } from 'node:child_process';
import { GatewayFetcher } from '../src/pipeline/gatewayFetcher.ts';
import { pipelineTopology } from '../src/index/pipelineTopology.ts';
import { elasticsearchUrl } from '../stack/elasticsearchService.ts';
import { kafkaBrokers } from '../stack/kafkaService.ts';
import { entityId } from '../subgraphs/data/studioRows.ts';
import { createIndexHarness } from '../support/indexHarness.ts';
import { startFastGraph } from './fastGraph.ts';
import { waitForStableGroup } from './consumerGroups.ts';
import { produceMovieEvents, waitUntilSearchable } from './movieEvents.ts';
import { nodeArgsFrom, stopChild } from './childProcesses.ts';
import { cpuMsOf, peakRssMiBOf } from './processStats.ts';
import { metricSum, scrape } from './prometheusText.ts';
const N = Number(process.env.N ?? 4000);
const PROFILE_DIR = process.env.FEDSEARCH_PROFILE_DIR ?? new URL('../.fedsearch/profiles/', import.meta.url).pathname;
const ids = Array.from({ length: N }, (_, i) => entityId('mov', i + 1));
const main = await createIndexHarness({ elasticsearchUrl: elasticsearchUrl(), kafkaBrokers: kafkaBrokers(), movies: N, pipelineSettings: '  retries: 5\n' });
const fetcher = new GatewayFetcher({ gateway: main.loaded.config.gateway, template: main.loaded.query, pipeline: main.loaded.config.pipeline });
const fast = await startFastGraph(fetcher, main.loaded.query.rootKey, ids, main.graph.gatewayUrl);
const h = await createIndexHarness({ elasticsearchUrl: elasticsearchUrl(), kafkaBrokers: kafkaBrokers(), movies: N, graph: { ...main.graph, gatewayUrl: fast.url }, pipelineSettings: '  retries: 5\n' });
const profile = process.env.FEDSEARCH_PROFILE !== '0';
const child = spawn(process.execPath, [...(profile ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : []), ...nodeArgsFrom('FEDSEARCH_NODE_ARGS'), new URL('../cli/fedsearch.js', import.meta.url).pathname, 'run', h.configFile], { env: { ...process.env, ...h.env, FEDSEARCH_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] });
let childStderr = '';
child.stderr?.on('data', (chunk: Buffer) => {
  childStderr += chunk.toString();
  process.stderr.write(chunk);
});
const t = pipelineTopology(h.loaded);
await waitForStableGroup(h.kafka, t.enrichGroup, 1);
await waitForStableGroup(h.kafka, t.sinkGroup, 1);
const idleRssMiB = peakRssMiBOf(child.pid as number);
const before = cpuMsOf(child.pid as number);
const start = performance.now();
const produced = produceMovieEvents(h.kafka, h.loaded.config.primary.events[0]?.topic as string, ids);
if (process.env.TIMELINE === '1') await printTimeline();
await produced;
await waitUntilSearchable(h.es, h.index, ids.length);
const secs = (performance.now() - start) / 1000;
console.log(
  `${profile ? `profile in ${PROFILE_DIR}; ` : ''}rate ${(N / secs).toFixed(0)}/s cpu/doc ${((cpuMsOf(child.pid as number) - before) / N).toFixed(3)} ms; peak RSS after start-up ${idleRssMiB.toFixed(0)} MiB, after indexing ${peakRssMiBOf(child.pid as number).toFixed(0)} MiB`,
);
await stopChild(child);
await fast.stop();
await h.dispose();
await main.dispose();
process.exit(0);

/** Until every document is searchable: one line every 250 ms of what each stage has done so far. */
async function printTimeline(): Promise<void> {
  const metricsUrl = /(http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(childStderr)?.[1];
  if (!metricsUrl) throw new Error('the child did not print its /metrics address');
  for (;;) {
    const text = await scrape(metricsUrl);
    const { count } = await h.es.count({ index: h.index });
    const column = (label: string, value: number): string => `${label} ${value.toFixed(0).padStart(6)}`;
    console.log(
      [
        `${(performance.now() - start).toFixed(0).padStart(6)} ms`,
        column('events', metricSum(text, 'fedsearch_events_total')),
        column('fetched', metricSum(text, 'fedsearch_documents_fetched_total')),
        column('written', metricSum(text, 'fedsearch_documents_written_total')),
        column('searchable', count),
        column('cpu ms', cpuMsOf(child.pid as number) - before),
      ].join('  '),
    );
    if (count >= N) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
