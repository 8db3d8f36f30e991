import type { GraphQLSchema } from 'graphql';
import { ConfigError, type ConfigProblem } from '../config/configError.ts';
import type { IndexConfig } from '../config/indexConfig.ts';
import { loadIndexConfig } from '../config/loadIndexConfig.ts';
import { UserError } from '../errors.ts';
import { loadGraph } from '../graph/loadGraphSchema.ts';
import type { SupergraphSource } from '../graph/supergraph.ts';
import { queryProblemInYaml, validateQueryTemplate, type QueryTemplate } from '../graph/validateQueryTemplate.ts';
import { FieldOptionsError } from './checkFieldOptions.ts';
import { documentModel, type DocumentModel } from './documentModel.ts';
import { hitDisplay, type HitDisplay } from './hitDisplay.ts';
import { resolveRelatedLookups, type RelatedLookup } from './relatedLookups.ts';
import { indexNames, type IndexNames } from './indexNames.ts';

/**
 * The model of one index: its config checked against the graph, the names of everything it owns,
 * and its document model (shape, fields, nested paths). Every other layer starts from this.
 */
export interface LoadedIndex extends DocumentModel {
  config: IndexConfig;
  schema: GraphQLSchema;
  query: QueryTemplate;
  names: IndexNames;
  /** What the search page shows of a hit. */
  display: HitDisplay;
  /** What is allowed but worth a look (a deprecated field the query selects), each at its place in the YAML. */
  warnings: ConfigProblem[];
  /** Where the documents hold each related entity's key, aligned with `config.related`. */
  relatedLookups: RelatedLookup[];
  /** The composed supergraph the index was checked against, when one was given (`--schema`, `gateway.supergraph`). */
  supergraph: SupergraphSource | null;
}

/**
 * Loads a config file and checks it against the graph's schema (an SDL file, or the gateway's
 * introspection): the query template, `fields:` paths and options, and `lookup` paths. Every
 * problem is reported with its position in the YAML file. `${VAR}`s are filled from `env`
 * (default: the process's environment).
 */
export async function loadIndex(configFile: string, options: { schemaFile?: string; env?: NodeJS.ProcessEnv } = {}): Promise<LoadedIndex> {
  const config = loadIndexConfig(configFile, options.env);
  const graph = await loadGraph(options.schemaFile ? { schemaFile: options.schemaFile } : { gateway: config.gateway });
  return checkIndexAgainstSchema(config, graph.schema, graph.supergraph);
}

/**
 * The config checked against the graph. A fragment query (fetch by @key) needs the supergraph; its
 * index's schema is then the graph plus fedsearch's entry point for the type.
 */
export function checkIndexAgainstSchema(config: IndexConfig, graphSchema: GraphQLSchema, supergraph: SupergraphSource | null = null): LoadedIndex {
  const query = validateQueryTemplate(config, graphSchema, supergraph);
  const schema = query.fetchByKey?.apiSchema ?? graphSchema;
  let model: DocumentModel;
  try {
    model = documentModel(schema, query, { fields: config.fields, scalars: config.scalars });
  } catch (error) {
    if (error instanceof FieldOptionsError) {
      throw new ConfigError(
        error.problems.map((problem) => ({
          file: config.sourceFile,
          position: config.fieldPositions[problem.path] ?? { line: 1, col: 1 },
          field: `fields.${problem.path}`,
          message: problem.message,
        })),
      );
    }
    // Custom scalars without a storage kind: the message names each and the `scalars:` fix.
    if (error instanceof UserError) {
      throw new ConfigError([{ file: config.sourceFile, position: config.query.position, field: 'query', message: error.message }]);
    }
    throw error;
  }

  const problems: ConfigProblem[] = [...eventKeyProblems(config, query)];
  const related = resolveRelatedLookups(config, model.shape.root, new Set(model.fields.map((field) => field.path)), supergraph);
  problems.push(...related.problems);
  const { display, problems: displayProblems } = hitDisplay(config, model.fields, query.key.map((part) => part.documentPath));
  problems.push(...displayProblems);
  if (problems.length > 0) throw new ConfigError(problems);
  const warnings = query.deprecations.map((deprecation) => queryProblemInYaml(config, deprecation));
  return { config, schema, query, names: indexNames(config.index), display, supergraph, relatedLookups: related.lookups, warnings, ...model };
}

/**
 * Events must name the key the way the query takes it: one path for a one-field key, a path per
 * key field for a composite one (`id: { sku: after.sku, package: after.package }`). (A related
 * entity's events are checked with its lookup, relatedLookups.ts.)
 */
function eventKeyProblems(config: IndexConfig, query: QueryTemplate): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const fields = query.key.map((part) => part.documentPath);
  const shape = `{ ${fields.map((field) => `${field}: after.${field.replaceAll('.', '_')}`).join(', ')} }`;
  for (const [i, source] of config.primary.events.entries()) {
    const at = (message: string): void => void problems.push({ file: config.sourceFile, position: source.position, field: `primary.events[${i}].id`, message });
    if (source.idPaths) {
      const given = Object.keys(source.idPaths);
      const unknown = given.filter((field) => !fields.includes(field));
      const absent = fields.filter((field) => !given.includes(field));
      if (unknown.length > 0 || absent.length > 0) {
        at(`names ${given.join(', ')}, but ${config.primary.type}'s key is ${fields.join(', ')}${absent.length > 0 ? ` (missing ${absent.join(', ')})` : ''}${unknown.length > 0 ? ` (not key fields: ${unknown.join(', ')})` : ''}`);
      }
    } else if (!source.idFromKey && fields.length > 1) {
      at(`${config.primary.type}'s key has ${fields.length} fields (${fields.join(', ')}): give a path for each, e.g. id: ${shape}`);
    }
  }
  return problems;
}
