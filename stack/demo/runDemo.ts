import type { Client } from '@elastic/elasticsearch';
import { elasticsearchClient } from '../../src/clients/elasticsearchClient.ts';
import { serveSearch, type RunningSearch } from '../../src/search/serveSearch.ts';
import { SearchService } from '../../src/search/searchService.ts';
import { searchSubgraph } from '../../src/search/searchSubgraph.ts';
import { backfillProgress } from '../../src/backfill/backfillProgress.ts';
import { runBackfill } from '../../src/backfill/runBackfill.ts';
import { loadIndex } from '../../src/index/loadIndex.ts';
import { runPipeline, type RunningPipeline } from '../../src/pipeline/runPipeline.ts';
import { provision } from '../../src/provision/provisionCommand.ts';
import { elasticsearchUrl } from '../elasticsearchService.ts';
import { kafkaBrokers } from '../kafkaService.ts';
import { kafkaConnectUrl } from '../kafkaConnectService.ts';
import { postgresUrl, TEAM_DATABASES } from '../postgresService.ts';
import { allStackServices, stackDown, stackServices, stackUp } from '../stack.ts';
import { captureTeamDatabases, forgetTeamCapture } from '../teamCapture.ts';
import { holdsStudio } from '../../subgraphs/shared/postgresStore.ts';
import { studioKey } from '../../subgraphs/shared/openTeamStore.ts';
import { startChangeGenerator, type RunningChangeGenerator } from '../../subgraphs/changeGenerator.ts';
import { printGraph, startDemoGraphOrExplain } from '../../src/demo/runDemoGraph.ts';
import { handleInterrupts, interruption, InterruptedError, throwIfInterrupted, untilInterrupted } from '../../src/interruption.ts';

const say = (message: string): void => void process.stderr.write(`${message}\n`);

/** Where the demo teams keep their rows: PostgreSQL, captured by Debezium (the default), or memory, with application events. */
export type DemoStore = 'postgres' | 'memory';

const DEMO_CONFIGS: Record<DemoStore, string> = {
  postgres: new URL('../../index-configs/cdc/movies.yaml', import.meta.url).pathname,
  memory: new URL('../../index-configs/movies.yaml', import.meta.url).pathname,
};
const SUPERGRAPH_FILE = new URL('../../subgraphs/supergraph.graphql', import.meta.url).pathname;

/**
 * The demo: the local stack, the demo graph — its teams' rows in PostgreSQL, their changes
 * captured by Debezium (or, with store `memory`, in memory with application events) — the movies
 * index provisioned from index-configs/cdc/movies.yaml (or movies.yaml) and backfilled, the live pipeline keeping it in step, and search: the
 * search page, the HTTP API and `searchMovies` in the gateway — while a change generator mutates the
 * graph so the index visibly moves. Ctrl-C — or a failure — stops what this run started; a stack
 * that was already running is left running.
 */
export async function runDemo(options: {
  movies: number;
  changesPerSecond: number;
  printChanges: boolean;
  store: DemoStore;
  /** Fill the team databases with the generated studio again, even when an earlier demo left it (and its changes) there. */
  fresh?: boolean;
}): Promise<void> {
  // From the first moment: a Ctrl-C while the stack starts or the backfill runs stops the demo
  // cleanly too, not only once the URLs are printed.
  handleInterrupts(say);
  const started = Date.now();
  const onPostgres = options.store === 'postgres';
  const DEMO_CONFIG = DEMO_CONFIGS[options.store];
  const startedServices = await stackUp(say, onPostgres ? allStackServices() : stackServices());
  let graph;
  let pipeline: RunningPipeline | undefined;
  let search: RunningSearch | undefined;
  let searchClient: Client | undefined;
  let changes: RunningChangeGenerator | undefined;
  let changeCounter: NodeJS.Timeout | undefined;
  try {
    // The search side needs only the config and the schema (the shipped supergraph), so it can
    // be up before the gateway that composes its subgraph.
    // Stopping is how a demo ends, whenever it comes: exit 0.
    const stopped = (): void => throwIfInterrupted('demo stopped', { workLeft: false });
    stopped();
    // The demo config reaches the stack through ${FEDSEARCH_ES_URL} and ${FEDSEARCH_KAFKA_BROKERS}:
    // point them at the stack this run uses, which FEDSEARCH_ES_PORT / FEDSEARCH_KAFKA_PORT may move.
    const env = { FEDSEARCH_ES_URL: elasticsearchUrl(), FEDSEARCH_KAFKA_BROKERS: kafkaBrokers().join(','), ...process.env };
    const movies = await loadIndex(DEMO_CONFIG, { schemaFile: SUPERGRAPH_FILE, env });
    search = await serveSearch([movies], { host: '127.0.0.1', port: 8080, subgraphPort: null, requestTimeoutMs: 15_000, maxBodyBytes: 65_536 });
    searchClient = elasticsearchClient(movies.config.elasticsearch);
    const pgUrl = postgresUrl();
    const fillStudio = onPostgres && (options.fresh === true || !(await holdsStudio(pgUrl, TEAM_DATABASES, studioKey({ movies: options.movies }))));
    if (fillStudio) {
      // The databases are filled anew with this studio: their connectors must not stream that.
      say(
        options.fresh === true
          ? 'filling the team databases with the generated studio again (--fresh): removing their connectors first…'
          : 'the team databases hold no studio of this size yet: removing their connectors before filling them…',
      );
      await forgetTeamCapture(kafkaConnectUrl(), pgUrl);
    } else if (onPostgres) {
      say('the team databases hold this studio from an earlier demo, with the changes made to it since (--fresh starts from the generated studio)');
    }
    graph = await startDemoGraphOrExplain({
      movies: options.movies,
      kafkaBrokers: onPostgres ? null : kafkaBrokers(),
      ...(onPostgres ? { postgresUrl: pgUrl, freshStudio: fillStudio } : {}),
      search: searchSubgraph([{ service: new SearchService(movies, searchClient), query: movies.query }]),
    });
    printGraph(graph);
    stopped();
    if (onPostgres) {
      const registered = await captureTeamDatabases({ connectUrl: kafkaConnectUrl(), pgUrl, kafkaBrokers: kafkaBrokers(), topics: Object.values(graph.topics) });
      process.stdout.write(
        [
          `databases      ${TEAM_DATABASES.map((database) => `${pgUrl}/${database}`).join(', ')}`,
          `connectors     ${[...registered].map(([name, how]) => `${name} (${how})`).join(', ')} in Kafka Connect ${kafkaConnectUrl()}`,
          '',
        ].join('\n'),
      );
      stopped();
    }
    say(`provisioning ${movies.config.index} from ${DEMO_CONFIG}…`);
    await provision(movies, { dryRun: false }, say);
    stopped();
    pipeline = await runPipeline(movies, { stage: 'all' });
    stopped();
    say(`backfilling ${movies.config.index} (cap ${movies.config.backfill.rate} entities/s)…`);
    // An index left by an earlier demo (perhaps of another size) is rebuilt as a new version and
    // swapped in, so the demo starts from exactly this studio — and shows a zero-downtime reindex.
    const earlier = (await searchClient.count({ index: movies.config.index })).count > 0;
    const summary = await runBackfill(
      movies,
      { resume: false, newVersion: earlier, cleanup: true, graceSeconds: 0, signal: interruption },
      backfillProgress(),
    ).catch((error: unknown) => {
      throw error instanceof InterruptedError ? new InterruptedError('demo stopped during the backfill', { workLeft: false }) : error;
    });
    say(`backfilled ${summary.done} movies in ${summary.seconds.toFixed(0)}s; the live pipeline keeps the index in step`);
    process.stdout.write(
      [
        `search page    ${search.apiUrl}/   (API: POST ${search.apiUrl}/v1/indexes/${movies.config.index}/search)`,
        `search graph   ${graph.gatewayUrl}  (query { searchMovies(filter: "…") { totalCount edges { node { title } } } })`,
        `elasticsearch  ${movies.config.elasticsearch.node}/${movies.config.index}/_search`,
        `metrics        ${pipeline.metricsUrl}/metrics  (health: ${pipeline.metricsUrl}/healthz)`,
        ...(onPostgres ? [`by hand        psql ${postgresUrl()}/movies -c "UPDATE movies SET title = 'Edited by hand' WHERE id = 'mov-0000001'"`] : []),
        '',
      ].join('\n'),
    );
    if (options.changesPerSecond > 0) {
      say(`change generator: ${options.changesPerSecond} mutation(s)/s across movies, productions and talent`);
      changes = startChangeGenerator({
        gatewayUrl: graph.gatewayUrl,
        movies: options.movies,
        perSecond: options.changesPerSecond,
        onChange: options.printChanges ? (change) => say(`change  ${change.description}`) : undefined,
        onError: (error, kind) => say(`change generator: a ${kind} mutation failed (${error.message}); going on`),
      });
      const generator = changes;
      changeCounter = setInterval(() => {
        const counts = generator.counts();
        say(`changes so far: ${counts.movie} movie, ${counts.production} production, ${counts.talent} talent, ${counts.credit} credit`);
      }, 30_000);
    }
    say(`ready in ${((Date.now() - started) / 1000).toFixed(0)}s. Ctrl-C stops everything this demo started.`);
    await untilInterrupted();
    say('stopping the demo…');
  } finally {
    clearInterval(changeCounter);
    await changes?.stop();
    await pipeline?.stop();
    await graph?.stop();
    await search?.close();
    await searchClient?.close();
    await stackDown(say, allStackServices().filter((service) => startedServices.has(service.name)));
    say('demo stopped');
  }
}
