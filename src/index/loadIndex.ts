import type { GraphQLSchema } from 'graphql';
import { ConfigError, type ConfigProblem } from '../config/configError.ts';
import type { IndexConfig } from '../config/indexConfig.ts';
import { loadIndexConfig } from '../config/loadIndexConfig.ts';
import { UserError } from '../errors.ts';
import { loadGraph } from '../graph/loadGraphSchema.ts';
import { entityKeys, type SupergraphSource } from '../graph/supergraph.ts';
import { validateQueryTemplate, type QueryTemplate } from '../graph/validateQueryTemplate.ts';
import { didYouMean, suggestionList } from '../suggestions.ts';
import { FieldOptionsError } from './checkFieldOptions.ts';
import { documentModel, type DocumentModel } from './documentModel.ts';
import { hitDisplay, type HitDisplay } from './hitDisplay.ts';
import { indexNames, type IndexNames } from './indexNames.ts';
import type { ObjectShape } from './documentShape.ts';

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
  const leafPaths = model.fields.map((field) => field.path);
  const objectPaths = new Set(model.fields.flatMap((field) => ancestorsOf(field.path)));
  const objects = objectsByPath(model.shape.root);
  for (const [i, related] of config.related.entries()) {
    if (leafPaths.includes(related.lookup)) {
      const typeProblem = lookupTypeProblem(related.lookup, related.type, objects);
      if (typeProblem) problems.push({ file: config.sourceFile, position: related.lookupPosition, field: `related[${i}].lookup`, message: typeProblem });
      continue;
    }
    const hint = objectPaths.has(related.lookup)
      ? `; it is an object, name its id field (e.g. ${leafPaths.find((p) => p.startsWith(`${related.lookup}.`))})`
      : didYouMean(suggestionList(related.lookup, leafPaths).slice(0, 1));
    problems.push({
      file: config.sourceFile,
      position: related.lookupPosition,
      field: `related[${i}].lookup`,
      message: `${related.lookup} is not a scalar field of the query's document${hint}`,
    });
  }
  if (supergraph) problems.push(...relatedKeyProblems(config, supergraph));
  const { display, problems: displayProblems } = hitDisplay(config, model.fields, query.key.map((part) => part.documentPath));
  problems.push(...displayProblems);
  if (problems.length > 0) throw new ConfigError(problems);
  return { config, schema, query, names: indexNames(config.index), display, supergraph, ...model };
}

/**
 * Events must name the key the way the query takes it: one path for a one-field key, a path per
 * key field for a composite one (`id: { sku: after.sku, package: after.package }`). A related
 * entity's events name one id, the value its lookup field holds.
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
  for (const [i, related] of config.related.entries()) {
    for (const [j, source] of related.events.entries()) {
      if (source.idPaths) {
        problems.push({ file: config.sourceFile, position: source.position, field: `related[${i}].events[${j}].id`, message: `a related entity's event names one id, the value ${related.lookup} holds; composite lookups are not supported yet` });
      }
    }
  }
  return problems;
}

/**
 * With the supergraph at hand (`gateway.supergraph`, or `--schema <supergraph>`), a related entity
 * must be an entity, and a lookup inside an object must read one of its `@key`s: a related change
 * event names the entity by its key, so a lookup on any other field never matches. (A gateway's
 * introspection shows no `@key`, so without the supergraph this is not checked.)
 */
function relatedKeyProblems(config: IndexConfig, supergraph: SupergraphSource): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const [i, related] of config.related.entries()) {
    const keys = [...new Set(entityKeys(supergraph, related.type).map((key) => key.fields))];
    if (keys.length === 0) {
      problems.push({
        file: config.sourceFile,
        position: related.position,
        field: `related[${i}].type`,
        message: `${related.type} is not an entity (no subgraph declares @key on it): its change events cannot name it by a key the documents hold`,
      });
      continue;
    }
    if (!related.lookup.includes('.')) continue;
    const field = related.lookup.slice(related.lookup.lastIndexOf('.') + 1);
    if (keys.includes(field)) continue;
    const single = keys.filter((key) => !key.includes(' '));
    const suggestion = single[0] ? didYouMean([`${related.lookup.slice(0, related.lookup.lastIndexOf('.'))}.${single[0]}`]) : '';
    problems.push({
      file: config.sourceFile,
      position: related.lookupPosition,
      field: `related[${i}].lookup`,
      message: `${field} is not a @key of ${related.type} (its keys: ${keys.map((key) => `"${key}"`).join(', ')}), so its reverse lookups would never match${suggestion}`,
    });
  }
  return problems;
}

/** Every object of the document by its path ('' the root). */
function objectsByPath(root: ObjectShape): Map<string, ObjectShape> {
  const found = new Map<string, ObjectShape>([[root.path, root]]);
  const visit = (node: ObjectShape): void => {
    for (const child of node.fields) {
      if (child.kind !== 'object' && child.kind !== 'abstract') continue;
      found.set(child.path, child);
      visit(child);
    }
  };
  visit(root);
  return found;
}

/**
 * A lookup inside an object (`cast.talent.talentId`) must be a field of the related type — that
 * object's type, or an interface or union that includes it — or the reverse lookups would never
 * match. A field of the root (`productionId`, a foreign key) names no type and is not checked.
 */
function lookupTypeProblem(lookup: string, relatedType: string, objects: ReadonlyMap<string, ObjectShape>): string | null {
  const parentPath = lookup.includes('.') ? lookup.slice(0, lookup.lastIndexOf('.')) : '';
  const parent = objects.get(parentPath);
  if (parentPath === '' || !parent || parent.typeName === relatedType || parent.possibleTypes.includes(relatedType)) return null;
  const key = lookup.slice(lookup.lastIndexOf('.') + 1);
  const candidates = [...objects.values()]
    .filter((object) => object.path !== '' && (object.typeName === relatedType || object.possibleTypes.includes(relatedType)))
    .map((object) => `${object.path}.${object.fields.some((field) => field.key === key) ? key : (object.fields.find((field) => field.kind !== 'object' && field.kind !== 'abstract')?.key ?? key)}`);
  return `${lookup} is a field of ${parent.typeName} (at ${parentPath}), not of ${relatedType}, so its reverse lookups would never match${didYouMean(candidates.slice(0, 1))}`;
}

function ancestorsOf(path: string): string[] {
  const keys = path.split('.');
  return keys.slice(0, -1).map((_, index) => keys.slice(0, index + 1).join('.'));
}
