// Change data capture measured against today's path, side by side in one run (issue 25, item 7):
//  (a) freshness at a steady rate of changes: a movie retitled through the gateway until the new
//      title is searchable — on the demo graph keeping its rows in PostgreSQL, captured by
//      Debezium on Kafka Connect (`format: debezium` sources), and on the in-memory demo graph
//      publishing an application event per mutation (index-configs/movies.yaml as it is). Both
//      paths change at once, so both see the same load on this shared machine.
//  (b) an initial load of the same rows: Debezium's snapshot (`snapshot.mode: initial`, one `r`
//      event per row on a fresh topic prefix) read by the pipeline, against `fedsearch backfill`
//      (runBackfill, uncapped), each into a fresh index of the same config over the same graph:
//      documents/s, and the load on the graph as gateway requests counted by a proxy in front of it.
// PostgreSQL and the Connect worker are this run's own (ports and cache), as the CDC tests start
// them; Kafka and Elasticsearch are the running stack's. Prints a markdown table; writes the
// figures to bench/cdc-results.json (a smoke run: .fedsearch/cdc-results.smoke.json).
//   npx tsx bench/cdcBench.ts
//   FEDSEARCH_CDCBENCH_SMOKE=1          tiny sizes, to check that it runs (about a minute or two)
//   FEDSEARCH_CDCBENCH_MOVIES           studio size, the rows of the initial load (default 20,000)
//   FEDSEARCH_CDCBENCH_RATE             changes per second per path (default 20)
//   FEDSEARCH_CDCBENCH_SECONDS          how long the changes go on (default 60)
//   FEDSEARCH_CDCBENCH_PG_PORT, FEDSEARCH_CDCBENCH_CONNECT_PORT   (defaults 25461, 18091)
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import type { BackfillProgress } from '../src/backfill/backfillProgress.ts';
import { runBackfill } from '../src/backfill/runBackfill.ts';
import { Kafka, logLevel } from '../src/clients/kafkajs.ts';
import { GatewayFetcher } from '../src/pipeline/gatewayFetcher.ts';
import { runPipeline } from '../src/pipeline/runPipeline.ts';
import { deleteConnector, registerConnector, teamConnectorConfig } from '../stack/debeziumConnectors.ts';
import { elasticsearchUrl } from '../stack/elasticsearchService.ts';
import { kafkaBrokers } from '../stack/kafkaService.ts';
import { captureTeamDatabases } from '../stack/teamCapture.ts';
import { entityId } from '../subgraphs/data/studioRows.ts';
import type { StudioTopics } from '../subgraphs/shared/changeEvents.ts';
import { startDemoGraph, type DemoGraph } from '../subgraphs/startDemoGraph.ts';
import { createIndexHarness, type IndexHarness } from '../support/indexHarness.ts';
import { startCdcServices } from '../support/cdcServices.ts';
import { startCountingProxy, type CountingProxy } from './countingProxy.ts';
import { freshnessAtRate, percentiles, type FreshnessRun } from './freshnessAtRate.ts';
import { waitUntilSearchable } from './movieEvents.ts';
import { metricSum, scrape } from './prometheusText.ts';
import { startIndexerProcess } from './indexerProcesses.ts';

// The pipeline run in this process (the snapshot's) logs to stdout, where the table goes.
process.env.FEDSEARCH_LOG_LEVEL ??= 'warn';
const SMOKE = process.env.FEDSEARCH_CDCBENCH_SMOKE === '1';
const MOVIES = Number(process.env.FEDSEARCH_CDCBENCH_MOVIES ?? (SMOKE ? 300 : 20_000));
const RATE = Number(process.env.FEDSEARCH_CDCBENCH_RATE ?? 20);
const SECONDS = Number(process.env.FEDSEARCH_CDCBENCH_SECONDS ?? (SMOKE ? 5 : 60));
const PG_PORT = Number(process.env.FEDSEARCH_CDCBENCH_PG_PORT ?? 25461);
const CONNECT_PORT = Number(process.env.FEDSEARCH_CDCBENCH_CONNECT_PORT ?? 18091);
/** Untimed changes first on each path (its first events pay for cold connections and JIT). */
const WARM_UP_CHANGES = Math.min(RATE * 3, Math.floor(MOVIES / 4));
/** Movies fetched through the gateway before the initial loads, so that neither is timed cold. */
const WARM_UP_FETCHES = Math.min(500, MOVIES);
const CHANGES = RATE * SECONDS;
const quiet: BackfillProgress = { update: () => {}, note: () => {}, stop: () => {} };
const begun = Date.now();
const say = (line: string): void => void process.stderr.write(`[cdc bench +${((Date.now() - begun) / 1000).toFixed(0)}s] ${line}\n`);
const fixed = (value: number, digits = 0): string => value.toFixed(digits);
/** Movie ids from `from` (1-based), wrapping round the studio: a change per movie while the studio lasts. */
const movieIds = (from: number, count: number): string[] => Array.from({ length: count }, (_, i) => entityId('mov', ((from - 1 + i) % MOVIES) + 1));

const cleanups: Array<() => Promise<unknown>> = [];
const later = (cleanup: () => Promise<unknown>): void => void cleanups.push(cleanup);
const es = elasticsearchUrl();
const brokers = kafkaBrokers();
const kafka = new Kafka({ clientId: 'fedsearch-cdc-bench', brokers, logLevel: logLevel.NOTHING });

say(`CDC services: PostgreSQL on ${PG_PORT}, Kafka Connect on ${CONNECT_PORT} (a cache of their own)…`);
const services = await startCdcServices({ pgPort: PG_PORT, connectPort: CONNECT_PORT, kafkaBrokers: brokers, say });
const ownTopics: string[] = [];
later(() => services.stop(ownTopics));
let exitCode = 0;
try {
  const run = services.runId;
  // ── The two graphs, each behind a proxy counting the requests the indexers make ──────────
  say(`demo graph of ${MOVIES} movies on PostgreSQL (the studio written to the team databases)…`);
  const sqlGraph = await startDemoGraph({ movies: MOVIES, kafkaBrokers: null, postgresUrl: services.pgUrl, ports: { gateway: 0, movies: 0, productions: 0, talent: 0 } });
  later(() => sqlGraph.stop());
  const sqlProxy = await startCountingProxy(sqlGraph.gatewayUrl);
  later(() => sqlProxy.stop());

  say(`in-memory demo graph of ${MOVIES} movies, publishing an application event per mutation…`);
  const appTopics: StudioTopics = { movie: `bench.${run}.movie.changes`, production: `bench.${run}.production.changes`, talent: `bench.${run}.talent.changes`, credit: `bench.${run}.credit.changes` };
  ownTopics.push(...Object.values(appTopics));
  await createTopics(Object.values(appTopics));
  const memoryGraph = await startDemoGraph({ movies: MOVIES, kafkaBrokers: brokers, topics: appTopics, ports: { gateway: 0, movies: 0, productions: 0, talent: 0 } });
  later(() => memoryGraph.stop());
  const memoryProxy = await startCountingProxy(memoryGraph.gatewayUrl);
  later(() => memoryProxy.stop());

  /** A fresh index of index-configs/movies.yaml over `graph` (through `proxy`), its sources edited by `edit`. */
  const indexOver = async (graph: DemoGraph, proxy: CountingProxy, edit: (yaml: string) => string): Promise<IndexHarness> => {
    const h = await createIndexHarness({ elasticsearchUrl: es, kafkaBrokers: brokers, movies: MOVIES, graph: { ...graph, gatewayUrl: proxy.url }, pipelineSettings: '  retries: 5\n', edit });
    later(() => h.dispose());
    return h;
  };

  // ── (b) Initial load: Debezium's snapshot against `fedsearch backfill` ─────────────────────
  const snapshotPrefix = `fsbench${run}snap`;
  const snapshotTopic = `${snapshotPrefix}.public.movies`;
  ownTopics.push(snapshotTopic);
  await createTopics([snapshotTopic]);
  const snapshotIndex = await indexOver(sqlGraph, sqlProxy, (yaml) => replaceOnce(yaml, /    - topic: it\.\w+\.movie\.changes\n      id: after\.movieId\n/, debeziumSource('    ', snapshotTopic, 'id')));
  say(`warming the graph up: ${WARM_UP_FETCHES} movies fetched through the gateway, untimed…`);
  const fetcher = new GatewayFetcher({ gateway: snapshotIndex.loaded.config.gateway, template: snapshotIndex.loaded.query, pipeline: snapshotIndex.loaded.config.pipeline });
  await fetcher.fetch(movieIds(MOVIES - WARM_UP_FETCHES + 1, WARM_UP_FETCHES));
  await fetcher.close();

  say(`initial load 1/2: Debezium snapshot of ${MOVIES} movie rows (op r), read by the pipeline…`);
  const pipeline = await runPipeline(snapshotIndex.loaded, { stage: 'all', metricsPort: 0 });
  const snapshotConnector = `bench-snapshot-${run}`;
  const snapshot = await timedLoad(sqlProxy, snapshotIndex, async () => {
    await registerConnector(services.connectUrl, snapshotConnector, {
      ...teamConnectorConfig({ database: 'movies', topicPrefix: snapshotPrefix, snapshot: 'initial' }),
      // A slot and publication of its own: the team connectors registered later have theirs.
      'slot.name': `bench_snapshot_${run}`,
      'publication.name': `bench_snapshot_${run}`,
    });
  });
  await pipeline.stop();
  await deleteConnector(services.connectUrl, snapshotConnector);
  say(`snapshot: ${fixed(snapshot.documentsPerSecond)} documents/s, ${snapshot.gatewayRequests} gateway requests`);

  const sqlNamespace = `fsbench${run}`;
  const captured: Record<'movies' | 'productions' | 'talent' | 'credits', string> = {
    movies: `${sqlNamespace}.movies.public.movies`,
    productions: `${sqlNamespace}.productions.public.productions`,
    talent: `${sqlNamespace}.talent.public.talent`,
    credits: `${sqlNamespace}.talent.public.credits`,
  };
  ownTopics.push(...Object.values(captured));
  const cdcIndex = await indexOver(sqlGraph, sqlProxy, (yaml) => {
    const edited = yaml
      .replace(/    - topic: it\.\w+\.movie\.changes\n      id: after\.movieId\n/, debeziumSource('    ', captured.movies, 'id'))
      .replace(/    - topic: it\.\w+\.credit\.changes\n      id: after\.movieId\n/, debeziumSource('    ', captured.credits, 'movie_id'))
      .replace(/      - topic: it\.\w+\.production\.changes\n        id: after\.ptpId\n/, debeziumSource('      ', captured.productions, 'id'))
      .replace(/      - topic: it\.\w+\.talent\.changes\n        id: after\.talentId\n/, debeziumSource('      ', captured.talent, 'id'));
    if (edited.includes('.changes\n')) throw new Error(`the movies config has an event source this bench does not replace:\n${edited}`);
    return edited;
  });
  say(`initial load 2/2: fedsearch backfill (uncapped) of the same ${MOVIES} movies…`);
  const backfill = await timedLoad(sqlProxy, cdcIndex, async () => {
    await runBackfill(cdcIndex.loaded, { rate: Number.POSITIVE_INFINITY, resume: false, newVersion: false, cleanup: false, graceSeconds: 0 }, quiet);
  });
  say(`backfill: ${fixed(backfill.documentsPerSecond)} documents/s, ${backfill.gatewayRequests} gateway requests`);

  // ── (a) Freshness at a steady rate, both paths at once ────────────────────────────────────
  const appIndex = await indexOver(memoryGraph, memoryProxy, (yaml) => yaml.replace(/it\.\w+\.(movie|production|talent|credit)\.changes/g, (_, entity: keyof StudioTopics) => appTopics[entity]));
  say('backfilling the in-memory path\'s index too, so that both indexes hold the studio…');
  await runBackfill(appIndex.loaded, { rate: Number.POSITIVE_INFINITY, resume: false, newVersion: false, cleanup: false, graceSeconds: 0 }, quiet);
  say('capturing the team databases (snapshot.mode no_data: the backfill holds the rows)…');
  await captureTeamDatabases({ connectUrl: services.connectUrl, pgUrl: services.pgUrl, kafkaBrokers: brokers, topics: Object.values(captured), source: { namespace: sqlNamespace } });
  const appIndexer = await startIndexerProcess(appIndex);
  later(() => appIndexer.stop());
  const cdcIndexer = await startIndexerProcess(cdcIndex);
  later(() => cdcIndexer.stop());
  const paths = [
    { key: 'applicationEvent' as const, graph: memoryGraph, proxy: memoryProxy, h: appIndex, indexer: appIndexer },
    { key: 'debezium' as const, graph: sqlGraph, proxy: sqlProxy, h: cdcIndex, indexer: cdcIndexer },
  ];
  say(`freshness warm-up: ${WARM_UP_CHANGES} changes per path, untimed…`);
  const warmIds = movieIds(CHANGES + 1, WARM_UP_CHANGES);
  await Promise.all(paths.map(({ graph, h, key }) => freshnessAtRate({ gatewayUrl: graph.gatewayUrl, es: h.es, index: h.index }, warmIds, RATE, `warm ${key} ${run}`)));
  say(`freshness: ${CHANGES} changes per path at ${RATE}/s (${SECONDS} s), both paths at once…`);
  const ids = movieIds(1, CHANGES);
  const measured = await Promise.all(
    paths.map(async ({ graph, proxy, h, indexer, key }) => {
      const metricsBefore = await scrape(indexer.metricsUrl);
      const requestsBefore = proxy.requests();
      const from = performance.now();
      const result = await freshnessAtRate({ gatewayUrl: graph.gatewayUrl, es: h.es, index: h.index }, ids, RATE, `${key} ${run}`);
      const seconds = (performance.now() - from) / 1000;
      const metricsAfter = await scrape(indexer.metricsUrl);
      const delta = (name: string): number => metricSum(metricsAfter, name) - metricSum(metricsBefore, name);
      return {
        key,
        result,
        gatewayRequestsPerSecond: (proxy.requests() - requestsBefore) / seconds,
        // The pipeline's own view: from the event's time (Debezium's commit time, source.ts_ms;
        // the application event's ts_ms) to the document written, mean over the run.
        pipelineEndToEndMeanMs: (delta('fedsearch_end_to_end_seconds_sum') / Math.max(1, delta('fedsearch_end_to_end_seconds_count'))) * 1000,
      };
    }),
  );
  const [app, cdc] = measured as [(typeof measured)[number], (typeof measured)[number]];

  // ── Report ────────────────────────────────────────────────────────────────────────────────
  const date = new Date().toISOString().slice(0, 10);
  const appP = percentiles(app.result.latenciesMs);
  const cdcP = percentiles(cdc.result.latenciesMs);
  const rows: string[] = [
    `# Change data capture against today's path`,
    '',
    `Run ${date} (${SMOKE ? 'SMOKE, tiny sizes: not figures to quote' : 'full'}) on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${fixed(totalmem() / 2 ** 30)} GiB, shared with other work: compare within the run only.`,
    `${MOVIES} movies; PostgreSQL, Kafka Connect (Debezium), Kafka, Elasticsearch, both demo graphs (in the bench process) and the indexers all on this one machine.`,
    '',
    `| freshness: mutation sent → searchable (${CHANGES} changes per path at ${RATE}/s, both paths at once, after ${WARM_UP_CHANGES} untimed) | p50 ms | p95 ms | p99 ms | not searchable / refused | mutation round trip p50 ms | pipeline's own end-to-end mean ms (event time → written) | gateway requests/s |`,
    '|---|---|---|---|---|---|---|---|',
    freshnessRow('today: in-memory demo graph, an application event per mutation', app),
    freshnessRow('CDC: demo graph on PostgreSQL, the commit captured by Debezium (`format: debezium`)', cdc),
    `| CDC vs today | ${fixed(cdcP.p50 / appP.p50, 2)}× | ${fixed(cdcP.p95 / appP.p95, 2)}× | ${fixed(cdcP.p99 / appP.p99, 2)}× | | | | |`,
    '',
    `| initial load of ${MOVIES} movies, each into a fresh index, same config and graph (PostgreSQL) | documents/s | seconds | gateway requests | gateway requests/s | movies per gateway request |`,
    '|---|---|---|---|---|---|',
    loadRow('Debezium snapshot (`snapshot.mode: initial`, an `r` event per row) → pipeline (`runPipeline`, both stages)', snapshot),
    loadRow('`fedsearch backfill` (runBackfill, uncapped): enumerate → fetch → documents topic → Elasticsearch', backfill),
    `| snapshot vs backfill | ${fixed(snapshot.documentsPerSecond / backfill.documentsPerSecond, 2)}× | | ${fixed(snapshot.gatewayRequests / backfill.gatewayRequests, 2)}× | ${fixed(snapshot.gatewayRequestsPerSecond / backfill.gatewayRequestsPerSecond, 2)}× | |`,
    '',
  ];
  const text = rows.join('\n');
  const results = {
    date,
    smoke: SMOKE,
    machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown CPU', memoryGiB: Math.round(totalmem() / 2 ** 30) },
    sizes: { movies: MOVIES, changesPerSecond: RATE, seconds: SECONDS, changesPerPath: CHANGES, warmUpChanges: WARM_UP_CHANGES },
    freshnessMs: Object.fromEntries(
      measured.map(({ key, result, gatewayRequestsPerSecond, pipelineEndToEndMeanMs }) => [
        key,
        { ...percentiles(result.latenciesMs), found: result.latenciesMs.length, lost: result.lost, refused: result.refused.length, mutationP50: percentiles(result.mutationMs).p50, pipelineEndToEndMeanMs, gatewayRequestsPerSecond },
      ]),
    ),
    freshnessRatioCdcToApplicationEvent: { p50: cdcP.p50 / appP.p50, p95: cdcP.p95 / appP.p95, p99: cdcP.p99 / appP.p99 },
    initialLoad: { snapshot, backfill, documentsPerSecondRatio: snapshot.documentsPerSecond / backfill.documentsPerSecond, gatewayRequestsPerSecondRatio: snapshot.gatewayRequestsPerSecond / backfill.gatewayRequestsPerSecond },
  };
  const refusals = measured.flatMap(({ key, result }) => result.refused.slice(0, 3).map((reason) => `${key}: ${reason}`));
  if (refusals.length > 0) say(`refused mutations (first ones): ${refusals.join('; ')}`);
  const json = `${JSON.stringify(results, null, 2)}\n`;
  if (SMOKE) {
    mkdirSync(new URL('../.fedsearch/', import.meta.url), { recursive: true });
    writeFileSync(new URL('../.fedsearch/cdc-results.smoke.json', import.meta.url), json);
  } else {
    writeFileSync(new URL('./cdc-results.json', import.meta.url), json);
  }
  process.stdout.write(`${text}\n`);
} catch (error) {
  exitCode = 1;
  process.stderr.write(`cdc bench failed: ${(error as Error).stack ?? String(error)}\n`);
} finally {
  for (const cleanup of cleanups.reverse()) {
    await cleanup().catch((error: unknown) => say(`cleanup: ${(error as Error).message}`));
  }
}
process.exit(exitCode);

interface LoadRun {
  documentsPerSecond: number;
  seconds: number;
  gatewayRequests: number;
  gatewayRequestsPerSecond: number;
}

/** `start`, then the wait until the index has every movie searchable: documents/s and the gateway requests meanwhile. */
async function timedLoad(proxy: CountingProxy, h: IndexHarness, start: () => Promise<void>): Promise<LoadRun> {
  const requestsBefore = proxy.requests();
  const from = performance.now();
  await start();
  await waitUntilSearchable(h.es, h.index, MOVIES);
  const seconds = (performance.now() - from) / 1000;
  const gatewayRequests = proxy.requests() - requestsBefore;
  return { documentsPerSecond: MOVIES / seconds, seconds, gatewayRequests, gatewayRequestsPerSecond: gatewayRequests / seconds };
}

function freshnessRow(label: string, path: { result: FreshnessRun; gatewayRequestsPerSecond: number; pipelineEndToEndMeanMs: number }): string {
  const p = percentiles(path.result.latenciesMs);
  return `| ${label} | ${fixed(p.p50)} | ${fixed(p.p95)} | ${fixed(p.p99)} | ${path.result.lost} / ${path.result.refused.length} | ${fixed(percentiles(path.result.mutationMs).p50)} | ${fixed(path.pipelineEndToEndMeanMs)} | ${fixed(path.gatewayRequestsPerSecond, 1)} |`;
}

function loadRow(label: string, load: LoadRun): string {
  return `| ${label} | ${fixed(load.documentsPerSecond)} | ${fixed(load.seconds, 1)} | ${load.gatewayRequests} | ${fixed(load.gatewayRequestsPerSecond, 1)} | ${fixed(MOVIES / load.gatewayRequests, 1)} |`;
}

function debeziumSource(indent: string, topic: string, id: string): string {
  return `${indent}- topic: ${topic}\n${indent}  format: debezium\n${indent}  id: ${id}\n`;
}

function replaceOnce(yaml: string, pattern: RegExp, replacement: string): string {
  const edited = yaml.replace(pattern, replacement);
  if (edited === yaml) throw new Error('the movies config no longer has the event source this bench replaces');
  return edited;
}

async function createTopics(topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: 3 })), waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}
