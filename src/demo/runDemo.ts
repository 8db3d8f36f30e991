import { stackUp } from '../stack/stack.ts';
import { kafkaBrokers } from '../stack/kafkaService.ts';
import { printGraph, startDemoGraphOrExplain } from './runDemoGraph.ts';
import { untilInterrupted } from './untilInterrupted.ts';
import { stackDown, stackServices } from '../stack/stack.ts';

const say = (message: string): void => void process.stderr.write(`${message}\n`);

/**
 * The demo: the local stack and the demo graph. Ctrl-C stops what this run started (a stack that
 * was already running is left running).
 */
export async function runDemo(options: { movies: number }): Promise<void> {
  const startedServices = await stackUp(say);
  const graph = await startDemoGraphOrExplain({ movies: options.movies, kafkaBrokers: kafkaBrokers() });
  printGraph(graph);
  say('Ctrl-C stops everything this demo started.');
  await untilInterrupted();
  await graph.stop();
  const ours = stackServices().filter((service) => startedServices.has(service.name));
  await stackDown(say, ours);
}
