// `npm run bench`: measured side by side in one run, on this machine, against the local stack.
// Prints a markdown table and writes it to bench/results.md. FEDSEARCH_BENCH_MOVIES sets the
// studio size (default 10,000 movies).
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BackfillProgress } from '../src/backfill/backfillProgress.ts';
import { runBackfill } from '../src/backfill/runBackfill.ts';
import { GatewayFetcher } from '../src/pipeline/gatewayFetcher.ts';
import { runPipeline } from '../src/pipeline/runPipeline.ts';
import { elasticsearchUrl } from '../src/stack/elasticsearchService.ts';
import { kafkaBrokers } from '../src/stack/kafkaService.ts';
import { stackDown, stackServices, stackUp } from '../src/stack/stack.ts';
import { HUB_TALENT_ID } from '../subgraphs/data/generateStudio.ts';
import { createIndexHarness } from '../test/support/indexHarness.ts';

const MOVIES = Number(process.env.FEDSEARCH_BENCH_MOVIES ?? 10_000);
const HUB_MOVIES = 1_000;
const quiet: BackfillProgress = { update: () => {}, note: () => {}, stop: () => {} };
const say = (line: string): void => void process.stderr.write(`${line}\n`);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

const started = await stackUp(say);
const h = await createIndexHarness({
  elasticsearchUrl: elasticsearchUrl(),
  kafkaBrokers: kafkaBrokers(),
  movies: MOVIES,
  hubTalentMovies: HUB_MOVIES,
  pipelineSettings: '  retries: 5\n',
});
const rows: string[] = [];
try {
  const ids = Array.from({ length: MOVIES }, (_, i) => `mov-${String(i + 1).padStart(7, '0')}`);

  say('gateway fetch ceiling (same batching and concurrency, no Kafka, no Elasticsearch)…');
  const fetcher = new GatewayFetcher({ gateway: h.loaded.config.gateway, template: h.loaded.query, pipeline: h.loaded.config.pipeline });
  let t = performance.now();
  for (let start = 0; start < ids.length; start += 500) await fetcher.fetch(ids.slice(start, start + 500));
  const fetchRate = MOVIES / ((performance.now() - t) / 1000);

  say('backfill, uncapped…');
  const uncapped = await runBackfill(h.loaded, { rate: Number.POSITIVE_INFINITY, resume: false, newVersion: false, cleanup: true, graceSeconds: 0 }, quiet);
  const rssAfterBackfill = process.memoryUsage().rss;
  const cap = h.loaded.config.backfill.rate;
  say(`backfill, capped at ${cap}/s…`);
  const capped = await runBackfill(h.loaded, { rate: cap, resume: false, newVersion: false, cleanup: true, graceSeconds: 0 }, quiet);

  rows.push('| backfill | entities/s | vs gateway ceiling |', '|---|---|---|');
  rows.push(`| gateway fetch ceiling (baseline: fetch only) | ${fetchRate.toFixed(0)} | 1.00 |`);
  rows.push(`| backfill uncapped (fetch → Kafka → Elasticsearch) | ${uncapped.rate.toFixed(0)} | ${(uncapped.rate / fetchRate).toFixed(2)} |`);
  rows.push(`| backfill at the default cap ${cap}/s | ${capped.rate.toFixed(0)} (${((capped.rate / cap) * 100).toFixed(0)}% of the cap) | ${(capped.rate / fetchRate).toFixed(2)} |`);
  rows.push(`| RSS of the bench process after the uncapped backfill (it also holds the demo graph) | ${(rssAfterBackfill / 2 ** 20).toFixed(0)} MiB | |`, '');

  say('freshness: mutations at a steady 5/s, each until searchable…');
  const pipeline = await runPipeline(h.loaded, { stage: 'all', metricsPort: 0 });
  await sleep(3_000);
  const searchable = async (title: string): Promise<boolean> => {
    const response = await h.es.search({ index: h.index, query: { term: { 'title.keyword': title } }, size: 0 });
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
      await h.gql('mutation($id: ID!, $title: String) { updateMovie(movieId: $id, patch: { title: $title }) { movieId } }', { id: ids[i * 7] as string, title });
      freshness.push(await waitSearchable(title, from));
    }),
  );
  freshness.sort((a, b) => a - b);
  // Baseline: the same wait for a document written straight to Elasticsearch (its refresh interval).
  const direct: number[] = [];
  for (let i = 0; i < 30; i++) {
    const title = `Direct ${i} ${Date.now()}`;
    const from = performance.now();
    await h.es.index({ index: h.index, id: `bench-direct-${i}`, document: { movieId: `bench-direct-${i}`, title, genres: [], originalLanguage: 'en', updatedAt: '2026-01-01T00:00:00.000Z', cast: [] } });
    direct.push(await waitSearchable(title, from));
    await sleep(137);
  }
  direct.sort((a, b) => a - b);
  rows.push('| freshness: change → searchable | p50 ms | p95 ms | p99 ms |', '|---|---|---|---|');
  rows.push(`| subgraph mutation → fedsearch → searchable (60 at 5/s) | ${percentile(freshness, 50).toFixed(0)} | ${percentile(freshness, 95).toFixed(0)} | ${percentile(freshness, 99).toFixed(0)} |`);
  rows.push(`| baseline: write straight to Elasticsearch → searchable | ${percentile(direct, 50).toFixed(0)} | ${percentile(direct, 95).toFixed(0)} | ${percentile(direct, 99).toFixed(0)} |`, '');

  say(`reverse-lookup fan-out: one talent in ${HUB_MOVIES} movies…`);
  const name = `Fan-Out ${Date.now()}`;
  t = performance.now();
  await h.gql(`mutation { updateTalent(talentId: "${HUB_TALENT_ID}", patch: { name: "${name}" }) { talentId } }`);
  for (;;) {
    const count = await h.es.count({ index: h.index, query: { nested: { path: 'cast', query: { term: { 'cast.talent.name.keyword': name } } } } });
    if (count.count >= HUB_MOVIES) break;
    await sleep(20);
  }
  const fanout = performance.now() - t;
  rows.push('| reverse-lookup fan-out | ms |', '|---|---|');
  rows.push(`| one Talent change reflected in all ${HUB_MOVIES} movies that credit them | ${fanout.toFixed(0)} |`, '');
  await pipeline.stop();
} finally {
  await h.dispose();
  await stackDown(say, stackServices().filter((service) => started.has(service.name)));
}

const header = [
  `# fedsearch benchmarks`,
  '',
  `Run ${new Date().toISOString().slice(0, 10)} on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB,`,
  `studio of ${MOVIES} movies; Elasticsearch, Kafka, the demo graph and the indexer all on this one machine.`,
  '',
];
const text = [...header, ...rows].join('\n');
writeFileSync(new URL('./results.md', import.meta.url), `${text}\n`);
process.stdout.write(`${text}\n`);
process.exit(0);
