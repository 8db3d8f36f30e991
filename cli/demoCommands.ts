import { Command, InvalidArgumentError } from 'commander';
import { runDemoGraph } from '../src/demo/runDemoGraph.ts';
import { runDemo } from '../src/demo/runDemo.ts';
import { runAction } from './runAction.ts';

function positiveInt(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new InvalidArgumentError('expected a positive whole number');
  return value;
}

export function addDemoCommands(program: Command): void {
  const demo = program
    .command('demo')
    .description('run the demo: local stack, the demo federated graph, and (as they land) indexing and search')
    .enablePositionalOptions()
    .option('--movies <n>', 'size of the generated studio (productions = movies, talent = 3 × movies)', positiveInt, 10_000)
    .action(runAction(async (options: { movies: number }) => {
      await runDemo({ movies: options.movies });
    }));

  const graph = demo.command('graph').description('the demo federated graph on its own');
  graph
    .command('up')
    .description('start the movies, productions and talent subgraphs and a gateway; Ctrl-C stops them')
    .option('--movies <n>', 'size of the generated studio', positiveInt, 10_000)
    .option('--seed <n>', 'seed of the data generator (same seed, same studio)', positiveInt, 42)
    .option('--no-events', 'do not publish change events to Kafka (mutations still work)')
    .option('--kafka <brokers>', 'Kafka brokers for change events, comma-separated', '127.0.0.1:9092')
    .action(runAction(async (options: { movies: number; seed: number; events: boolean; kafka: string }) => {
      await runDemoGraph({
        movies: options.movies,
        seed: options.seed,
        kafkaBrokers: options.events ? options.kafka.split(',') : null,
      });
    }));
}
