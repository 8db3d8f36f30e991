import { Command, InvalidArgumentError, Option } from 'commander';
import { fromDevelopmentStack } from './developmentStack.ts';
import { durationArgument } from './durationArgument.ts';
import { runAction } from './runAction.ts';

function nonNegativeNumber(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) throw new InvalidArgumentError('expected a number of 0 or more');
  return value;
}

function percent(text: string): number {
  const value = Number(text.replace(/%$/, ''));
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || value > 100) throw new InvalidArgumentError('expected a percentage from 0 to 100');
  return value;
}

function positiveInt(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new InvalidArgumentError('expected a positive whole number');
  return value;
}

export function addDemoCommands(program: Command): void {
  const demo = program
    .command('demo')
    .description(
      'run the demo: start Elasticsearch, Kafka, PostgreSQL and Kafka Connect, the demo federated graph (its teams\' rows ' +
        'in PostgreSQL, captured by Debezium) and the search subgraph; provision index-configs/cdc/movies.yaml, backfill it, ' +
        'keep it in step with the live pipeline while a change generator mutates the graph, and serve search. Prints the ' +
        'URLs; Ctrl-C stops everything it started.',
    )
    .enablePositionalOptions()
    .option('--movies <n>', 'size of the generated studio (productions = movies, talent = 3 × movies)', positiveInt, 10_000)
    .option('--changes-per-second <n>', 'mutations the change generator makes across the three subgraphs (0: none)', nonNegativeNumber, 1)
    .option('--quiet-changes', 'do not print each generated change (a count is printed every 30 s)')
    .addOption(
      new Option('--store <store>', 'where the teams keep their rows: postgres (changes captured by Debezium; index-configs/cdc/movies.yaml) or memory (application events; index-configs/movies.yaml)')
        .choices(['postgres', 'memory'])
        .default('postgres'),
    )
    .option('--fresh', 'start from the generated studio: empty the team databases and fill them again (by default the studio an earlier demo of the same size left, with its changes, is kept)')
    .action(runAction(async (options: { movies: number; changesPerSecond: number; quietChanges?: boolean; store: 'postgres' | 'memory'; fresh?: boolean }) => {
      const { runDemo } = await fromDevelopmentStack('demo', () => import('../stack/demo/runDemo.ts'));
      await runDemo({
        movies: options.movies,
        changesPerSecond: options.changesPerSecond,
        printChanges: options.quietChanges !== true,
        store: options.store,
        fresh: options.fresh === true,
      });
    }));

  const graph = demo.command('graph').description('the demo federated graph on its own');
  graph
    .command('up')
    .description('start the movies, productions and talent subgraphs and a gateway (or, with --shop, the shop graph); Ctrl-C stops them')
    .option('--shop', 'the shop graph instead: users, products, inventory and reviews on ports 4101–4104, a gateway on 4100 (index-configs/shop-*.yaml)')
    .option('--movies <n>', 'size of the generated studio', positiveInt, 10_000)
    .option('--seed <n>', 'seed of the data generator (same seed, same studio)', positiveInt, 42)
    .option('--no-events', 'do not publish change events to Kafka (mutations still work)')
    .option('--kafka <brokers>', 'Kafka brokers for change events, comma-separated', '127.0.0.1:9092')
    .option(
      '--postgres <url>',
      "keep the teams' rows in PostgreSQL at this server, one database per team (the stack's: postgresql://postgres@127.0.0.1:55432), and publish no events: changes are for a CDC connector to capture",
    )
    .action(runAction(async (options: { movies: number; seed: number; events: boolean; kafka: string; shop?: boolean; postgres?: string }) => {
      const { runDemoGraph, runShopGraph } = await import('../src/demo/runDemoGraph.ts');
      if (options.shop) {
        await runShopGraph({ kafkaBrokers: options.events ? options.kafka.split(',') : null });
        return;
      }
      await runDemoGraph({
        movies: options.movies,
        seed: options.seed,
        kafkaBrokers: options.events && options.postgres === undefined ? options.kafka.split(',') : null,
        ...(options.postgres === undefined ? {} : { postgresUrl: options.postgres }),
      });
    }));

  graph
    .command('fault')
    .argument('<subgraph>', 'the demo subgraph to fail: movies, productions or talent')
    .description(
      'make the running demo graph (fedsearch demo, or demo graph up) fail: a share of the subgraph\'s entity resolutions answer ' +
        'with a GraphQL error (code FAULT_INJECTED), or with null (--answer null), for a while, the same entities all along; --errors 0 ends it',
    )
    .requiredOption('--errors <percent>', 'share of the subgraph\'s entities that fail, 0–100', percent)
    .addOption(new Option('--answer <how>', 'what a failing entity answers: a GraphQL error, or null as a lagging replica would').choices(['error', 'null']).default('error'))
    .option('--for <duration>', 'how long the fault lasts (30s, 15m, 2h)', durationArgument, 60)
    // DEFAULT_FAULT_ADMIN_URL (src/demo/demoGraphFault.ts), spelled out so that `--help` loads nothing.
    // DEFAULT_FAULT_ADMIN_URL (src/demo/demoGraphFault.ts), spelled out so that `--help` loads nothing.
    .option('--admin <url>', 'the demo graph\'s fault switch (loopback only)', 'http://127.0.0.1:4005')
    .action(runAction(async (subgraph: string, options: { errors: number; for: number; admin: string; answer: 'error' | 'null' }) => {
      const { setDemoGraphFault } = await import('../src/demo/demoGraphFault.ts');
      process.stdout.write(`${await setDemoGraphFault(options.admin, { subgraph, errorPercent: options.errors, forSeconds: options.for, answer: options.answer })}\n`);
    }));
}
