import { backfillProgress } from '../backfill/backfillProgress.ts';
import { runBackfill } from '../backfill/runBackfill.ts';
import { loadIndex } from '../graph/loadIndex.ts';
import { runPipeline, type RunningPipeline } from '../pipeline/runPipeline.ts';
import { provision } from '../provision/provisionCommand.ts';
import { kafkaBrokers } from '../stack/kafkaService.ts';
import { stackDown, stackServices, stackUp } from '../stack/stack.ts';
import { printGraph, startDemoGraphOrExplain } from './runDemoGraph.ts';
import { untilInterrupted } from './untilInterrupted.ts';

const say = (message: string): void => void process.stderr.write(`${message}\n`);

const DEMO_CONFIG = new URL('../../index-configs/movies.yaml', import.meta.url).pathname;

/**
 * The demo: the local stack, the demo graph, the movies index provisioned from
 * index-configs/movies.yaml and backfilled, and the live pipeline keeping it in step. (The search
 * service and a change generator join it as they land.) Ctrl-C — or a failure — stops what this
 * run started; a stack that was already running is left running.
 */
export async function runDemo(options: { movies: number }): Promise<void> {
  const startedServices = await stackUp(say);
  let graph;
  let pipeline: RunningPipeline | undefined;
  try {
    graph = await startDemoGraphOrExplain({ movies: options.movies, kafkaBrokers: kafkaBrokers() });
    printGraph(graph);
    const movies = await loadIndex(DEMO_CONFIG);
    say(`provisioning ${movies.config.index} from ${DEMO_CONFIG}…`);
    await provision(movies, { dryRun: false }, say);
    pipeline = await runPipeline(movies, { stage: 'all' });
    say(`backfilling ${movies.config.index} (cap ${movies.config.backfill.rate} entities/s)…`);
    const summary = await runBackfill(movies, { resume: false, newVersion: false, cleanup: false, graceSeconds: 0 }, backfillProgress());
    say(`backfilled ${summary.done} movies in ${summary.seconds.toFixed(0)}s; the live pipeline keeps the index in step`);
    process.stdout.write(
      [
        `elasticsearch  ${movies.config.elasticsearch.node}/${movies.config.index}/_search`,
        `metrics        ${pipeline.metricsUrl}/metrics  (health: ${pipeline.metricsUrl}/healthz)`,
        '',
      ].join('\n'),
    );
    say('Ctrl-C stops everything this demo started.');
    await untilInterrupted();
  } finally {
    await pipeline?.stop();
    await graph?.stop();
    await stackDown(say, stackServices().filter((service) => startedServices.has(service.name)));
  }
}
