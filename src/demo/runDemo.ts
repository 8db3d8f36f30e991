import { loadIndex } from '../graph/loadIndex.ts';
import { provision } from '../provision/provisionCommand.ts';
import { kafkaBrokers } from '../stack/kafkaService.ts';
import { stackDown, stackServices, stackUp } from '../stack/stack.ts';
import { printGraph, startDemoGraphOrExplain } from './runDemoGraph.ts';
import { untilInterrupted } from './untilInterrupted.ts';

const say = (message: string): void => void process.stderr.write(`${message}\n`);

const DEMO_CONFIG = new URL('../../index-configs/movies.yaml', import.meta.url).pathname;

/**
 * The demo: the local stack, the demo graph, and the movies index provisioned from
 * index-configs/movies.yaml. (Backfill, live indexing and the search service join it as they
 * land.) Ctrl-C — or a failure — stops what this run started; a stack that was already running
 * is left running.
 */
export async function runDemo(options: { movies: number }): Promise<void> {
  const startedServices = await stackUp(say);
  const stopStack = async (): Promise<void> => {
    await stackDown(say, stackServices().filter((service) => startedServices.has(service.name)));
  };
  let graph;
  try {
    graph = await startDemoGraphOrExplain({ movies: options.movies, kafkaBrokers: kafkaBrokers() });
    printGraph(graph);
    const movies = await loadIndex(DEMO_CONFIG);
    say(`provisioning ${movies.config.index} from ${DEMO_CONFIG}…`);
    await provision(movies, { dryRun: false }, say);
    process.stdout.write(`elasticsearch ${movies.config.elasticsearch.node} (alias ${movies.config.index})\n`);
    say('Ctrl-C stops everything this demo started.');
    await untilInterrupted();
  } finally {
    await graph?.stop();
    await stopStack();
  }
}
