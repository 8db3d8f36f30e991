// `npm run bench`: everything measured side by side in one run, on this machine, against the
// local stack, with the baselines from the same run. Prints markdown tables and writes them to
// bench/results.md.
//   FEDSEARCH_BENCH_MOVIES   studio size (default 100,000 movies)
//   FEDSEARCH_BENCH_EVENTS   change events per end-to-end throughput run (default 20,000)
//   FEDSEARCH_BENCH_NAIVE    events for the naive pipeline (default 2,000: it is slow)
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BackfillProgress } from '../src/backfill/backfillProgress.ts';
import { runBackfill } from '../src/backfill/runBackfill.ts';
import { GatewayFetcher } from '../src/pipeline/gatewayFetcher.ts';
import { runPipeline } from '../src/pipeline/runPipeline.ts';
import { elasticsearchUrl } from '../src/stack/elasticsearchService.ts';
import { kafkaBrokers } from '../src/stack/kafkaService.ts';
import { stackDown, stackServices, stackUp } from '../src/stack/stack.ts';
import { HUB_TALENT_ID } from '../subgraphs/data/generateStudio.ts';
import { entityId } from '../subgraphs/data/studioRows.ts';
import { createIndexHarness, type IndexHarness } from '../support/indexHarness.ts';
import { runIndexerProcesses } from './indexerProcesses.ts';
import { runNaivePipeline } from './naivePipeline.ts';
import { percentile } from './percentile.ts';
import { rawBulkRate, readAllDocuments } from './rawBulk.ts';
import { elasticsearchBodyOf, loadTest, startSearchServer, type LoadResult } from './searchLoad.ts';

const MOVIES = Number(process.env.FEDSEARCH_BENCH_MOVIES ?? 100_000);
const EVENTS = Math.min(MOVIES, Number(process.env.FEDSEARCH_BENCH_EVENTS ?? 20_000));
const NAIVE_EVENTS = Math.min(EVENTS, Number(process.env.FEDSEARCH_BENCH_NAIVE ?? 2_000));
const CAPPED_ENTITIES = Math.min(MOVIES, 3_000);
const HUB_MOVIES = 1_000;
const SEARCH_CONNECTIONS = 10;
const SEARCH_SECONDS = 10;
/** Discarded load before each measured one: first queries pay for cold caches and JIT on both sides. */
const SEARCH_WARMUP_SECONDS = 2;
const quiet: BackfillProgress = { update: () => {}, note: () => {}, stop: () => {} };
const say = (line: string): void => void process.stderr.write(`${line}\n`);
const fixed = (value: number, digits = 0): string => value.toFixed(digits);
const movieIds = (count: number): string[] => Array.from({ length: count }, (_, i) => entityId('mov', i + 1));

const started = await stackUp(say);
say(`studio of ${MOVIES} movies…`);
const main = await createIndexHarness({
  elasticsearchUrl: elasticsearchUrl(),
  kafkaBrokers: kafkaBrokers(),
  movies: MOVIES,
  hubTalentMovies: HUB_MOVIES,
  pipelineSettings: '  retries: 5\n',
});
/** A fresh, empty index (own topics and groups) over the same graph. */
const freshIndex = (): Promise<IndexHarness> =>
  createIndexHarness({ elasticsearchUrl: elasticsearchUrl(), kafkaBrokers: kafkaBrokers(), movies: MOVIES, graph: main.graph, pipelineSettings: '  retries: 5\n' });

const rows: string[] = [];
try {
  const ids = movieIds(EVENTS);

  // ── Indexing throughput, end to end, against its limits and a naive pipeline ──────────────
  say(`gateway fetch ceiling over ${EVENTS} movies (same batching and concurrency, no Kafka, no Elasticsearch)…`);
  const fetcher = new GatewayFetcher({ gateway: main.loaded.config.gateway, template: main.loaded.query, pipeline: main.loaded.config.pipeline });
  await fetcher.fetch(movieIds(Math.min(MOVIES, EVENTS + 500)).slice(EVENTS)); // warm-up, other ids
  let t = performance.now();
  for (let start = 0; start < ids.length; start += 500) await fetcher.fetch(ids.slice(start, start + 500));
  const fetchRate = EVENTS / ((performance.now() - t) / 1000);

  say(`end to end, one \`fedsearch run\` process: ${EVENTS} change events in Kafka → searchable…`);
  const one = await freshIndex();
  const oneRun = await runIndexerProcesses(one, 1, ids);
  say('raw bulk: the same documents straight into Elasticsearch…');
  const documents = await readAllDocuments(one.es, one.index, 'movieId');
  const bulkRate = await rawBulkRate(one.es, `${one.index}_v90`, documents);
  await one.dispose();

  say(`end to end, two \`fedsearch run\` processes in one group…`);
  const two = await freshIndex();
  const twoRun = await runIndexerProcesses(two, 2, ids);
  await two.dispose();

  say(`naive pipeline (one GraphQL request and one index request per event) over ${NAIVE_EVENTS} events…`);
  const naive = await freshIndex();
  const naiveRate = await runNaivePipeline(naive, ids.slice(0, NAIVE_EVENTS));
  await naive.dispose();

  const e2e = oneRun.entitiesPerSecond;
  rows.push(`| indexing throughput (${EVENTS} change events in Kafka → searchable) | entities/s | fedsearch (1 process) vs this |`, '|---|---|---|');
  rows.push(`| **fedsearch, 1 \`fedsearch run\` process** | **${fixed(e2e)}** | 1.00 |`);
  rows.push(`| fedsearch, 2 processes in one consumer group | ${fixed(twoRun.entitiesPerSecond)} | ${fixed(e2e / twoRun.entitiesPerSecond, 2)} (2 vs 1: ${fixed(twoRun.entitiesPerSecond / e2e, 2)}×) |`);
  rows.push(`| limit: gateway fetch alone, same batching (25/request, 4 in flight) | ${fixed(fetchRate)} | ${fixed(e2e / fetchRate, 2)} |`);
  rows.push(`| limit: raw bulk of the same documents into Elasticsearch (1,000/request, 2 in flight) | ${fixed(bulkRate)} | ${fixed(e2e / bulkRate, 2)} |`);
  rows.push(`| baseline: naive pipeline, one GraphQL + one index request per event (${NAIVE_EVENTS} events) | ${fixed(naiveRate)} | ${fixed(e2e / naiveRate, 1)}× faster |`);
  rows.push(
    `| peak RSS (VmHWM) of a \`fedsearch run\` process | 1 process: ${fixed(oneRun.peakRssMiB[0] ?? Number.NaN)} MiB; 2 processes: ${twoRun.peakRssMiB.map((m) => fixed(m)).join(' and ')} MiB | |`,
    '',
  );

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

  // ── Freshness and fan-out (live pipeline in this process) ──────────────────────────────────
  say('freshness: mutations at a steady 5/s, each until searchable…');
  const pipeline = await runPipeline(main.loaded, { stage: 'all', metricsPort: 0 });
  await sleep(3_000);
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

  say(`reverse-lookup fan-out: one talent in ${HUB_MOVIES} movies…`);
  const name = `Fan-Out ${Date.now()}`;
  t = performance.now();
  await main.gql(`mutation { updateTalent(talentId: "${HUB_TALENT_ID}", patch: { name: "${name}" }) { talentId } }`);
  for (;;) {
    const count = await main.es.count({ index: main.index, query: { nested: { path: 'cast', query: { term: { 'cast.talent.name.keyword': name } } } } });
    if (count.count >= HUB_MOVIES) break;
    await sleep(20);
  }
  const fanout = performance.now() - t;
  await pipeline.stop();
  rows.push('| reverse-lookup fan-out | ms |', '|---|---|');
  rows.push(`| one Talent change reflected in all ${HUB_MOVIES} movies that credit them | ${fixed(fanout)} |`, '');

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
    `| search (${SEARCH_CONNECTIONS} connections, ${SEARCH_SECONDS} s each after ${SEARCH_WARMUP_SECONDS} s of warm-up, ${MOVIES} movies) | fedsearch p50 / p99 ms | fedsearch req/s | Elasticsearch direct p50 / p99 ms | direct req/s | overhead (p50 ratio, req/s ratio) |`,
    '|---|---|---|---|---|---|',
  );
  const failed: string[] = [];
  const check = (label: string, result: LoadResult): LoadResult => {
    if (result.failures > 0) failed.push(`${label}: ${result.failures} failed requests`);
    return result;
  };
  try {
    for (const { label, request } of queries) {
      say(`search load: ${label}…`);
      const body = await elasticsearchBodyOf(main.loaded, main.es, request);
      await loadTest(`${search.apiUrl}/v1/indexes/${main.index}/search`, JSON.stringify(request), SEARCH_CONNECTIONS, SEARCH_WARMUP_SECONDS);
      await loadTest(`${elasticsearchUrl()}/${main.index}/_search`, JSON.stringify(body), SEARCH_CONNECTIONS, SEARCH_WARMUP_SECONDS);
      const viaFedsearch = check(`fedsearch ${label}`, await loadTest(`${search.apiUrl}/v1/indexes/${main.index}/search`, JSON.stringify(request), SEARCH_CONNECTIONS, SEARCH_SECONDS));
      const viaElasticsearch = check(`direct ${label}`, await loadTest(`${elasticsearchUrl()}/${main.index}/_search`, JSON.stringify(body), SEARCH_CONNECTIONS, SEARCH_SECONDS));
      rows.push(
        `| ${label} | ${viaFedsearch.p50} / ${viaFedsearch.p99} | ${fixed(viaFedsearch.requestsPerSecond)} | ${viaElasticsearch.p50} / ${viaElasticsearch.p99} | ${fixed(viaElasticsearch.requestsPerSecond)} | ${fixed(viaFedsearch.p50 / Math.max(1, viaElasticsearch.p50), 2)}, ${fixed(viaFedsearch.requestsPerSecond / viaElasticsearch.requestsPerSecond, 2)} |`,
      );
    }
  } finally {
    await search.stop();
  }
  rows.push('');
  if (failed.length > 0) rows.push(`**Failed requests under load** (figures above are not comparable): ${failed.join('; ')}`, '');
} finally {
  await main.dispose();
  await stackDown(say, stackServices().filter((service) => started.has(service.name)));
}

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
process.stdout.write(`${text}\n`);
process.exit(0);
