import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@elastic/elasticsearch';
import { Kafka, logLevel } from '../src/clients/kafkajs.ts';
import { loadIndex, type LoadedIndex } from '../src/index/loadIndex.ts';
import { METADATA_INDEX } from '../src/index/indexMetadata.ts';
import { provision } from '../src/provision/provisionCommand.ts';
import { runBackfill } from '../src/backfill/runBackfill.ts';
import { runPipeline, type RunningPipeline } from '../src/pipeline/runPipeline.ts';
import { readDeadLetter, type DeadLetter } from '../src/pipeline/deadLetters.ts';
import { indexNames } from '../src/index/indexNames.ts';
import { startDemoGraph, type DemoGraph, type DemoGraphOptions } from '../subgraphs/startDemoGraph.ts';
import { postGraphQL } from '../subgraphs/shared/postGraphQL.ts';

/**
 * A private world for one integration test file or one benchmark (test/ and bench/ both import it
 * from here): its own demo graph (on free ports, publishing to topics of its own), a copy of
 * index-configs/movies.yaml pointing at them, written to a temp file, and the index provisioned on
 * the real stack. `dispose()` removes all of it.
 */
export interface IndexHarness {
  run: string;
  index: string;
  graph: DemoGraph;
  configFile: string;
  /** Environment the config's ${VAR}s read (also for child `fedsearch` processes). */
  env: Record<string, string>;
  loaded: LoadedIndex;
  es: Client;
  kafka: Kafka;
  gql<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  dispose(): Promise<void>;
}

export async function createIndexHarness(options: {
  elasticsearchUrl: string;
  kafkaBrokers: string[];
  movies: number;
  hubTalentMovies?: number;
  /** Edits to the YAML text beyond the names. */
  edit?: (yaml: string) => string;
  /**
   * A running demo graph to use instead of starting one (it is left running on dispose). Its
   * change events go to its own topics; the harness's config names topics of its own.
   */
  graph?: DemoGraph;
  /**
   * Lines of the `pipeline:` section besides metricsPort (default: 2 retries, outages not waited
   * out, and no automatic retries of dead letters, so a test's letters stay as written until it
   * replays them).
   */
  pipelineSettings?: string;
  /** Partitions of each change-event topic (default 3). */
  sourcePartitions?: number;
  /** Plugins of the harness graph's gateway server (a test reads the requests it receives). */
  gatewayPlugins?: DemoGraphOptions['gatewayPlugins'];
}): Promise<IndexHarness> {
  const run = randomUUID().slice(0, 8);
  const index = `it_${run}`;
  const topics = {
    movie: `it.${run}.movie.changes`,
    production: `it.${run}.production.changes`,
    talent: `it.${run}.talent.changes`,
    credit: `it.${run}.credit.changes`,
  };
  const kafka = new Kafka({ clientId: 'it-harness', brokers: options.kafkaBrokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: Object.values(topics).map((topic) => ({ topic, numPartitions: options.sourcePartitions ?? 3 })), waitForLeaders: true });
  await admin.disconnect();

  const graph = options.graph ?? await startDemoGraph({
    movies: options.movies,
    hubTalentMovies: options.hubTalentMovies ?? 0,
    kafkaBrokers: options.kafkaBrokers,
    topics,
    ports: { gateway: 0, movies: 0, productions: 0, talent: 0 },
    ...(options.gatewayPlugins ? { gatewayPlugins: options.gatewayPlugins } : {}),
  });
  let yaml = readFileSync(new URL('../index-configs/movies.yaml', import.meta.url), 'utf8')
    .replace('index: movies', `index: ${index}`)
    .replaceAll('studio.movie.changes', topics.movie)
    .replaceAll('studio.production.changes', topics.production)
    .replaceAll('studio.talent.changes', topics.talent)
    .replaceAll('studio.credit.changes', topics.credit);
  // A free metrics port and few retries, so failure cases reach the DLQ quickly.
  yaml = `${options.edit ? options.edit(yaml) : yaml}\npipeline:\n  metricsPort: 0\n${options.pipelineSettings ?? '  retries: 2\n  outageToleranceSeconds: 0\n  retryDeadLetters:\n    enabled: false\n'}`;
  const configFile = join(mkdtempSync(join(tmpdir(), 'fedsearch-it-')), `${index}.yaml`);
  writeFileSync(configFile, yaml);
  const env = {
    FEDSEARCH_GATEWAY_URL: graph.gatewayUrl,
    FEDSEARCH_ES_URL: options.elasticsearchUrl,
    FEDSEARCH_KAFKA_BROKERS: options.kafkaBrokers[0] as string,
  };
  Object.assign(process.env, env);
  const loaded = await loadIndex(configFile);
  await provision(loaded, { dryRun: false }, () => {});
  const es = new Client({ node: options.elasticsearchUrl });

  return {
    run,
    index,
    graph,
    configFile,
    env,
    loaded,
    es,
    kafka,
    gql: <T>(query: string, variables: Record<string, unknown> = {}) => postGraphQL<T>(graph.gatewayUrl, query, variables),
    async dispose() {
      if (!options.graph) await graph.stop();
      await es.indices.delete({ index: `${index}_v*`, ignore_unavailable: true, allow_no_indices: true });
      await es.indices.deleteIndexTemplate({ name: indexNames(index).templateName }).catch(() => undefined);
      await es.delete({ index: METADATA_INDEX, id: index }).catch(() => undefined);
      const cleanup = kafka.admin();
      await cleanup.connect();
      await cleanup
        .deleteTopics({ topics: [...Object.values(topics), `${index}.documents`, `${index}.dlq`] })
        .catch(() => undefined);
      await cleanup.disconnect();
      await es.close();
    },
  };
}

/** Every letter on a dead-letter topic so far, read from the beginning by a throwaway group. */
export async function readDeadLetters(kafka: Kafka, topic: string): Promise<DeadLetter[]> {
  const admin = kafka.admin();
  await admin.connect();
  const end = (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  await admin.disconnect();
  const letters: DeadLetter[] = [];
  if (end === 0) return letters;
  const consumer = kafka.consumer({ groupId: `it-dlq-reader-${Date.now()}-${Math.random()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        letters.push(readDeadLetter(message));
        if (letters.length >= end) resolve();
      },
    });
  });
  await consumer.disconnect();
  return letters;
}

/**
 * A harness whose index is backfilled from the graph, with the live pipeline (both stages) keeping
 * it in step: the state of a running deployment. `stop` stops the pipeline and disposes of it all.
 */
export async function createLiveIndexHarness(options: {
  elasticsearchUrl: string;
  kafkaBrokers: string[];
  movies: number;
}): Promise<{ h: IndexHarness; pipeline: RunningPipeline; stop(): Promise<void> }> {
  const h = await createIndexHarness(options);
  const quiet = { update: () => {}, note: () => {}, stop: () => {} };
  await runBackfill(h.loaded, { rate: Number.POSITIVE_INFINITY, resume: false, newVersion: false, cleanup: false, graceSeconds: 0 }, quiet);
  const pipeline = await runPipeline(h.loaded, { stage: 'all', metricsPort: 0 });
  return {
    h,
    pipeline,
    async stop() {
      await pipeline.stop();
      await h.dispose();
    },
  };
}

/** The document `id` of the harness's index as stored (`_source`), or null when there is none. */
export async function indexedDocument<T>(h: Pick<IndexHarness, 'es' | 'index'>, id: string): Promise<T | null> {
  try {
    return (await h.es.get<T>({ index: h.index, id }))._source ?? null;
  } catch (error) {
    if ((error as { meta?: { statusCode?: number } }).meta?.statusCode === 404) return null;
    throw error;
  }
}

/** Polls until `check` returns a value that is not undefined, or fails after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await sleep(200);
  }
}
