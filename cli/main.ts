import { Command, Option } from 'commander';
import { UserError } from '../src/errors.ts';
import { heapGrowingPercent, limitHeapGrowth } from '../src/heapGrowth.ts';
import { LOG_FORMATS } from '../src/logFormat.ts';
import { addStackCommands } from './stackCommands.ts';
import { addDemoCommands } from './demoCommands.ts';
import { addIndexCommands, addInitCommand } from './indexCommands.ts';
import { addPipelineCommands } from './pipelineCommands.ts';
import { addBackfillCommands } from './backfillCommands.ts';
import { addApplyCommand } from './applyCommands.ts';
import { addSearchCommands } from './searchCommands.ts';

// Before any command loads its libraries: start-up is part of a process's peak memory.
try {
  limitHeapGrowth(heapGrowingPercent());
} catch (error) {
  if (!(error instanceof UserError)) throw error;
  process.stderr.write(`fedsearch: ${error.message}\n`);
  process.exit(error.exitCode);
}

const program = new Command('fedsearch')
  .description(
    'Make a federated GraphQL graph searchable: generate an Avro schema and an Elasticsearch index ' +
      'template from a query, keep the index in step with the graph through Kafka, and serve search.',
  )
  .showHelpAfterError('(run with --help for usage)')
  // `demo --movies` and `demo graph up --movies` are different options of different commands.
  .enablePositionalOptions()
  .addHelpText(
    'after',
    `
Exit codes: 0 success, 1 a problem in your input (config, query, arguments), 2 a service is
missing or failing (Elasticsearch, Kafka, the gateway, Java/Maven for the local stack).`,
  );

addInitCommand(program);
addIndexCommands(program);
addPipelineCommands(program);
addBackfillCommands(program);
addApplyCommand(program);
addSearchCommands(program);
addStackCommands(program);
addDemoCommands(program);

// The commands that keep running log as they go: readable lines on a terminal, JSON otherwise.
for (const name of ['run', 'serve', 'demo']) {
  program.commands
    .find((command) => command.name() === name)
    ?.addOption(
      new Option('--log-format <format>', 'log lines as JSON (for log pipelines) or readable text (default: pretty on a terminal, else json)')
        .choices(LOG_FORMATS)
        .env('FEDSEARCH_LOG_FORMAT'),
    );
}
program.hook('preAction', (_program, action) => {
  const format = action.opts<{ logFormat?: string }>().logFormat;
  if (format !== undefined) process.env.FEDSEARCH_LOG_FORMAT = format;
});

await program.parseAsync(process.argv);
