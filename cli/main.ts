import { Command } from 'commander';
import { addStackCommands } from './stackCommands.ts';
import { addDemoCommands } from './demoCommands.ts';

const program = new Command('fedsearch')
  .description(
    'Make a federated GraphQL graph searchable: generate an Avro schema and an Elasticsearch index\n' +
      'template from a query, keep the index in step with the graph through Kafka, and serve search.',
  )
  .showHelpAfterError('(run with --help for usage)')
  // `demo --movies` and `demo graph up --movies` are different options of different commands.
  .enablePositionalOptions();

addStackCommands(program);
addDemoCommands(program);

await program.parseAsync(process.argv);
