import type { GraphQLSchema } from 'graphql';
import { ConfigError, type ConfigProblem } from '../config/configError.ts';
import type { IndexConfig } from '../config/indexConfig.ts';
import { loadIndexConfig } from '../config/loadIndexConfig.ts';
import { fieldOptionProblems } from '../generate/checkFieldOptions.ts';
import { documentFields, type DocumentField } from '../generate/documentFields.ts';
import { documentShape, type DocumentShape } from '../generate/documentShape.ts';
import { suggestionList } from '../generate/suggestionList.ts';
import { UserError } from '../errors.ts';
import { loadGraphSchema } from './loadGraphSchema.ts';
import { validateQueryTemplate, type QueryTemplate } from './validateQueryTemplate.ts';

/** An index config checked against the graph: everything the other commands start from. */
export interface LoadedIndex {
  config: IndexConfig;
  schema: GraphQLSchema;
  query: QueryTemplate;
  shape: DocumentShape;
  /** The document's leaf fields with how they are indexed. */
  fields: DocumentField[];
  /** Paths of the objects indexed as `nested`. */
  nestedPaths: string[];
}

/**
 * Loads a config file and checks it against the graph's schema (an SDL file, or the gateway's
 * introspection): the query template, `fields:` paths and options, and `lookup` paths. Every
 * problem is reported with its position in the YAML file.
 */
export async function loadIndex(configFile: string, options: { schemaFile?: string } = {}): Promise<LoadedIndex> {
  const config = loadIndexConfig(configFile);
  const schema = await loadGraphSchema(options.schemaFile ? { schemaFile: options.schemaFile } : { gateway: config.gateway });
  return checkIndexAgainstSchema(config, schema);
}

export function checkIndexAgainstSchema(config: IndexConfig, schema: GraphQLSchema): LoadedIndex {
  const query = validateQueryTemplate(config, schema);
  let shape: DocumentShape;
  try {
    shape = documentShape(schema, query.document, { scalars: config.scalars });
  } catch (error) {
    // Custom scalars without a storage kind: the message names each and the `scalars:` fix.
    if (error instanceof UserError) {
      throw new ConfigError([{ file: config.sourceFile, position: config.query.position, field: 'query', message: error.message }]);
    }
    throw error;
  }

  const problems: ConfigProblem[] = fieldOptionProblems(shape, config.fields).map((problem) => ({
    file: config.sourceFile,
    position: config.fieldPositions[problem.path] ?? { line: 1, col: 1 },
    field: `fields.${problem.path}`,
    message: problem.message,
  }));
  if (problems.length > 0) throw new ConfigError(problems);

  const fields = documentFields(shape, config.fields);
  const leafPaths = fields.map((field) => field.path);
  const objectPaths = new Set(fields.flatMap((field) => ancestorsOf(field.path)));
  for (const [i, related] of config.related.entries()) {
    if (leafPaths.includes(related.lookup)) continue;
    const hint = objectPaths.has(related.lookup)
      ? `; it is an object, name its id field (e.g. ${leafPaths.find((p) => p.startsWith(`${related.lookup}.`))})`
      : didYouMean(related.lookup, leafPaths);
    problems.push({
      file: config.sourceFile,
      position: related.lookupPosition,
      field: `related[${i}].lookup`,
      message: `${related.lookup} is not a scalar field of the query's document${hint}`,
    });
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const nestedPaths = [...new Set(fields.flatMap((field) => field.nestedPaths))];
  return { config, schema, query, shape, fields, nestedPaths };
}

function ancestorsOf(path: string): string[] {
  const keys = path.split('.');
  return keys.slice(0, -1).map((_, index) => keys.slice(0, index + 1).join('.'));
}

function didYouMean(path: string, candidates: string[]): string {
  const [best] = suggestionList(path, candidates);
  return best ? ` (did you mean ${best}?)` : '';
}
