// `npm run bench`: everything measured side by side in one run, on this machine, against the
// local stack, with the baselines from the same run. Prints markdown tables and writes them to
// bench/results.md; the same figures to bench/results.json (keys in bench/benchResults.ts) and two
// charts, bench/throughput.svg and bench/freshness.svg.
//   FEDSEARCH_BENCH_MOVIES   studio size (default 100,000 movies)
//   FEDSEARCH_BENCH_EVENTS   change events per end-to-end throughput run (default 20,000)
//   FEDSEARCH_BENCH_NAIVE    events for the naive pipeline (default 2,000: it is slow)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BackfillProgress } from '../src/backfill/backfillProgress.ts';
import { runBackfill } from '../src/backfill/runBackfill.ts';
import { GatewayFetcher } from '../src/pipeline/gatewayFetcher.ts';
import { elasticsearchUrl } from '../stack/elasticsearchService.ts';
import { kafkaBrokers } from '../stack/kafkaService.ts';
import { stackDown, stackServices, stackStatus, stackUp } from '../stack/stack.ts';
import { HUB_TALENT_ID } from '../subgraphs/data/generateStudio.ts';
import { entityId } from '../subgraphs/data/studioRows.ts';
import { createIndexHarness, type IndexHarness } from '../support/indexHarness.ts';
import type { BenchResults } from './benchResults.ts';
import { renderCharts } from './charts.ts';
import { renameThroughGraph, timeFanout, timeFanoutOnReplay } from './fanout.ts';
import { startFastGraph } from './fastGraph.ts';
import { describeBatching, runIndexerProcesses, startIndexerProcess, type IndexerRun } from './indexerProcesses.ts';
import { describeMachineCpu } from './machineCpu.ts';
import { metricSum, scrape } from './prometheusText.ts';
import { runNaivePipeline } from './naivePipeline.ts';
import { percentile } from './percentile.ts';
import { rawBulkRate, readAllDocuments } from './rawBulk.ts';
import { loadBothSides, loadTest, loadTestWithCpu, searchPair, startPassThroughProxy, startSearchServer, type LoadResult, type SearchPair } from './searchLoad.ts';

const MOVIES = Number(process.env.FEDSEARCH_BENCH_MOVIES ?? 100_000);
const EVENTS = Math.min(MOVIES, Number(process.env.FEDSEARCH_BENCH_EVENTS ?? 20_000));
const NAIVE_EVENTS = Math.min(EVENTS, Number(process.env.FEDSEARCH_BENCH_NAIVE ?? 2_000));
const CAPPED_ENTITIES = Math.min(MOVIES, 3_000);
const HUB_MOVIES = 1_000;
/** Fan-out measurements per graph (the median is reported). */
const FANOUT_ROUNDS = 3;
const SEARCH_CONNECTIONS = 10;
/** Related-heavy traffic: this many talent renames a second, for this long. */
const RENAMES_PER_SECOND = 20;
const RENAME_SECONDS = 60;
/** Partitions of the change-event and documents topics, even so that two processes can split them. */
const PARTITIONS = 4;
const SEARCH_SECONDS = 10;
/** Discarded load before each measured one: first queries pay for cold caches and JIT on both sides. */
const SEARCH_WARMUP_SECONDS = 2;
const quiet: BackfillProgress = { update: () => {}, note: () => {}, stop: () => {} };
const say = (line: string): void => void process.stderr.write(`${line}\n`);
const fixed = (value: number, digits = 0): string => value.toFixed(digits);
const movieIds = (count: number): string[] => Array.from({ length: count }, (_, i) => entityId('mov', i + 1));
/** Movies outside the measured ones, fetched or indexed first so that neither side is timed cold. */
const WARM_UP_IDS = movieIds(Math.min(MOVIES, EVENTS + 500)).slice(EVENTS);

const started = await stackUp(say);
say(`studio of ${MOVIES} movies…`);
const evenPartitions = (yaml: string): string => yaml.replace('partitions: { documents: 3, dlq: 1 }', `partitions: { documents: ${PARTITIONS}, dlq: 1 }`);
const main = await createIndexHarness({
  elasticsearchUrl: elasticsearchUrl(),
  kafkaBrokers: kafkaBrokers(),
  movies: MOVIES,
  hubTalentMovies: HUB_MOVIES,
  pipelineSettings: '  retries: 5\n',
});
/** A fresh, empty index (own topics and groups) over the same graph, or over another gateway at `gatewayUrl`. */
const freshIndex = (gatewayUrl = main.graph.gatewayUrl): Promise<IndexHarness> =>
  createIndexHarness({
    elasticsearchUrl: elasticsearchUrl(),
    kafkaBrokers: kafkaBrokers(),
    movies: MOVIES,
    graph: { ...main.graph, gatewayUrl },
    pipelineSettings: '  retries: 5\n',
    sourcePartitions: PARTITIONS,
    edit: evenPartitions,
  });

const rows: string[] = [];
const results: Partial<BenchResults> = {
  date: new Date().toISOString().slice(0, 10),
  machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown CPU', memoryGiB: Math.round(totalmem() / 2 ** 30) },
  sizes: { movies: MOVIES, events: EVENTS, naiveEvents: NAIVE_EVENTS },
};
try {
  const ids = movieIds(EVENTS);
  let fastFanout: number[] = [];

  // ── Indexing throughput, end to end, against its limits and a naive pipeline ──────────────
  say(`gateway fetch ceiling over ${EVENTS} movies (same batching and concurrency, no Kafka, no Elasticsearch)…`);
  const fetcher = new GatewayFetcher({ gateway: main.loaded.config.gateway, template: main.loaded.query, pipeline: main.loaded.config.pipeline });
  const fetchRate = await fetchLimit(fetcher, ids);

  // Whose CPU the indexing runs compete with: the stack's services (by title) and this process.
  const stackPids = Object.fromEntries((await stackStatus()).flatMap(({ service, state }) => (state.state === 'stopped' ? [] : [[service.title.replace(/ [\d.]+$/, ''), [state.pid]]])));

  /** The throughput rows against one graph: fedsearch with 1 and 2 processes, raw bulk, naive. */
  const throughput = async (graphName: string, gatewayUrl: string, fetchLimit: number, graphProcesses: Record<string, number[]>) => {
    const observe = { ...stackPids, ...graphProcesses };
    say(`[${graphName}] end to end, one \`fedsearch run\` process: ${EVENTS} change events in Kafka → searchable…`);
    const one = await freshIndex(gatewayUrl);
    const oneRun = await runIndexerProcesses(one, 1, ids, WARM_UP_IDS, observe);
    say(`[${graphName}] raw bulk: the same documents straight into Elasticsearch…`);
    const documents = await readAllDocuments(one.es, one.index, 'movieId');
    const bulkRate = await rawBulkRate(one.es, `${one.index}_v90`, documents);
    await one.dispose();
    say(`[${graphName}] end to end, two \`fedsearch run\` processes in one group…`);
    const two = await freshIndex(gatewayUrl);
    const twoRun = await runIndexerProcesses(two, 2, ids, WARM_UP_IDS, observe);
    await two.dispose();
    say(`[${graphName}] naive pipeline (one GraphQL request and one index request per event) over ${NAIVE_EVENTS} events…`);
    const naive = await freshIndex(gatewayUrl);
    const naiveRate = await runNaivePipeline(naive, ids.slice(0, NAIVE_EVENTS));
    await naive.dispose();

    const e2e = oneRun.entitiesPerSecond;
    const cpu = (run: IndexerRun): string =>
      `${fixed(run.cpuMsPerDocument, 3)} ms, main thread ${fixed(run.mainThreadCpuMsPerDocument, 3)} ms (cold, the first ${WARM_UP_IDS.length}: ${fixed(run.cpuMsPerDocumentCold, 3)} ms)`;
    const split = (run: IndexerRun): string => run.partitions.map((p) => `${p.events}/${p.documents}`).join(' and ');
    rows.push(`| indexing throughput, ${graphName} (${EVENTS} change events in Kafka → searchable, after ${WARM_UP_IDS.length} others not timed) | entities/s | fedsearch (1 process) vs this | CPU per document (user+system, all \`fedsearch run\` processes) |`, '|---|---|---|---|');
    rows.push(`| **fedsearch, 1 \`fedsearch run\` process** | **${fixed(e2e)}** | 1.00 | ${cpu(oneRun)} |`);
    rows.push(`| fedsearch, 2 processes in one consumer group (event/document partitions each: ${split(twoRun)}) | ${fixed(twoRun.entitiesPerSecond)} | ${fixed(e2e / twoRun.entitiesPerSecond, 2)} (2 vs 1: ${fixed(twoRun.entitiesPerSecond / e2e, 2)}×) | ${cpu(twoRun)} (${fixed(twoRun.cpuMsPerDocument / oneRun.cpuMsPerDocument, 2)}× of 1 process) |`);
    rows.push(`| limit: gateway fetch alone, same batching (25/request, 4 in flight) | ${fixed(fetchLimit)} | ${fixed(e2e / fetchLimit, 2)} | |`);
    rows.push(`| limit: raw bulk of the same documents into Elasticsearch (1,000/request, 2 in flight) | ${fixed(bulkRate)} | ${fixed(e2e / bulkRate, 2)} | |`);
    rows.push(`| baseline: naive pipeline, one GraphQL + one index request per event (${NAIVE_EVENTS} events) | ${fixed(naiveRate)} | ${fixed(e2e / naiveRate, 1)}× faster | |`);
    rows.push(`| peak RSS (VmHWM) of a \`fedsearch run\` process | 1 process: ${fixed(oneRun.peakRssMiB[0] ?? Number.NaN)} MiB; 2 processes: ${twoRun.peakRssMiB.map((m) => fixed(m)).join(' and ')} MiB | | |`, '');
    rows.push(`Where the machine's cores went while the timed documents were indexed (share of both cores' time): 1 process — ${describeMachineCpu(oneRun.machineCpu)}; 2 processes — ${describeMachineCpu(twoRun.machineCpu)}.`, '');
    rows.push(`How the timed documents were batched: 1 process — ${describeBatching(oneRun.batching)}; 2 processes — ${describeBatching(twoRun.batching)}.`, '');
    return { oneRun, twoRun, row: { fedsearch1: e2e, fedsearch2: twoRun.entitiesPerSecond, rawBulk: bulkRate, naive: naiveRate, fetchLimit } };
  };

  const demo = await throughput('demo graph', main.graph.gatewayUrl, fetchRate, { 'bench (demo graph, load)': [process.pid] });
  results.demoGraph = demo.row;

  say(`the fast graph: recording the demo graph's answers for ${EVENTS} movies, replayed by a gateway stand-in in its own process…`);
  const fast = await startFastGraph(fetcher, main.loaded.query.rootKey, [...ids, ...WARM_UP_IDS], main.graph.gatewayUrl);
  try {
    const fastProbe = await freshIndex(fast.url);
    const fastFetcher = new GatewayFetcher({ gateway: fastProbe.loaded.config.gateway, template: fastProbe.loaded.query, pipeline: fastProbe.loaded.config.pipeline });
    const fastFetchRate = await fetchLimit(fastFetcher, ids);
    await fastFetcher.close();
    await fastProbe.dispose();
    const replayed = await throughput('fast graph (replay gateway)', fast.url, fastFetchRate, { 'replay gateway': [fast.pid], 'bench (load)': [process.pid] });
    results.fastGraph = replayed.row;
    results.cpuMsPerDocument = { demoGraph: demo.oneRun.cpuMsPerDocument, fastGraph: replayed.oneRun.cpuMsPerDocument, fastGraph2Processes: replayed.twoRun.cpuMsPerDocument };
    results.cpuMsPerDocumentCold = { demoGraph: demo.oneRun.cpuMsPerDocumentCold, fastGraph: replayed.oneRun.cpuMsPerDocumentCold, fastGraph2Processes: replayed.twoRun.cpuMsPerDocumentCold };
    results.mainThreadCpuMsPerDocument = { demoGraph: demo.oneRun.mainThreadCpuMsPerDocument, fastGraph: replayed.oneRun.mainThreadCpuMsPerDocument, fastGraph2Processes: replayed.twoRun.mainThreadCpuMsPerDocument };
    results.batching = { fastGraph: replayed.oneRun.batching, fastGraph2Processes: replayed.twoRun.batching };
    results.machineCpu = { demoGraph: demo.oneRun.machineCpu, fastGraph: replayed.oneRun.machineCpu, fastGraph2Processes: replayed.twoRun.machineCpu };
    results.peakRssMiB = Math.max(...demo.oneRun.peakRssMiB, ...demo.twoRun.peakRssMiB, ...replayed.oneRun.peakRssMiB, ...replayed.twoRun.peakRssMiB);

    say(`[fast graph (replay gateway)] reverse-lookup fan-out: one talent in ${HUB_MOVIES} movies, ${FANOUT_ROUNDS} times…`);
    const hub = await freshIndex(fast.url);
    fastFanout = (await timeFanoutOnReplay(hub, fast.url, movieIds(HUB_MOVIES), HUB_MOVIES, FANOUT_ROUNDS)).sort((a, b) => a - b);
    await hub.dispose();
  } finally {
    await fast.stop();
  }

  // ── Backfill ────────────────────────────────────────────────────────────────────────────────
  say(`backfill of all ${MOVIES} movies, uncapped…`);
  const uncapped = await runBackfill(main.loaded, { rate: Number.POSITIVE_INFINITY, resume: false, newVersion: false, cleanup: true, graceSeconds: 0 }, quiet);
  const cap = main.loaded.config.backfill.rate;
  say(`backfill of ${CAPPED_ENTITIES} movies (--ids-file) at the default cap ${cap}/s…`);
  const idsFile = join(mkdtempSync(join(tmpdir(), 'fedsearch-bench-')), 'ids.txt');
  writeFileSync(idsFile, `${movieIds(CAPPED_ENTITIES).join('\n')}\n`);
  const capped = await runBackfill(main.loaded, { rate: cap, resume: false, idsFile, newVersion: false, cleanup: true, graceSeconds: 0 }, quiet);
  rows.push('| backfill | entities/s | vs gateway fetch alone |', '|---|---|---|');
  rows.push(`| uncapped, all ${MOVIES} movies (enumerate → fetch → documents topic → Elasticsearch) | ${fixed(uncapped.rate)} | ${fixed(uncapped.rate / fetchRate, 2)} |`);
  rows.push(`| at the default cap ${cap}/s (${CAPPED_ENTITIES} movies) | ${fixed(capped.rate)} (${fixed((capped.rate / cap) * 100)}% of the cap) | ${fixed(capped.rate / fetchRate, 2)} |`, '');

  // ── Freshness and fan-out (a `fedsearch run` process keeping the backfilled index in step) ───
  say('freshness: mutations at a steady 5/s, each until searchable…');
  const pipeline = await startIndexerProcess(main);
  const searchable = async (title: string): Promise<boolean> => {
    const response = await main.es.search({ index: main.index, query: { term: { 'title.keyword': title } }, size: 0 });
    return (typeof response.hits.total === 'number' ? response.hits.total : (response.hits.total?.value ?? 0)) > 0;
  };
  const waitSearchable = async (title: string, from: number): Promise<number> => {
    while (!(await searchable(title))) await sleep(10);
    return performance.now() - from;
  };
  const freshness: number[] = [];
  await Promise.all(
    Array.from({ length: 60 }, async (_, i) => {
      await sleep(i * 200);
      const title = `Freshness ${i} ${Date.now()}`;
      const from = performance.now();
      await main.gql('mutation($id: ID!, $title: String) { updateMovie(movieId: $id, patch: { title: $title }) { movieId } }', { id: ids[i * 7] as string, title });
      freshness.push(await waitSearchable(title, from));
    }),
  );
  freshness.sort((a, b) => a - b);
  // Baseline: the same wait for a document written straight to Elasticsearch (its refresh interval).
  const direct: number[] = [];
  for (let i = 0; i < 30; i++) {
    const title = `Direct ${i} ${Date.now()}`;
    const from = performance.now();
    await main.es.index({ index: main.index, id: `bench-direct-${i}`, document: { movieId: `bench-direct-${i}`, title, genres: [], originalLanguage: 'en', updatedAt: '2026-01-01T00:00:00.000Z', cast: [] } });
    direct.push(await waitSearchable(title, from));
    await sleep(137);
  }
  direct.sort((a, b) => a - b);
  for (let i = 0; i < 30; i++) await main.es.delete({ index: main.index, id: `bench-direct-${i}` }).catch(() => undefined);
  rows.push('| freshness: change → searchable | p50 ms | p95 ms | p99 ms |', '|---|---|---|---|');
  rows.push(`| subgraph mutation → fedsearch → searchable (60 mutations at 5/s) | ${fixed(percentile(freshness, 50))} | ${fixed(percentile(freshness, 95))} | ${fixed(percentile(freshness, 99))} |`);
  rows.push(`| baseline: a document written straight to Elasticsearch → searchable | ${fixed(percentile(direct, 50))} | ${fixed(percentile(direct, 95))} | ${fixed(percentile(direct, 99))} |`, '');
  results.freshnessMs = { p50: percentile(freshness, 50), p95: percentile(freshness, 95), p99: percentile(freshness, 99) };

  say(`related-heavy traffic: ${RENAMES_PER_SECOND} talent renames/s for ${RENAME_SECONDS} s, each until searchable…`);
  const heavy = await relatedHeavy(pipeline.metricsUrl);
  rows.push('| related-heavy traffic | renames | freshness p50 / p95 / p99 ms | forced index refreshes per minute | related batches per minute (one refresh each before) |', '|---|---|---|---|---|');
  rows.push(`| ${RENAMES_PER_SECOND} talent renames/s for ${RENAME_SECONDS} s (each until a movie crediting them shows it) | ${heavy.renames} | ${fixed(heavy.p50)} / ${fixed(heavy.p95)} / ${fixed(heavy.p99)} | ${fixed(heavy.refreshesPerMinute)} | ${fixed(heavy.batchesPerMinute)} |`, '');
  results.relatedHeavy = { renamesPerSecond: RENAMES_PER_SECOND, seconds: RENAME_SECONDS, freshnessP50Ms: heavy.p50, freshnessP99Ms: heavy.p99, refreshesPerMinute: heavy.refreshesPerMinute };

  say(`reverse-lookup fan-out: one talent in ${HUB_MOVIES} movies, ${FANOUT_ROUNDS} times…`);
  // Its bound on the demo graph: the same ${HUB_MOVIES} movies fetched alone, same batching.
  const fetchStarted = performance.now();
  await fetcher.fetch(movieIds(HUB_MOVIES));
  const hubFetchMs = performance.now() - fetchStarted;
  const demoFanout = (await timeFanout(main, HUB_MOVIES, FANOUT_ROUNDS, renameThroughGraph(main))).sort((a, b) => a - b);
  await pipeline.stop();
  rows.push(`| reverse-lookup fan-out: one Talent change until all ${HUB_MOVIES} movies crediting them are searchable with it (median of ${FANOUT_ROUNDS}; all) | ms |`, '|---|---|');
  rows.push(`| demo graph | ${fixed(percentile(demoFanout, 50))} (${demoFanout.map((ms) => fixed(ms)).join(', ')}) |`);
  rows.push(`| limit: the demo graph fetching those ${HUB_MOVIES} movies alone, same batching (no Kafka, no Elasticsearch) | ${fixed(hubFetchMs)} |`);
  if (fastFanout.length > 0) rows.push(`| fast graph (replay gateway; the rename replayed, its change event put on the talent topic) | ${fixed(percentile(fastFanout, 50))} (${fastFanout.map((ms) => fixed(ms)).join(', ')}) |`);
  rows.push('');
  results.fanout1000Ms = percentile(demoFanout, 50);
  results.fanout = { demoGraphMs: demoFanout, demoGraphFetchAloneMs: hubFetchMs, fastGraphMs: fastFanout };

  // ── Search: fedsearch's HTTP API against the same queries sent straight to Elasticsearch ──
  const search = await startSearchServer(main.configFile, main.env);
  const queries: Array<{ label: string; request: Record<string, unknown> }> = [
    { label: 'text', request: { query: 'shadow river', facets: [] } },
    { label: 'text + filter', request: { query: 'shadow river', filter: 'releaseYear >= 1990 AND production.status IN ["RELEASED", "POST_PRODUCTION"]', facets: [] } },
    {
      label: `text + filter + ${main.loaded.fields.filter((field) => field.facet).length} facets`,
      request: { query: 'shadow river', filter: 'releaseYear >= 1990 AND production.status IN ["RELEASED", "POST_PRODUCTION"]' },
    },
  ];
  rows.push(
    `| search (${SEARCH_CONNECTIONS} connections unless marked, ${SEARCH_SECONDS} s each after ${SEARCH_WARMUP_SECONDS} s of warm-up, ${MOVIES} movies) | fedsearch p50 / p99 ms | fedsearch req/s | Elasticsearch direct p50 / p99 ms | direct req/s | overhead (p50 ratio, req/s ratio) |`,
    '|---|---|---|---|---|---|',
  );
  const failed: string[] = [];
  let searchCpuRow = '';
  const check = <Result extends LoadResult>(label: string, result: Result): Result => {
    if (result.failures > 0) failed.push(`${label}: ${result.failures} failed requests`);
    return result;
  };
  const pairOf = (request: Record<string, unknown>): Promise<SearchPair> => searchPair(search, main.loaded, main.es, elasticsearchUrl(), request);
  const overhead = (viaFedsearch: LoadResult, direct: LoadResult): string =>
    `${fixed(viaFedsearch.p50 / Math.max(1, direct.p50), 2)}, ${fixed(viaFedsearch.requestsPerSecond / direct.requestsPerSecond, 2)}`;
  const searchRow = (label: string, viaFedsearch: LoadResult, direct: LoadResult): string =>
    `| ${label} | ${viaFedsearch.p50} / ${viaFedsearch.p99} | ${fixed(viaFedsearch.requestsPerSecond)} | ${direct.p50} / ${direct.p99} | ${fixed(direct.requestsPerSecond)} | ${overhead(viaFedsearch, direct)} |`;
  try {
    {
      // One connection: latency with no queueing, fedsearch against the same body sent directly.
      const [{ label, request }] = queries as [{ label: string; request: Record<string, unknown> }];
      say(`search latency at 1 connection: ${label}…`);
      const { viaFedsearch, direct } = await loadBothSides(await pairOf(request), 1, SEARCH_SECONDS, SEARCH_WARMUP_SECONDS);
      check(`fedsearch c1 ${label}`, viaFedsearch);
      check(`direct c1 ${label}`, direct);
      rows.push(searchRow(`${label}, **1 connection**`, viaFedsearch, direct));
      results.search = {
        c1: { p50Ratio: viaFedsearch.p50 / Math.max(1, direct.p50), p50Ms: viaFedsearch.p50, p99Ms: viaFedsearch.p99, directP50Ms: direct.p50, directP99Ms: direct.p99 },
        c10: { reqPerSecRatio: Number.NaN, reqPerSec: Number.NaN, directReqPerSec: Number.NaN, p50Ratio: Number.NaN },
        cpuMsPerRequest: { fedsearch: Number.NaN, passThroughProxy: Number.NaN, passThroughReqPerSecRatio: Number.NaN },
      };
    }
    for (const { label, request } of queries) {
      say(`search load: ${label}…`);
      const pair = await pairOf(request);
      const { viaFedsearch, direct } = await loadBothSides(pair, SEARCH_CONNECTIONS, SEARCH_SECONDS, SEARCH_WARMUP_SECONDS);
      check(`fedsearch ${label}`, viaFedsearch);
      check(`direct ${label}`, direct);
      rows.push(searchRow(label, viaFedsearch, direct));
      if (label === queries[0]?.label && results.search) {
        results.search.c10 = {
          reqPerSecRatio: viaFedsearch.requestsPerSecond / direct.requestsPerSecond,
          reqPerSec: viaFedsearch.requestsPerSecond,
          directReqPerSec: direct.requestsPerSecond,
          p50Ratio: viaFedsearch.p50 / Math.max(1, direct.p50),
        };
        // The floor: the same body through a Node.js proxy that only passes bytes through.
        const proxy = await startPassThroughProxy(elasticsearchUrl(), main.index);
        try {
          await loadTest(proxy.url, pair.direct.body, SEARCH_CONNECTIONS, SEARCH_WARMUP_SECONDS);
          const passed = check(`pass-through ${label}`, await loadTestWithCpu(proxy.url, pair.direct.body, SEARCH_CONNECTIONS, SEARCH_SECONDS, proxy.pid));
          results.search.cpuMsPerRequest = { fedsearch: viaFedsearch.cpuMsPerRequest, passThroughProxy: passed.cpuMsPerRequest, passThroughReqPerSecRatio: passed.requestsPerSecond / direct.requestsPerSecond };
          rows.push(`| ${label} through a pass-through Node.js proxy (bytes in, bytes out: the floor of any service in front) | ${passed.p50} / ${passed.p99} | ${fixed(passed.requestsPerSecond)} | | | ${overhead(passed, direct)} |`);
          searchCpuRow = `CPU per request at ${SEARCH_CONNECTIONS} connections (${label}, user + system): \`fedsearch serve\` ${fixed(viaFedsearch.cpuMsPerRequest, 2)} ms, the pass-through proxy ${fixed(passed.cpuMsPerRequest, 2)} ms.`;
        } finally {
          await proxy.stop();
        }
      }
    }
  } finally {
    await search.stop();
  }
  rows.push('');
  if (searchCpuRow) rows.push(searchCpuRow, '');
  if (failed.length > 0) rows.push(`**Failed requests under load** (figures above are not comparable): ${failed.join('; ')}`, '');
} finally {
  await main.dispose();
  await stackDown(say, stackServices().filter((service) => started.has(service.name)));
}

say('CLI start-up: --help and validate, as a user runs them…');
results.cli = cliTimings();
rows.push('| the CLI (`node cli/fedsearch.js`, compiled dist/) | wall ms (median of 5) | peak memory MiB |', '|---|---|---|');
rows.push(`| \`fedsearch --help\` | ${fixed(results.cli.helpWallMs)} | ${fixed(results.cli.helpPeakMiB)} |`);
rows.push(`| \`fedsearch validate index-configs/movies.yaml --schema subgraphs/supergraph.graphql\` | ${fixed(results.cli.validateWallMs)} | |`, '');

const header = [
  `# fedsearch benchmarks`,
  '',
  `Run ${new Date().toISOString().slice(0, 10)} on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${fixed(totalmem() / 2 ** 30)} GiB:`,
  `a studio of ${MOVIES} movies; Elasticsearch, Kafka, the demo graph (in the bench process, which also runs autocannon), the`,
  '`fedsearch run` and `fedsearch serve` processes all on this one machine.',
  '',
];
const text = [...header, ...rows].join('\n');
writeFileSync(new URL('./results.md', import.meta.url), `${text}\n`);
const complete = results as BenchResults;
writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(complete, null, 2)}\n`);
const charts = await renderCharts(complete);
writeFileSync(new URL('./throughput.svg', import.meta.url), charts.throughputSvg);
writeFileSync(new URL('./freshness.svg', import.meta.url), charts.freshnessSvg);
process.stdout.write(`${text}\n`);
process.exit(0);

/**
 * 20 renames a second of talent credited in indexed movies, for a minute, against the live
 * pipeline: how long until a movie crediting each shows the new name (polled together, every
 * 100 ms), and how many index refreshes the enrich stage forced meanwhile (its metrics) against
 * how many related batches it looked up (what one refresh per batch would have cost).
 */
async function relatedHeavy(metricsUrl: string): Promise<{ renames: number; p50: number; p95: number; p99: number; refreshesPerMinute: number; batchesPerMinute: number }> {
  const sample = await main.es.search<{ cast: Array<{ talent: { talentId: string } | null }> }>({ index: main.index, size: 500, _source: ['cast.talent.talentId'], query: { match_all: {} } });
  const talent = [...new Set(sample.hits.hits.flatMap((hit) => (hit._source?.cast ?? []).flatMap((credit) => (credit.talent ? [credit.talent.talentId] : []))))].filter((id) => id !== HUB_TALENT_ID);
  const counters = async (): Promise<{ refreshes: number; batches: number }> => {
    const text = await scrape(metricsUrl);
    return { refreshes: metricSum(text, 'fedsearch_index_refreshes_total'), batches: metricSum(text, 'fedsearch_reverse_lookup_fanout_count') };
  };
  const before = await counters();
  const pending = new Map<string, number>();
  const latencies: number[] = [];
  const total = RENAMES_PER_SECOND * RENAME_SECONDS;
  const started = performance.now();
  const renames = (async () => {
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / RENAMES_PER_SECOND;
      if (due > performance.now()) await sleep(due - performance.now());
      const name = `Renamed ${i} ${Date.now()}`;
      const from = performance.now();
      void main.gql('mutation($id: ID!, $name: String) { updateTalent(talentId: $id, patch: { name: $name }) { talentId } }', { id: talent[i % talent.length] as string, name }).then(() => pending.set(name, from));
    }
  })();
  const deadline = started + (RENAME_SECONDS + 120) * 1000;
  let sent = false;
  void renames.then(() => (sent = true));
  while ((!sent || pending.size > 0) && performance.now() < deadline) {
    await sleep(100);
    if (pending.size === 0) continue;
    const names = [...pending.keys()];
    const found = await main.es.search({
      index: main.index,
      size: 0,
      aggs: { cast: { nested: { path: 'cast' }, aggs: { names: { filter: { terms: { 'cast.talent.name.keyword': names } }, aggs: { name: { terms: { field: 'cast.talent.name.keyword', size: names.length } } } } } } },
    });
    const buckets = ((found.aggregations?.['cast'] as { names: { name: { buckets: Array<{ key: string }> } } } | undefined)?.names.name.buckets ?? []);
    const now = performance.now();
    for (const { key } of buckets) {
      const from = pending.get(key);
      if (from === undefined) continue;
      latencies.push(now - from);
      pending.delete(key);
    }
  }
  const minutes = (performance.now() - started) / 60_000;
  const after = await counters();
  latencies.sort((a, b) => a - b);
  return {
    renames: latencies.length,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    refreshesPerMinute: (after.refreshes - before.refreshes) / minutes,
    batchesPerMinute: (after.batches - before.batches) / minutes,
  };
}

/** Wall time of the CLI as a user starts it (median of 5), and the peak memory of `--help` (GNU time, when installed). */
function cliTimings(): BenchResults['cli'] {
  const cli = new URL('../cli/fedsearch.js', import.meta.url).pathname;
  const root = new URL('../', import.meta.url).pathname;
  const env = { ...process.env };
  delete env.NODE_ENV;
  const wall = (args: string[]): number => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const from = performance.now();
      const result = spawnSync(process.execPath, [cli, ...args], { cwd: root, env, stdio: 'ignore' });
      if (result.status !== 0) throw new Error(`fedsearch ${args.join(' ')} exited with ${result.status}`);
      times.push(performance.now() - from);
    }
    return times.sort((a, b) => a - b)[2] as number;
  };
  const gnuTime = '/usr/bin/time';
  const peak = existsSync(gnuTime) ? Number(spawnSync(gnuTime, ['-f', '%M', process.execPath, cli, '--help'], { env, encoding: 'utf8' }).stderr.trim().split('\n').at(-1)) / 1024 : Number.NaN;
  return {
    helpWallMs: wall(['--help']),
    helpPeakMiB: peak,
    validateWallMs: wall(['validate', 'index-configs/movies.yaml', '--schema', 'subgraphs/supergraph.graphql']),
  };
}

/** The gateway-fetch limit: entities/s of the fetcher alone over `ids`, after a warm-up on other ids. */
async function fetchLimit(fetcher: GatewayFetcher, ids: readonly string[]): Promise<number> {
  await fetcher.fetch(WARM_UP_IDS);
  const started = performance.now();
  for (let start = 0; start < ids.length; start += 500) await fetcher.fetch(ids.slice(start, start + 500));
  return ids.length / ((performance.now() - started) / 1000);
}
