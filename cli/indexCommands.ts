import { Option, type Command } from 'commander';
import { formatProblem } from '../src/config/configError.ts';
import { withHiddenValues } from '../src/hiddenValues.ts';
import { UserError } from '../src/errors.ts';
import { loadIndex } from './loadIndexLazily.ts';
import { runAction } from './runAction.ts';

const say = (message: string): void => void process.stderr.write(`${message}\n`);
const print = (text: string): void => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);

interface SchemaOption {
  schema?: string;
}

const SCHEMA_HELP = 'read the graph schema from this SDL file (a composed supergraph works) instead of introspecting the gateway';

export function addIndexCommands(program: Command): void {
  program
    .command('validate')
    .argument('<config>', 'index configuration file (YAML)')
    .description('check a config file and its query against the graph; every problem as file:line:col')
    .option('--schema <file>', SCHEMA_HELP)
    .action(runAction(async (configFile: string, options: SchemaOption) => {
      const loaded = await loadIndex(configFile, schemaOption(options));
      for (const warning of loaded.warnings) say(`warning: ${formatProblem(warning)}`);
      const { checkSearchNames, checkSearchSubgraphComposes } = await import('../src/search/searchSubgraphComposition.ts');
      // A search name the graph already has is the config's to fix (search.field), at its line.
      checkSearchNames(loaded);
      if (loaded.supergraph) {
        // Indexing does not need the search subgraph, so a graph it would not join is a warning here (serve refuses it).
        try {
          checkSearchSubgraphComposes([loaded]);
        } catch (error) {
          if (!(error instanceof UserError)) throw error;
          // Composition's reason may quote a subgraph URL or type name that came from a `${VAR}`.
          say(`warning: ${withHiddenValues(error.message)}; \`fedsearch serve\` refuses it`);
        }
      }
      print(
        `${configFile}: ok — index ${loaded.config.index}, ${loaded.fields.length} fields` +
          (loaded.nestedPaths.length ? ` (nested: ${loaded.nestedPaths.join(', ')})` : '') +
          `, ${loaded.config.primary.events.length + loaded.config.related.reduce((n, r) => n + r.events.length, 0)} event sources`,
      );
    }));

  const generate = program
    .command('generate')
    .description('print what a config generates, as JSON on stdout');
  generate
    .command('avro')
    .argument('<config>', 'index configuration file (YAML)')
    .description('the Avro schema of the documents')
    .option('--schema <file>', SCHEMA_HELP)
    .action(runAction(async (configFile: string, options: SchemaOption) => {
      const loaded = await loadIndex(configFile, schemaOption(options));
      const { generateAvroSchema } = await import('../src/generate/generateAvroSchema.ts');
      print(JSON.stringify(generateAvroSchema(loaded.shape, loaded.config).schema, null, 2));
    }));
  generate
    .command('template')
    .argument('<config>', 'index configuration file (YAML)')
    .description('the Elasticsearch composable index template (settings with analyzers, mappings)')
    .option('--schema <file>', SCHEMA_HELP)
    .action(runAction(async (configFile: string, options: SchemaOption) => {
      const loaded = await loadIndex(configFile, schemaOption(options));
      const { generateIndexTemplate } = await import('../src/generate/generateIndexTemplate.ts');
      print(JSON.stringify(generateIndexTemplate(loaded, loaded.config), null, 2));
    }));

  generate
    .command('subgraph')
    .argument('<configs...>', 'index configuration files (YAML): one search field each')
    .description('the SDL of the federated search subgraph (SDL, not JSON); checked to compose with the supergraph when the configs name one')
    .option('--schema <file>', SCHEMA_HELP)
    .action(runAction(async (configFiles: string[], options: SchemaOption) => {
      const indexes = [];
      for (const file of configFiles) indexes.push(await loadIndex(file, schemaOption(options)));
      const { checkSearchNames, checkSearchSubgraphComposes, searchSubgraphSdl } = await import('../src/search/searchSubgraphComposition.ts');
      // A name the graph already has is reported at its line before composition says it in its own words.
      for (const loaded of indexes) checkSearchNames(loaded);
      const composed = checkSearchSubgraphComposes(indexes);
      print(searchSubgraphSdl(indexes));
      if (composed) say(`composes with ${composed.supergraph}`);
    }));

  program
    .command('plan')
    .argument('<config>', 'index configuration file (YAML)')
    .description(
      'print the pipeline topology: sources → reverse lookups → enrich → documents topic → sink; and, when ' +
        'Elasticsearch answers, whether the live index was built for this shape or which change needs a new version',
    )
    .option('--schema <file>', SCHEMA_HELP)
    .action(runAction(async (configFile: string, options: SchemaOption) => {
      const loaded = await loadIndex(configFile, schemaOption(options));
      for (const warning of loaded.warnings) say(`warning: ${formatProblem(warning)}`);
      const { describeTopology, pipelineTopology } = await import('../src/index/pipelineTopology.ts');
      print(describeTopology(pipelineTopology(loaded), loaded.config));
      const { shapeAgainstProvisioned } = await import('../src/provision/shapeAgainstProvisioned.ts');
      const provisioned = await shapeAgainstProvisioned(loaded);
      if ('lines' in provisioned) print(provisioned.lines.join('\n'));
      else say(`note: not compared with the provisioned index: ${provisioned.notCompared}`);
    }));

  program
    .command('provision')
    .argument('<config>', 'index configuration file (YAML)')
    .description(
      'create or update the index template, <index>_v<N> behind alias <index>, the Kafka topics ' +
        '(<index>.documents compacted, <index>.dlq) and the metadata record; idempotent',
    )
    .option('--schema <file>', SCHEMA_HELP)
    .option('--dry-run', 'print the plan and change nothing')
    .option('--create-source-topics', 'also create missing change-event topics (for local use; in production their owners do)')
    .action(runAction(async (configFile: string, options: SchemaOption & { dryRun?: boolean; createSourceTopics?: boolean }) => {
      const loaded = await loadIndex(configFile, schemaOption(options));
      const { provision } = await import('../src/provision/provisionCommand.ts');
      await provision(loaded, { dryRun: options.dryRun === true, createSourceTopics: options.createSourceTopics === true }, print);
    }));

  program
    .command('check')
    .argument('<configs...>', 'index configuration files (YAML), or directories of them')
    .description(
      "for a subgraph team's CI: classify each index against a proposed graph change as unaffected, compatible, " +
        'needs reindex (a used field changes the documents\' Avro schema or mapping) or breaks (the query no longer ' +
        'validates, or the graph does not compose); exit 1 when something breaks',
    )
    .option('--schema <file>', 'the current graph: a composed supergraph (default: each config\'s gateway.supergraph, else its gateway)')
    .option('--subgraph <name=file>', "a subgraph's proposed SDL, composed with the rest of the current supergraph (repeatable)", collect, [])
    .option('--proposed <file>', 'the whole proposed supergraph instead')
    .addOption(new Option('--fail-on <classification>', 'exit 1 at this classification or worse').choices(['breaks', 'needs-reindex']).default('breaks'))
    .option('--json', 'print the report as JSON on stdout')
    .action(runAction(async (configs: string[], options: SchemaOption & { subgraph: string[]; proposed?: string; failOn: 'breaks' | 'needs-reindex'; json?: boolean }) => {
      const { runCheck } = await import('../src/evolution/runCheck.ts');
      const { formatCheckReport } = await import('../src/evolution/checkReport.ts');
      const report = await runCheck({
        configs,
        subgraphs: options.subgraph,
        failOn: options.failOn,
        ...schemaOption(options),
        ...(options.proposed === undefined ? {} : { proposedFile: options.proposed }),
      });
      print(options.json ? JSON.stringify(report, null, 2) : formatCheckReport(report));
      if (report.failed) process.exitCode = 1;
    }));
}

export function addInitCommand(program: Command): void {
  program
    .command('init')
    .argument('<type>', 'the entity type to index, as named in the graph (e.g. Product)')
    .description(
      'write a starter config for one entity type that `validate` accepts at once: a query (a root field ' +
        'when the graph has one, else a fragment fetched by @key), the related entities it reaches, event ' +
        'topics named <prefix>.<type>.changes, field options, comments',
    )
    .option('--schema <file>', 'the graph: a composed supergraph (needed to fetch by @key) or an SDL file')
    .option('--gateway <url>', 'the gateway to introspect (and to name in the config)')
    .option('--topic-prefix <prefix>', 'event topics are <prefix>.<type>.changes', 'graph')
    .option('--out <file>', 'write the config here (never over an existing file) instead of printing it')
    .action(runAction(async (typeName: string, options: { schema?: string; gateway?: string; topicPrefix: string; out?: string }) => {
      const { writeStarterConfig } = await import('../src/generate/writeStarterConfig.ts');
      const written = await writeStarterConfig({ typeName, ...options });
      if (options.out) say(`wrote ${options.out}; next: fedsearch validate ${options.out}`);
      else print(written);
    }));
}

function schemaOption(options: SchemaOption): { schemaFile?: string } {
  return options.schema ? { schemaFile: options.schema } : {};
}

/** Commander's way to take a repeated option as a list. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
