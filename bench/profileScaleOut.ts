// CPU per document of one `fedsearch run` process against two in one consumer group, on the fast
// graph (bench/replayGateway.ts), as bench/run.ts measures them: each run indexes WARM others
// first (default 500, untimed) and then N change events (default 6,000). Prints both runs' CPU per
// document warm and cold (over the warm-up documents) and their ratios: the quick loop for the
// "2 processes vs 1" row of the bench. BURN=1 adds a third run: one process while a busy loop in
// a process of its own takes one core, to tell contention for the cores from what a second
// indexer itself adds (smaller batches, its own consumers and connections).
//   N=6000 WARM=500 [BURN=1] npx tsx bench/profileScaleOut.ts
import { spawn } from 'node:child_process';
import { GatewayFetcher } from '../src/pipeline/gatewayFetcher.ts';
import { elasticsearchUrl } from '../stack/elasticsearchService.ts';
import { kafkaBrokers } from '../stack/kafkaService.ts';
import { entityId } from '../subgraphs/data/studioRows.ts';
import { createIndexHarness } from '../support/indexHarness.ts';
import { startFastGraph } from './fastGraph.ts';
import { describeBatching, runIndexerProcesses, type IndexerRun } from './indexerProcesses.ts';
import { nodeArgsFrom, stopChild } from './childProcesses.ts';

const N = Number(process.env.N ?? 6000);
const WARM = Number(process.env.WARM ?? 500);
const PARTITIONS = 4;
const all = Array.from({ length: N + WARM }, (_, i) => entityId('mov', i + 1));
const ids = all.slice(0, N);
const warmUp = all.slice(N);
const harness = { elasticsearchUrl: elasticsearchUrl(), kafkaBrokers: kafkaBrokers(), movies: N + WARM, pipelineSettings: '  retries: 5\n' };
const main = await createIndexHarness(harness);
const fetcher = new GatewayFetcher({ gateway: main.loaded.config.gateway, template: main.loaded.query, pipeline: main.loaded.config.pipeline });
const fast = await startFastGraph(fetcher, main.loaded.query.rootKey, all, main.graph.gatewayUrl);
const evenPartitions = (yaml: string): string => yaml.replace('partitions: { documents: 3, dlq: 1 }', `partitions: { documents: ${PARTITIONS}, dlq: 1 }`);

const run = async (processes: number, burn = false): Promise<IndexerRun> => {
  const h = await createIndexHarness({ ...harness, graph: { ...main.graph, gatewayUrl: fast.url }, sourcePartitions: PARTITIONS, edit: evenPartitions });
  const burner = burn ? spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }) : null;
  try {
    // PROFILE_DIR: each `fedsearch run` writes a CPU profile there; the timed part's window is printed to cut it.
    // NODE_ARGS: more options for the indexers' node (V8 flags, say).
    const nodeArgs = [
      ...nodeArgsFrom('NODE_ARGS'),
      ...(process.env.PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROFILE_DIR}/${processes}${burn ? 'b' : ''}`] : []),
    ];
    const result = await runIndexerProcesses(h, processes, ids, warmUp, {}, { nodeArgs, referenceWork: true });
    if (process.env.PROFILE_DIR) console.log(`${processes}${burn ? 'b' : ''}: timed part ${result.timedMonotonicUs.start}..${result.timedMonotonicUs.end} µs`);
    return result;
  } finally {
    if (burner !== null) await stopChild(burner);
    await h.dispose();
  }
};
const one = await run(1);
const oneBurning = process.env.BURN === '1' ? await run(1, true) : null;
const two = await run(2);
const ms = (value: number): string => `${value.toFixed(3)} ms`;
console.log(`1 process:  ${one.entitiesPerSecond.toFixed(0)}/s, cpu/doc ${ms(one.cpuMsPerDocument)} warm (main thread ${ms(one.mainThreadCpuMsPerDocument)}), ${ms(one.cpuMsPerDocumentCold)} cold`);
if (oneBurning !== null) {
  console.log(`1 process beside a busy loop: ${oneBurning.entitiesPerSecond.toFixed(0)}/s, cpu/doc ${ms(oneBurning.cpuMsPerDocument)} warm (${(oneBurning.cpuMsPerDocument / one.cpuMsPerDocument).toFixed(2)}× of 1 process alone)`);
}
console.log(`2 processes: ${two.entitiesPerSecond.toFixed(0)}/s, cpu/doc ${ms(two.cpuMsPerDocument)} warm (${two.cpuMsPerDocumentByProcess.map(ms).join(' + ')}; main threads ${ms(two.mainThreadCpuMsPerDocument)}), ${ms(two.cpuMsPerDocumentCold)} cold`);
for (const [what, r] of [['1 process', one], ['beside a busy loop', oneBurning], ['2 processes', two]] as const) {
  if (r !== null) console.log(`  ${what}: ${describeBatching(r.batching)}; reference work ${ms(r.referenceWork?.medianCpuMs ?? Number.NaN)} CPU (median of ${r.referenceWork?.units}); context switches per 1,000 documents ${r.contextSwitchesPer1000Documents.voluntary.toFixed(0)} voluntary, ${r.contextSwitchesPer1000Documents.involuntary.toFixed(0)} involuntary`);
}
console.log(`2 vs 1: warm ${(two.cpuMsPerDocument / one.cpuMsPerDocument).toFixed(2)}×, cold ${(two.cpuMsPerDocumentCold / one.cpuMsPerDocumentCold).toFixed(2)}×`);
await fetcher.close();
await fast.stop();
await main.dispose();
process.exit(0);
