// One `fedsearch run` process with the sink's decode workers off (`pipeline.workers: 0`) and on
// (`auto`: one fewer than the cores, at most 4), side by side in one run, against raw bulk of the
// same documents into Elasticsearch, on the fast graph (bench/replayGateway.ts): as bench/run.ts's
// fast-graph throughput row measures them (4 partitions, WARM untimed documents first, then N
// change events until all are searchable). ROUNDS pairs, the order within each pair alternating so
// that neither side always runs first; raw bulk once per round. Prints each run and the medians,
// writes bench/workers-results.json. PROFILE_DIR=<dir>: the indexers of the first PROFILE_ROUNDS
// rounds (default 1) write a CPU profile there, and the timed part's window is printed to cut it
// (bench/cpuProfileSummary.ts --from --to); profiled rounds are printed, not counted.
// ON_SETTINGS replaces the 'on' side's pipeline settings (default `workers: auto`), ON_LABEL its
// name, OUT the results file: to set another knob beside workers off in the same run (e.g.
// ON_SETTINGS='  workers: 0\n  concurrency: 16\n' ON_LABEL='workers off, concurrency 16'). OFF_CLI / ON_CLI run
// another build's cli/fedsearch.js on that side (a compiled checkout of main as the baseline of a
// code change: OFF_CLI=/tmp/base/cli/fedsearch.js ON_SETTINGS='  workers: 0\n'). Each run also says
// when Elasticsearch had acknowledged every document (written) besides when all were searchable:
// the difference is the wait for the index's next refresh (up to 1 s), which raw bulk pays too.
//   N=8000 WARM=500 ROUNDS=3 flock /tmp/fedsearch-int.lock env -u NODE_ENV npx tsx bench/workersBench.ts
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { GatewayFetcher } from '../src/pipeline/gatewayFetcher.ts';
import { autoWorkers } from '../src/pipeline/workerPool.ts';
import { elasticsearchUrl } from '../stack/elasticsearchService.ts';
import { kafkaBrokers } from '../stack/kafkaService.ts';
import { stackStatus } from '../stack/stack.ts';
import { entityId } from '../subgraphs/data/studioRows.ts';
import { createIndexHarness } from '../support/indexHarness.ts';
import { startFastGraph } from './fastGraph.ts';
import { describeBatching, runIndexerProcesses, type IndexerRun } from './indexerProcesses.ts';
import { describeMachineCpu } from './machineCpu.ts';
import { nodeArgsFrom } from './childProcesses.ts';
import { percentile } from './percentile.ts';
import { rawBulkTimes, readAllDocuments } from './rawBulk.ts';

const N = Number(process.env.N ?? 8000);
const WARM = Number(process.env.WARM ?? 500);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const PROFILE_ROUNDS = process.env.PROFILE_DIR ? Number(process.env.PROFILE_ROUNDS ?? 1) : 0;
const PARTITIONS = 4;
const ON_SETTINGS = process.env.ON_SETTINGS?.replaceAll('\\n', '\n') ?? '  workers: auto\n';
const all = Array.from({ length: N + WARM }, (_, i) => entityId('mov', i + 1));
const ids = all.slice(0, N);
const warmUp = all.slice(N);
const harness = { elasticsearchUrl: elasticsearchUrl(), kafkaBrokers: kafkaBrokers(), movies: N + WARM };
const say = (line: string): void => void process.stderr.write(`${line}\n`);

const main = await createIndexHarness({ ...harness, pipelineSettings: '  retries: 5\n' });
const fetcher = new GatewayFetcher({ gateway: main.loaded.config.gateway, template: main.loaded.query, pipeline: main.loaded.config.pipeline });
say(`recording the demo graph's answers for ${all.length} movies…`);
const fast = await startFastGraph(fetcher, main.loaded.query.rootKey, all, main.graph.gatewayUrl);
const evenPartitions = (yaml: string): string => yaml.replace('partitions: { documents: 3, dlq: 1 }', `partitions: { documents: ${PARTITIONS}, dlq: 1 }`);
const stackPids = Object.fromEntries((await stackStatus()).flatMap(({ service, state }) => (state.state === 'stopped' ? [] : [[service.title.replace(/ [\d.]+$/, ''), [state.pid]]])));
const observe = { ...stackPids, 'replay gateway': [fast.pid], 'bench (load)': [process.pid] };

type Mode = 'off' | 'on';
interface Measured {
  round: number;
  mode: Mode;
  run: IndexerRun;
}

/** One indexer over a fresh index of the fast graph; raw bulk of its documents afterwards when asked. */
async function measure(round: number, mode: Mode, withRawBulk: boolean): Promise<{ measured: Measured; rawBulk: RawBulk | null }> {
  const h = await createIndexHarness({
    ...harness,
    graph: { ...main.graph, gatewayUrl: fast.url },
    pipelineSettings: `  retries: 5\n${mode === 'on' ? ON_SETTINGS : '  workers: 0\n'}`,
    sourcePartitions: PARTITIONS,
    edit: evenPartitions,
  });
  try {
    const profiled = round <= PROFILE_ROUNDS;
    const nodeArgs = [...nodeArgsFrom('NODE_ARGS'), ...(profiled ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROFILE_DIR}/${round}-${mode}`] : [])];
    const cli = mode === 'on' ? process.env.ON_CLI : process.env.OFF_CLI;
    const run = await runIndexerProcesses(h, 1, ids, warmUp, observe, { nodeArgs, ...(cli ? { cli } : {}) });
    if (profiled) say(`${round}-${mode}: timed part ${run.timedMonotonicUs.start}..${run.timedMonotonicUs.end} µs`);
    say(`round ${round}, workers ${mode}: ${run.entitiesPerSecond.toFixed(0)}/s (written after ${run.writtenSeconds.toFixed(2)} s, searchable after ${(ids.length / run.entitiesPerSecond).toFixed(2)} s; until written: ${describeMachineCpu(run.machineCpuUntilWritten)}), CPU per document ${run.cpuMsPerDocument.toFixed(3)} ms (main thread ${run.mainThreadCpuMsPerDocument.toFixed(3)} ms); ${describeMachineCpu(run.machineCpu)}`);
    let rawBulk: RawBulk | null = null;
    if (withRawBulk) {
      const documents = await readAllDocuments(h.es, h.index, 'movieId');
      rawBulk = await rawBulkTimes(h.es, `${h.index}_v90`, documents);
      say(`round ${round}: raw bulk ${rawBulk.documentsPerSecond.toFixed(0)}/s (written after ${rawBulk.writtenSeconds.toFixed(2)} s, searchable after ${rawBulk.searchableSeconds.toFixed(2)} s)`);
    }
    return { measured: { round, mode, run }, rawBulk };
  } finally {
    await h.dispose();
  }
}

type RawBulk = Awaited<ReturnType<typeof rawBulkTimes>>;
const runs: Measured[] = [];
const rawBulks: number[] = [];
const rawBulkWritten: number[] = [];
try {
  for (let round = 1; round <= PROFILE_ROUNDS + ROUNDS; round++) {
    const order: Mode[] = round % 2 === 1 ? ['off', 'on'] : ['on', 'off'];
    for (const mode of order) {
      const { measured, rawBulk } = await measure(round, mode, mode === 'off');
      if (round <= PROFILE_ROUNDS) continue;
      runs.push(measured);
      if (rawBulk !== null) {
        rawBulks.push(rawBulk.documentsPerSecond);
        rawBulkWritten.push(rawBulk.writtenSeconds);
      }
    }
  }
} finally {
  await fetcher.close();
  await fast.stop();
  await main.dispose();
}

const median = (values: number[]): number => percentile([...values].sort((a, b) => a - b), 50);
const of = (mode: Mode): IndexerRun[] => runs.filter((r) => r.mode === mode).map((r) => r.run);
const summary = (mode: Mode) => {
  const modeRuns = of(mode);
  return {
    entitiesPerSecond: modeRuns.map((r) => r.entitiesPerSecond),
    cpuMsPerDocument: modeRuns.map((r) => r.cpuMsPerDocument),
    mainThreadCpuMsPerDocument: modeRuns.map((r) => r.mainThreadCpuMsPerDocument),
    peakRssMiB: modeRuns.map((r) => r.peakRssMiB[0] ?? Number.NaN),
    idleShare: modeRuns.map((r) => r.machineCpu.idle),
    batching: modeRuns.map((r) => describeBatching(r.batching)),
    vsRawBulk: modeRuns.map((r, n) => r.entitiesPerSecond / (rawBulks[n] ?? Number.NaN)),
    writtenSeconds: modeRuns.map((r) => r.writtenSeconds),
    // Raw bulk's seconds until written over this side's, in the same round: the rate ratio without the refresh wait.
    writtenVsRawBulk: modeRuns.map((r, n) => (rawBulkWritten[n] ?? Number.NaN) / r.writtenSeconds),
    idleUntilWritten: modeRuns.map((r) => r.machineCpuUntilWritten.idle),
    fedsearchShareUntilWritten: modeRuns.map((r) => r.machineCpuUntilWritten.shares['fedsearch run'] ?? Number.NaN),
    elasticsearchShareUntilWritten: modeRuns.map((r) => r.machineCpuUntilWritten.shares['Elasticsearch'] ?? Number.NaN),
  };
};
const results = {
  date: new Date().toISOString(),
  machine: { cores: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown CPU', autoWorkers: autoWorkers() },
  sizes: { events: N, warmUp: WARM, rounds: ROUNDS, partitions: PARTITIONS },
  onSettings: ON_SETTINGS,
  rawBulk: rawBulks,
  rawBulkWrittenSeconds: rawBulkWritten,
  off: summary('off'),
  on: summary('on'),
};
writeFileSync(new URL(process.env.OUT ?? './workers-results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
const f = (values: number[], digits = 0): string => `${median(values).toFixed(digits)} (${values.map((v) => v.toFixed(digits)).join(', ')})`;
console.log(`| one \`fedsearch run\`, fast graph (${N} events → searchable, after ${WARM} untimed; ${ROUNDS} rounds, median (each)) | entities/s | vs raw bulk | CPU per document, ms | main thread, ms | peak RSS MiB |`);
console.log('|---|---|---|---|---|---|');
for (const mode of ['off', 'on'] as const) {
  const s = results[mode];
  const label = mode === 'off' ? 'decode workers off (`pipeline.workers: 0`)' : (process.env.ON_LABEL ?? `decode workers on (\`auto\`: ${autoWorkers()} here)`);
  console.log(`| ${label} | ${f(s.entitiesPerSecond)} | ${f(s.vsRawBulk, 2)} | ${f(s.cpuMsPerDocument, 3)} | ${f(s.mainThreadCpuMsPerDocument, 3)} | ${f(s.peakRssMiB)} |`);
}
console.log(`| raw bulk of the same documents (1,000/request, 2 in flight) | ${f(rawBulks)} | 1.00 | | | |`);
console.log(`on vs off: rate ${(median(results.on.entitiesPerSecond) / median(results.off.entitiesPerSecond)).toFixed(2)}×, CPU per document ${(median(results.on.cpuMsPerDocument) / median(results.off.cpuMsPerDocument)).toFixed(2)}×, main thread ${(median(results.on.mainThreadCpuMsPerDocument) / median(results.off.mainThreadCpuMsPerDocument)).toFixed(2)}×`);
for (const mode of ['off', 'on'] as const) {
  const s = results[mode];
  console.log(`${mode}: written after ${f(s.writtenSeconds, 2)} s, raw bulk's written time over it ${f(s.writtenVsRawBulk, 2)}, machine idle until written ${f(s.idleUntilWritten.map((v) => v * 100))}%`);
}
console.log(`raw bulk written after ${f(rawBulkWritten, 2)} s`);
for (const r of runs) console.log(`  round ${r.round} ${r.mode}: ${describeMachineCpu(r.run.machineCpu)}; until written: ${describeMachineCpu(r.run.machineCpuUntilWritten)}; ${describeBatching(r.run.batching)}`);
process.exit(0);
