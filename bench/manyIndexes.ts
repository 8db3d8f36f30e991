// Many indexes in one `fedsearch run` process (issue 26, item 3): 1, 10 and 50 indexes in one
// process, and the same 10 indexes as 10 processes, each index with change events flowing. Per
// run: peak RSS, CPU per document, freshness (change sent → searchable) p50/p99, the process's
// TCP connections to Kafka (and to Elasticsearch), its consumer groups with members, start and
// Ctrl-C times. The indexes are generated into a temp dir, alternately over the demo studio
// (index-configs/movies.yaml) and the shop (index-configs/shop-catalog.yaml), each with its own
// name, alias and topics; both graphs run in this process, and this process puts each change on
// the topics of every running index over that graph (so every index gets the same stream).
//
//   npm run build && flock /tmp/fedsearch-int.lock env -u NODE_ENV npx tsx bench/manyIndexes.ts
//
// Knobs: FEDSEARCH_FLEET_RUNS (1,10,50,10x1; `label:10x1` runs with that build only),
// FEDSEARCH_FLEET_SECONDS (timed seconds per run, 40), FEDSEARCH_FLEET_WARM_UP_SECONDS (10),
// FEDSEARCH_FLEET_CLIS (label=path/to/cli/fedsearch.js,…: several builds, run alternately — the
// baseline first; default: this clone's), FEDSEARCH_FLEET_OUT (bench/many-indexes-results.json),
// FEDSEARCH_FLEET_MOVIES_PER_SECOND (2) and FEDSEARCH_FLEET_SHOP_PER_SECOND (0.5): the change rates (0: none, for idle
// CPU), FEDSEARCH_FLEET_POLL_MS (100: the pause between searches for pending changes),
// FEDSEARCH_FLEET_REFRESH_INTERVAL (unset; e.g. 2s: every index's elasticsearch.refreshInterval),
// FEDSEARCH_FLEET_POLL=shared (the freshness search before 2026-12-06, third session, whose
// hits were cut off: see FleetChanges.poll), FEDSEARCH_FLEET_LOG_DIR (each run process's output to a file there; FEDSEARCH_LOG_LEVEL, warn,
// is passed on). Each run's `changes` in the JSON is the timeline of every timed (index, change) —
// sent, on its change topic, fetched by the enrich stage, produced, searchable (see ChangeTrace) —
// and `metrics` the run process's per-index counters scraped every second of the timed part.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@elastic/elasticsearch';
import { Kafka, logLevel } from '../src/clients/kafkajs.ts';
import { METADATA_INDEX } from '../src/index/indexMetadata.ts';
import { indexNames } from '../src/index/indexNames.ts';
import { loadIndex } from '../src/index/loadIndex.ts';
import { waitForTopicLeaders } from '../src/provision/createTopic.ts';
import { provision } from '../src/provision/provisionCommand.ts';
import { elasticsearchPort, elasticsearchUrl } from '../stack/elasticsearchService.ts';
import { kafkaBrokers, kafkaPort } from '../stack/kafkaService.ts';
import { startShopGraph } from '../subgraphs/shop/shopGraph.ts';
import { startDemoGraph } from '../subgraphs/startDemoGraph.ts';
import { FleetChanges, POLL_PAUSE_MS, type ChangeTrace, type FleetIndex, type FreshnessSample } from './fleetChanges.ts';
import { sampleElasticsearch, type ElasticsearchLoad } from './elasticsearchLoad.ts';
import { percentile } from './percentile.ts';
import { cpuMsOf, peakRssMiBOf } from './processStats.ts';
import { metricSum, scrape } from './prometheusText.ts';
import { tcpConnectionsOf } from '../support/tcpConnections.ts';

process.env.FEDSEARCH_LOG_LEVEL ??= 'warn';
const RUNS = (process.env.FEDSEARCH_FLEET_RUNS ?? '1,10,50,10x1').split(',');
const SECONDS = Number(process.env.FEDSEARCH_FLEET_SECONDS ?? 40);
const WARM_UP_SECONDS = Number(process.env.FEDSEARCH_FLEET_WARM_UP_SECONDS ?? 10);
const MOVIES = 200;
const MOVIE_CHANGES_PER_SECOND = Number(process.env.FEDSEARCH_FLEET_MOVIES_PER_SECOND ?? 2);
/** The shop has four products: at 0.5/s each is renamed every 8 s, so a change is rarely overwritten before it is searchable. */
const SHOP_CHANGES_PER_SECOND = Number(process.env.FEDSEARCH_FLEET_SHOP_PER_SECOND ?? 0.5);
const here = new URL('../cli/fedsearch.js', import.meta.url).pathname;
const CLIS = (process.env.FEDSEARCH_FLEET_CLIS ?? `this=${here}`).split(',').map((pair) => {
  const [label, path] = pair.split('=') as [string, string];
  return { label, path };
});
const OUT = process.env.FEDSEARCH_FLEET_OUT ?? new URL('./many-indexes-results.json', import.meta.url).pathname;
const LOG_DIR = process.env.FEDSEARCH_FLEET_LOG_DIR;
const REFRESH_INTERVAL = process.env.FEDSEARCH_FLEET_REFRESH_INTERVAL;
const largest = Math.max(...RUNS.map((entry) => Number(entry.replace(/^.*:/, '').split('x')[0])));

const begun = Date.now();
const say = (line: string): void => void process.stderr.write(`[fleet bench +${((Date.now() - begun) / 1000).toFixed(0)}s] ${line}\n`);
const run = randomUUID().slice(0, 6);
const esUrl = elasticsearchUrl();
const brokers = kafkaBrokers();
const es = new Client({ node: esUrl });
const kafka = new Kafka({ clientId: 'fedsearch-fleet-bench', brokers, logLevel: logLevel.NOTHING });
const cleanups: Array<() => Promise<unknown>> = [];

interface Generated extends FleetIndex {
  file: string;
  topics: string[];
}

interface Measured {
  cli: string;
  run: string;
  processes: number;
  indexes: number;
  startSeconds: number;
  peakRssMiB: number;
  peakRssMiBByProcess: number[];
  cpuMsPerDocument: number;
  /** The run processes' CPU over the timed part and the settling after it, % of one core. */
  cpuPercent: number;
  documents: number;
  freshnessMs: { p50: number; p95: number; p99: number; count: number; moviesP99: number; shopP99: number; superseded: number; lost: number; refused: number; polls: number; pollsCutOff: number };
  kafkaConnections: number;
  elasticsearchConnections: number;
  consumerGroupsWithMembers: number;
  consumerMembers: number;
  ctrlCSeconds: number[];
  exitCodes: Array<number | null>;
  /** Where the timed changes' seconds went, per stage (ms): p50 / p95 / p99 / max. */
  stages: Record<string, { p50: number; p95: number; p99: number; max: number; count: number }>;
  /** When each search for pending changes whose hits were cut off was answered (epoch ms). */
  pollsCutOffAt: number[];
  changes: ChangeTrace[];
  metrics: MetricsSample[];
  /** The Elasticsearch node each second of the timed part: refreshes, their time and queue, indexing, searches, CPU. */
  elasticsearch: ElasticsearchLoad;
}

/** The run process's per-index counters at one moment (epoch ms). */
interface MetricsSample {
  at: number;
  /** alias → [change events read, entities fetched, documents written, enrich lag, sink lag]. */
  byIndex: Record<string, [number, number, number, number, number]>;
}

let exitCode = 0;
try {
  say(`run ${run}: demo graph (${MOVIES} movies) and shop graph in this process…`);
  const movies = await startDemoGraph({ movies: MOVIES, kafkaBrokers: null, ports: { gateway: 0, movies: 0, productions: 0, talent: 0 } });
  cleanups.push(() => movies.stop());
  const shop = await startShopGraph({ kafkaBrokers: null, ports: { gateway: 0, users: 0, products: 0, inventory: 0, reviews: 0 } });
  cleanups.push(() => shop.stop());
  const env: Record<string, string> = {
    FEDSEARCH_GATEWAY_URL: movies.gatewayUrl,
    SHOP_GATEWAY_URL: shop.gatewayUrl,
    FEDSEARCH_ES_URL: esUrl,
    FEDSEARCH_KAFKA_BROKERS: brokers[0] as string,
  };

  const root = mkdtempSync(join(tmpdir(), 'fedsearch-fleet-'));
  cleanups.push(async () => rmSync(root, { recursive: true, force: true }));
  const generated = generateConfigs(root, largest);
  cleanups.push(() => removeIndexes(generated));
  const admin = kafka.admin();
  await admin.connect();
  cleanups.push(() => admin.disconnect());
  const changeTopics = generated.flatMap((index) => index.topics);
  await admin.createTopics({ topics: changeTopics.map((topic) => ({ topic, numPartitions: 1 })), waitForLeaders: false });
  await waitForTopicLeaders(admin, changeTopics);
  const provisionStarted = performance.now();
  for (let i = 0; i < generated.length; i += 5) {
    await Promise.all(generated.slice(i, i + 5).map(async (index) => provision(await loadIndex(index.file, { env: { ...process.env, ...env } }), { dryRun: false }, () => {})));
  }
  say(`${generated.length} indexes provisioned in ${((performance.now() - provisionStarted) / 1000).toFixed(0)} s`);

  const producer = kafka.producer();
  await producer.connect();
  cleanups.push(() => producer.disconnect());
  const changes = new FleetChanges({ es, producer, moviesGateway: movies.gatewayUrl, shopGateway: shop.gatewayUrl, movies: MOVIES, moviesPerSecond: MOVIE_CHANGES_PER_SECOND, shopPerSecond: SHOP_CHANGES_PER_SECOND, label: run, sharedPoll: process.env.FEDSEARCH_FLEET_POLL === 'shared' });
  changes.start();
  cleanups.push(() => changes.stop());
  // Each document produced for a timed change: when its fetch was sent and when it was produced.
  const aliasOfTopic = new Map(generated.map((index) => [indexNames(index.alias).documentsTopic, index.alias]));
  const documents = kafka.consumer({ groupId: `fleet-bench-documents-${run}` });
  await documents.connect();
  cleanups.push(async () => {
    await documents.disconnect();
    await admin.deleteGroups([`fleet-bench-documents-${run}`]).catch(() => undefined);
  });
  await documents.subscribe({ topics: [...aliasOfTopic.keys()], fromBeginning: false });
  await documents.run({
    eachMessage: async ({ topic, message }) => {
      const alias = aliasOfTopic.get(topic);
      const version = message.headers?.['fedsearch-version'];
      if (alias && message.value) changes.documentSeen(alias, message.value, Number(message.timestamp), Number(version?.toString()));
    },
  });

  const results: Measured[] = [];
  for (const entry of RUNS) {
    // `label:spec` runs that spec with that build only.
    const [only, spec] = entry.includes(':') ? (entry.split(':') as [string, string]) : [null, entry];
    for (const cli of CLIS.filter((one) => only === null || one.label === only)) {
      const [count, processes] = spec.includes('x') ? [Number(spec.split('x')[0]), Number(spec.split('x')[0])] : [Number(spec), 1];
      const indexes = generated.slice(0, count);
      say(`${cli.label}: ${count} index(es) in ${processes} process(es)…`);
      results.push(await measure(cli, spec, indexes, processes, env, root, changes, admin));
      const last = results.at(-1) as Measured;
      for (const [stage, p] of Object.entries(last.stages)) say(`  ${stage}: p50 ${p.p50.toFixed(0)} / p95 ${p.p95.toFixed(0)} / p99 ${p.p99.toFixed(0)} / max ${p.max.toFixed(0)} ms (${p.count})`);
      say(`  searches for pending changes: ${last.freshnessMs.polls}, hits cut off in ${last.freshnessMs.pollsCutOff}`);
      const load = last.elasticsearch.summary;
      say(`  Elasticsearch, per second: refresh time p50 ${load.refreshMsP50.toFixed(0)} / max ${load.refreshMsMax.toFixed(0)} ms on ${last.elasticsearch.refreshThreads} refresh thread(s), refreshes p50 ${load.refreshesP50.toFixed(0)} (${load.msPerRefresh.toFixed(1)} ms each), refresh queue p50 ${load.refreshQueueP50} / max ${load.refreshQueueMax}, CPU p50 ${load.cpuPercentP50.toFixed(0)}%`);
      say(`  rss ${last.peakRssMiB.toFixed(0)} MiB, cpu/doc ${last.cpuMsPerDocument.toFixed(2)} ms (${last.cpuPercent.toFixed(0)}% of a core), p99 ${last.freshnessMs.p99.toFixed(0)} ms, kafka conns ${last.kafkaConnections}, groups ${last.consumerGroupsWithMembers}, ctrl-c ${last.ctrlCSeconds.map((s) => s.toFixed(1)).join('/')} s`);
    }
  }
  const output = {
    date: new Date().toISOString(),
    machine: '2-core development machine, shared with other work',
    settings: { poll: process.env.FEDSEARCH_FLEET_POLL === 'shared' ? 'shared (before the fix)' : 'per index', seconds: SECONDS, warmUpSeconds: WARM_UP_SECONDS, movieChangesPerSecond: MOVIE_CHANGES_PER_SECOND, shopChangesPerSecond: SHOP_CHANGES_PER_SECOND, studioMovies: MOVIES, pollMs: POLL_PAUSE_MS, refreshInterval: REFRESH_INTERVAL ?? 'default' },
    results,
  };
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(output, null, 2)}\n`);
  process.stdout.write(`${table(results)}\n`);
} catch (error) {
  exitCode = 1;
  process.stderr.write(`fleet bench failed: ${(error as Error).stack ?? String(error)}\n`);
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => say(`cleanup: ${(error as Error).message}`));
  await es.close();
}
process.exit(exitCode);

/** `count` configs, even ones over the studio, odd ones over the shop; each its own index, alias and topics. */
function generateConfigs(root: string, count: number): Generated[] {
  const moviesYaml = readFileSync(new URL('../index-configs/movies.yaml', import.meta.url), 'utf8');
  const shopYaml = readFileSync(new URL('../index-configs/shop-catalog.yaml', import.meta.url), 'utf8');
  const supergraph = new URL('../subgraphs/shop/supergraph.graphql', import.meta.url).pathname;
  const pipeline = '\npipeline:\n  metricsPort: 0\n';
  // Each index's elasticsearch.refreshInterval, when FEDSEARCH_FLEET_REFRESH_INTERVAL is set.
  const refresh = (yaml: string): string => {
    if (!REFRESH_INTERVAL) return yaml;
    const node = '  node: ${FEDSEARCH_ES_URL:-http://127.0.0.1:9200}\n';
    if (!yaml.includes(node)) throw new Error('FEDSEARCH_FLEET_REFRESH_INTERVAL: a config without the elasticsearch.node line this bench expects');
    return yaml.replace(node, `${node}  refreshInterval: ${REFRESH_INTERVAL}\n`);
  };
  const all: Generated[] = [];
  for (let i = 0; i < count; i++) {
    const prefix = `fleet.${run}.${i}`;
    if (i % 2 === 0) {
      const alias = `fleet_${run}_m${i}`;
      const topics = ['movie', 'production', 'talent', 'credit'].map((entity) => `${prefix}.${entity}.changes`);
      let yaml = moviesYaml.replace('index: movies', `index: ${alias}`).replace('partitions: { documents: 3, dlq: 1 }', 'partitions: { documents: 1, dlq: 1 }');
      for (const entity of ['movie', 'production', 'talent', 'credit']) yaml = yaml.replaceAll(`studio.${entity}.changes`, `${prefix}.${entity}.changes`);
      all.push(write(root, { alias, graph: 'movies', topic: topics[0] as string, topics, yaml: refresh(yaml) + pipeline }));
    } else {
      const alias = `fleet_${run}_s${i}`;
      const topics = ['product', 'inventory', 'user'].map((entity) => `${prefix}.${entity}.changes`);
      let yaml = shopYaml
        .replace('index: shop-catalog', `index: ${alias}`)
        .replace('../subgraphs/shop/supergraph.graphql', supergraph)
        .replace('partitions: { documents: 2, dlq: 1 }', 'partitions: { documents: 1, dlq: 1 }');
      for (const entity of ['product', 'inventory', 'user']) yaml = yaml.replaceAll(`shop.${entity}.changes`, `${prefix}.${entity}.changes`);
      all.push(write(root, { alias, graph: 'shop', topic: topics[0] as string, topics, yaml: refresh(yaml) + pipeline }));
    }
  }
  return all;
}

function write(root: string, index: FleetIndex & { topics: string[]; yaml: string }): Generated {
  const file = join(root, 'configs', `${index.alias}.yaml`);
  mkdirSync(join(root, 'configs'), { recursive: true });
  writeFileSync(file, index.yaml);
  return { alias: index.alias, graph: index.graph, topic: index.topic, topics: index.topics, file };
}

/** One run: the processes started, their groups joined, a warm-up, the timed seconds, then Ctrl-C. */
async function measure(cli: { label: string; path: string }, spec: string, indexes: Generated[], processes: number, env: Record<string, string>, root: string, changes: FleetChanges, admin: ReturnType<Kafka['admin']>): Promise<Measured> {
  const dir = join(root, `run-${cli.label}-${spec}`);
  mkdirSync(dir, { recursive: true });
  for (const index of indexes) writeFileSync(join(dir, `${index.alias}.yaml`), readFileSync(index.file));
  const argsOf = processes === 1 ? [[dir]] : indexes.map((index) => [join(dir, `${index.alias}.yaml`)]);
  const started = performance.now();
  const children = argsOf.map((args) => startRun(cli.path, args, env));
  let metricsUrls: string[];
  try {
    metricsUrls = await Promise.all(children.map((child) => child.ready));
  } catch (error) {
    await Promise.all(children.map((child) => child.ctrlC()));
    throw error;
  }
  await waitForGroups(admin, indexes);
  const startSeconds = (performance.now() - started) / 1000;
  const pids = children.map((child) => child.pid);
  try {
    changes.setActive(indexes);
    await sleep(WARM_UP_SECONDS * 1000);
    await changes.settle(30_000);
    const documentsBefore = await documentsWritten(metricsUrls);
    const cpuBefore = pids.reduce((sum, pid) => sum + cpuMsOf(pid), 0);
    const cpuFrom = performance.now();
    changes.setTimed(true);
    let kafkaConnections = 0;
    let elasticsearchConnections = 0;
    const metrics: MetricsSample[] = [];
    const node = sampleElasticsearch(es);
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const at = performance.timeOrigin + performance.now();
        const pages = await Promise.all(metricsUrls.map(scrape)).catch(() => []);
        metrics.push({ at, byIndex: perIndexCounters(pages) });
        await sleep(1_000 - ((performance.timeOrigin + performance.now() - at) % 1_000));
      }
    })();
    for (let second = 0; second < SECONDS; second += 5) {
      await sleep(5_000);
      const counts = pids.map((pid) => tcpConnectionsOf(pid, [kafkaPort(), elasticsearchPort()]));
      kafkaConnections = Math.max(kafkaConnections, counts.reduce((sum, one) => sum + (one[kafkaPort()] ?? 0), 0));
      elasticsearchConnections = Math.max(elasticsearchConnections, counts.reduce((sum, one) => sum + (one[elasticsearchPort()] ?? 0), 0));
    }
    changes.setTimed(false);
    const elasticsearch = await node.stop();
    const groups = await groupsWithMembers(admin, indexes);
    changes.setActive([]);
    const sample = await changes.settle(60_000);
    sampling = false;
    await sampler;
    const documents = (await documentsWritten(metricsUrls)) - documentsBefore;
    const cpu = pids.reduce((sum, pid) => sum + cpuMsOf(pid), 0) - cpuBefore;
    const cpuPercent = (cpu / (performance.now() - cpuFrom)) * 100;
    const rss = pids.map(peakRssMiBOf);
    const stops = await Promise.all(children.map((child) => child.ctrlC()));
    return {
      cli: cli.label,
      run: spec,
      processes,
      indexes: indexes.length,
      startSeconds,
      peakRssMiB: rss.reduce((a, b) => a + b, 0),
      peakRssMiBByProcess: rss,
      cpuMsPerDocument: cpu / documents,
      cpuPercent,
      documents,
      freshnessMs: freshness(sample),
      kafkaConnections,
      elasticsearchConnections,
      consumerGroupsWithMembers: groups.groups,
      consumerMembers: groups.members,
      ctrlCSeconds: stops.map((stop) => stop.seconds),
      exitCodes: stops.map((stop) => stop.code),
      stages: stagesOf(sample.traces),
      pollsCutOffAt: sample.cutOffAt,
      changes: sample.traces,
      metrics,
      elasticsearch,
    };
  } catch (error) {
    await Promise.all(children.map((child) => child.ctrlC()));
    throw error;
  }
}

interface RunProcess {
  pid: number;
  /** Its /metrics base URL once every index runs. */
  ready: Promise<string>;
  /** Ctrl-C as a terminal sends it (SIGINT to its process group): how long until it exited, and its code. */
  ctrlC(): Promise<{ seconds: number; code: number | null }>;
}

function startRun(cliPath: string, args: string[], env: Record<string, string>): RunProcess {
  const { NODE_ENV: _unset, ...environment } = process.env;
  const child: ChildProcess = spawn(process.execPath, [cliPath, 'run', ...args, '--metrics-port', '0'], {
    env: { ...environment, ...env, FEDSEARCH_RUN_FROM: 'dist' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  if (LOG_DIR) {
    mkdirSync(LOG_DIR, { recursive: true });
    const log = createWriteStream(join(LOG_DIR, `${run}-${new Date().toISOString().replace(/[:.]/g, '-')}-${child.pid}.log`));
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
  }
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const url = /index\(es\) running; metrics (\S+)\/metrics/.exec(output)?.[1] ?? /pipeline \(all\) running; metrics (\S+)\/metrics/.exec(output)?.[1];
      if (url) resolve(url);
      if (/index\(es\) running/.test(output) && !/(\d+) of \1 index\(es\) running/.test(output)) reject(new Error(`not every index started:\n${output.slice(-3000)}`));
    };
    child.stderr?.on('data', onData);
    child.stdout?.on('data', onData);
    void exited.then((code) => reject(new Error(`fedsearch run exited with ${code}:\n${output.slice(-3000)}`)));
    setTimeout(() => reject(new Error(`fedsearch run did not start within 300 s:\n${output.slice(-3000)}`)), 300_000).unref();
  });
  ready.catch(() => undefined);
  return {
    pid: child.pid as number,
    ready,
    async ctrlC() {
      const from = performance.now();
      if (child.exitCode === null && child.signalCode === null) process.kill(-(child.pid as number), 'SIGINT');
      const code = await exited;
      return { seconds: (performance.now() - from) / 1000, code };
    },
  };
}

/** Every index's enrich and sink group Stable with a member: the clock must not time the joins. */
async function waitForGroups(admin: ReturnType<Kafka['admin']>, indexes: Generated[]): Promise<void> {
  const wanted = indexes.flatMap((index) => [indexNames(index.alias).enrichGroup, indexNames(index.alias).sinkGroup]);
  const deadline = performance.now() + 300_000;
  for (;;) {
    const { groups } = await admin.describeGroups(wanted);
    if (groups.every((group) => group.state === 'Stable' && group.members.length > 0)) return;
    if (performance.now() > deadline) throw new Error('the consumer groups did not all join within 300 s');
    await sleep(500);
  }
}

async function groupsWithMembers(admin: ReturnType<Kafka['admin']>, indexes: Generated[]): Promise<{ groups: number; members: number }> {
  const names = indexes.flatMap((index) => {
    const n = indexNames(index.alias);
    return [n.enrichGroup, n.sinkGroup, n.recoverGroup];
  });
  const { groups } = await admin.describeGroups(names);
  const live = groups.filter((group) => group.members.length > 0);
  return { groups: live.length, members: live.reduce((sum, group) => sum + group.members.length, 0) };
}

async function documentsWritten(metricsUrls: string[]): Promise<number> {
  const pages = await Promise.all(metricsUrls.map(scrape));
  return pages.reduce((sum, page) => sum + metricSum(page, 'fedsearch_documents_written_total'), 0);
}

/** Per index (the `index` label): change events read, entities fetched, documents written, and the enrich and sink groups' lag. */
function perIndexCounters(pages: string[]): MetricsSample['byIndex'] {
  const byIndex: MetricsSample['byIndex'] = {};
  const columns: Record<string, number> = { fedsearch_events_total: 0, fedsearch_documents_fetched_total: 1, fedsearch_documents_written_total: 2 };
  for (const page of pages) {
    for (const line of page.split('\n')) {
      const match = /^(fedsearch_events_total|fedsearch_documents_fetched_total|fedsearch_documents_written_total|fedsearch_consumer_lag)\{([^}]*)\} (\S+)$/.exec(line);
      if (!match) continue;
      const [, name, labels, value] = match as unknown as [string, string, string, string];
      const index = /(?:^|,)index="([^"]+)"/.exec(labels)?.[1];
      if (!index) continue;
      const row = (byIndex[index] ??= [0, 0, 0, 0, 0]);
      const column = name === 'fedsearch_consumer_lag' ? (/group="[^"]*sink[^"]*"/.test(labels) ? 4 : 3) : (columns[name] as number);
      row[column] = (row[column] ?? 0) + Number(value);
    }
  }
  return byIndex;
}

/** Percentiles of each stage's share of the timed changes (ms). */
function stagesOf(traces: ChangeTrace[]): Measured['stages'] {
  const spans: Record<string, (trace: ChangeTrace) => number | undefined> = {
    'sent → on change topic': (t) => (t.onTopicAt === undefined ? undefined : t.onTopicAt - t.sentAt),
    'on change topic → fetch sent': (t) => (t.onTopicAt === undefined || t.fetchSentAt === undefined ? undefined : t.fetchSentAt - t.onTopicAt),
    'fetch sent → produced': (t) => (t.fetchSentAt === undefined || t.producedAt === undefined ? undefined : t.producedAt - t.fetchSentAt),
    'produced → searchable': (t) => (t.producedAt === undefined || t.foundAt === undefined ? undefined : t.foundAt - t.producedAt),
    'sent → searchable': (t) => (t.foundAt === undefined ? undefined : t.foundAt - t.sentAt),
  };
  const stages: Measured['stages'] = {};
  for (const [name, span] of Object.entries(spans)) {
    const values = traces.map(span).filter((value): value is number => value !== undefined).sort((a, b) => a - b);
    stages[name] = { p50: percentile(values, 50), p95: percentile(values, 95), p99: percentile(values, 99), max: values.at(-1) ?? Number.NaN, count: values.length };
  }
  return stages;
}

function freshness(sample: FreshnessSample): Measured['freshnessMs'] {
  return {
    p50: percentile(sample.latenciesMs, 50),
    p95: percentile(sample.latenciesMs, 95),
    p99: percentile(sample.latenciesMs, 99),
    count: sample.latenciesMs.length,
    moviesP99: percentile(sample.byGraph.movies, 99),
    shopP99: percentile(sample.byGraph.shop, 99),
    superseded: sample.superseded,
    lost: sample.lost,
    refused: sample.refused,
    polls: sample.polls,
    pollsCutOff: sample.cutOff,
  };
}

/** Every index, template, metadata record, topic and consumer group the bench made. */
async function removeIndexes(generated: Generated[]): Promise<void> {
  await es.indices.delete({ index: `fleet_${run}_*`, ignore_unavailable: true, allow_no_indices: true });
  for (const index of generated) {
    await es.indices.deleteIndexTemplate({ name: indexNames(index.alias).templateName }).catch(() => undefined);
    await es.delete({ index: METADATA_INDEX, id: index.alias }).catch(() => undefined);
  }
  const admin = kafka.admin();
  await admin.connect();
  try {
    const names = generated.map((index) => indexNames(index.alias));
    await admin.deleteTopics({ topics: [...generated.flatMap((index) => index.topics), ...names.flatMap((n) => [n.documentsTopic, n.dlqTopic])] }).catch(() => undefined);
    await admin.deleteGroups(names.flatMap((n) => [n.enrichGroup, n.sinkGroup, n.recoverGroup])).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

function table(results: Measured[]): string {
  const one = new Map(results.filter((r) => r.run === '1').map((r) => [r.cli, r]));
  const fixed = (value: number, digits = 0): string => (Number.isFinite(value) ? value.toFixed(digits) : '–');
  const lines = [
    `${new Date().toISOString().slice(0, 16)} UTC; ${SECONDS} s timed per run after ${WARM_UP_SECONDS} s of warm-up; ${MOVIE_CHANGES_PER_SECOND} movie and ${SHOP_CHANGES_PER_SECOND} shop changes/s to every running index over that graph.`,
    '',
    '| build | run | processes | peak RSS MiB (× 1 index) | CPU ms / document | freshness p50 / p99 ms (p99 × 1 index) | movies / shop p99 ms | produced → searchable p99 ms | ES refresh ms per s p50 (threads), queue max | Kafka connections | ES connections | groups with members | start s | Ctrl-C s |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    const base = one.get(r.cli);
    const ratio = (value: number, of: number | undefined): string => (of ? ` (${fixed(value / of, 2)}×)` : '');
    lines.push(
      `| ${r.cli} | ${r.run} | ${r.processes} | ${fixed(r.peakRssMiB)}${ratio(r.peakRssMiB, base?.peakRssMiB)} | ${fixed(r.cpuMsPerDocument, 2)} | ${fixed(r.freshnessMs.p50)} / ${fixed(r.freshnessMs.p99)}${ratio(r.freshnessMs.p99, base?.freshnessMs.p99)} | ${fixed(r.freshnessMs.moviesP99)} / ${fixed(r.freshnessMs.shopP99)} | ${fixed(r.stages['produced → searchable']?.p99 ?? Number.NaN)} | ${fixed(r.elasticsearch.summary.refreshMsP50)} (${r.elasticsearch.refreshThreads}), ${r.elasticsearch.summary.refreshQueueMax} | ${r.kafkaConnections} | ${r.elasticsearchConnections} | ${r.consumerGroupsWithMembers} | ${fixed(r.startSeconds)} | ${r.ctrlCSeconds.length > 1 ? `max ${fixed(Math.max(...r.ctrlCSeconds), 1)}` : fixed(r.ctrlCSeconds[0] ?? Number.NaN, 1)} |`,
    );
  }
  return lines.join('\n');
}
