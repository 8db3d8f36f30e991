import { isAbstractType, Kind, parse, print, printType, type DocumentNode, type FieldNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { ConfigError, formatProblem, type ConfigProblem } from '../config/configError.ts';
import type { IndexConfig, SourcePosition } from '../config/indexConfig.ts';
import { generateAvroSchema } from '../generate/generateAvroSchema.ts';
import { generateIndexTemplate } from '../generate/generateIndexTemplate.ts';
import { fieldOwners } from '../graph/fieldOwners.ts';
import type { LoadedGraph } from '../graph/loadGraphSchema.ts';
import { entityKeys } from '../graph/supergraph.ts';
import { checkIndexAgainstSchema, type LoadedIndex } from '../index/loadIndex.ts';
import { compareMappings, type MappingNode } from '../provision/compareMappings.ts';
import { shapeFingerprint } from '../provision/shapeFingerprint.ts';
import { avroReadability, type AvroReadability } from './avroCompatibility.ts';
import type { ProposedGraph } from './proposedGraph.ts';
import { shapeChanges, type ShapeChange } from './shapeChanges.ts';
import { usedFields, usedTypeNames, type UsedField } from './usedFields.ts';

/** What a graph change does to one index, mildest first. */
export const CLASSIFICATIONS = ['unaffected', 'compatible', 'needs-reindex', 'breaks'] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

/** Why an index breaks: where in its config, and, when it is one field, which and who owns it. */
export interface BreakingProblem {
  file: string;
  line: number;
  col: number;
  message: string;
  /** `Movie.title`, or `User @key` for an entity's key; null when no one field is to blame. */
  field: string | null;
  /** The subgraph(s) that own that field in the current graph, comma-separated; null when unknown. */
  subgraph: string | null;
}

export interface IndexVerdict {
  index: string;
  configFile: string;
  classification: Classification;
  /** For `breaks`: every problem, each at its file:line:col. */
  problems: BreakingProblem[];
  /** For `needs-reindex`: each document field whose shape changes. */
  changes: ShapeChange[];
  /** For `needs-reindex`: whether the provisioned Avro schema (reader) can read the new one (writer). */
  avro: AvroReadability | null;
  /** For `needs-reindex`: mapping changes an existing index cannot take (a new version is needed for them). */
  mappingIncompatible: string[];
  /** A used field newly deprecated, at its place in the config. */
  warnings: string[];
  /**
   * Changes the query reaches that no field's shape shows, each with what to do: an abstract type
   * gaining or losing possible types (`ProductItf: possible types added: Gift; …`).
   */
  reasons: string[];
}

/**
 * One index config against the current graph and a proposed one: `unaffected` (no type the query
 * reaches changed), `compatible` (something it reaches changed, but nothing its documents or
 * mapping hold), `needs-reindex` (a selected field's type, nullability, list-ness or enum values
 * change the Avro schema or the mapping), `breaks` (the query no longer validates, or the graph
 * does not compose). A config that does not validate against the current graph throws its
 * ConfigError: that is to fix first, whatever the change.
 */
export function classifyIndex(config: IndexConfig, current: LoadedGraph, proposed: ProposedGraph, changedSubgraphs: readonly string[] = []): IndexVerdict {
  const before = checkIndexAgainstSchema(config, current.schema, current.supergraph);
  const verdict = (classification: Classification, rest: Partial<IndexVerdict> = {}): IndexVerdict => ({
    index: config.index,
    configFile: config.sourceFile,
    classification,
    problems: [],
    changes: [],
    avro: null,
    mappingIncompatible: [],
    warnings: [],
    reasons: [],
    ...rest,
  });

  if ('compositionErrors' in proposed) {
    const changed = changedSubgraphs.length > 0 ? changedSubgraphs.join(', ') : null;
    return verdict('breaks', {
      problems: proposed.compositionErrors.map((message) => ({
        file: config.sourceFile,
        line: config.query.position.line,
        col: config.query.position.col,
        message: `the proposed graph does not compose: ${message}`,
        ...(missingKey(message) ?? { field: null, subgraph: changed }),
      })),
    });
  }

  let after: LoadedIndex;
  try {
    after = checkIndexAgainstSchema(config, proposed.graph.schema, proposed.graph.supergraph);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return verdict('breaks', { problems: blame(error.problems, before, current) });
  }

  const warnings = newDeprecations(before, after);
  const keySwitch = switchedKey(before, after);
  if (keySwitch) return verdict('breaks', { problems: [keySwitch], warnings });
  const reasons = possibleTypeChanges(before, after.schema);
  const beforeAvro = generateAvroSchema(before.shape, config).schema;
  const afterAvro = generateAvroSchema(after.shape, config).schema;
  const beforeMappings = generateIndexTemplate(before, config).template.mappings as MappingNode;
  const afterMappings = generateIndexTemplate(after, config).template.mappings as MappingNode;
  if (shapeFingerprint(beforeAvro, beforeMappings) !== shapeFingerprint(afterAvro, afterMappings)) {
    return verdict('needs-reindex', {
      changes: shapeChanges(before.shape.root, after.shape.root),
      avro: avroReadability(beforeAvro, afterAvro),
      mappingIncompatible: compareMappings(beforeMappings, afterMappings).incompatible,
      warnings,
      reasons,
    });
  }
  // A possible type added is compatible, not needs-reindex: the documents record it as a
  // `__typename` keyword, which the Avro schema (a string) and the mapping take as they are, and no
  // document already indexed changes, so neither provision nor a reindex has anything to do. What
  // goes stale is the search subgraph, which `serve` builds from the possible types it starts with
  // and which drops a hit of any other type: a restart, which `reasons` says.
  return verdict(touchesQuery(before, after.schema) || reasons.length > 0 ? 'compatible' : 'unaffected', { warnings, reasons });
}

/**
 * Whether the change reaches anything the query uses: a type it selects from or returns (a field
 * or an argument added, a deprecation; descriptions do not count), or, on a root type (which
 * every team adds to), only the root field it selects.
 */
function touchesQuery(before: LoadedIndex, afterSchema: GraphQLSchema): boolean {
  const used = queryFields(before);
  const roots = new Set([before.schema.getQueryType()?.name, before.schema.getMutationType()?.name].filter((name) => name !== undefined));
  const typesTouched = [...usedTypeNames(used)].some((name) => !roots.has(name) && typeText(before.schema, name) !== typeText(afterSchema, name));
  const rootFieldsTouched = used.some((field) => roots.has(field.typeName) && fieldText(before.schema, field) !== fieldText(afterSchema, field));
  return typesTouched || rootFieldsTouched;
}

/**
 * Each interface or union the query reaches whose possible types change: a new implementation or
 * member is a new `__typename` in the documents (printType of an interface does not list its
 * implementations, so touchesQuery alone misses it).
 */
function possibleTypeChanges(before: LoadedIndex, afterSchema: GraphQLSchema): string[] {
  const reasons: string[] = [];
  for (const name of usedTypeNames(queryFields(before))) {
    const was = possibleTypeNames(before.schema, name);
    const now = possibleTypeNames(afterSchema, name);
    // Abstract on one side only: a retype, which the query's validation or the shape reports.
    if (was === null || now === null) continue;
    const added = now.filter((type) => !was.includes(type));
    const removed = was.filter((type) => !now.includes(type));
    if (added.length > 0) {
      reasons.push(
        `${name}: possible types added: ${added.join(', ')}; documents may now record them as __typename, and the search subgraph ` +
          'a running `fedsearch serve` built for the old types drops their hits: restart it when the change ships',
      );
    }
    if (removed.length > 0) {
      reasons.push(`${name}: possible types removed: ${removed.join(', ')}; documents recorded as them stay in the index until fetched again, and a restarted \`fedsearch serve\` drops their hits`);
    }
  }
  return reasons;
}

/** The concrete types of an interface or union, sorted; null for any other type (or none). */
function possibleTypeNames(schema: GraphQLSchema, name: string): string[] | null {
  const type = schema.getType(name);
  return type && isAbstractType(type) ? schema.getPossibleTypes(type).map((possible) => possible.name).sort() : null;
}

function fieldText(schema: GraphQLSchema, field: UsedField): string | undefined {
  const type = schema.getType(field.typeName);
  const definition = type && 'getFields' in type ? type.getFields()[field.fieldName] : undefined;
  if (!definition) return undefined;
  return definition.astNode ? withoutDescriptions(print(definition.astNode)) : JSON.stringify([String(definition.type), 'args' in definition ? definition.args.map((argument) => `${argument.name}: ${String(argument.type)}`) : [], definition.deprecationReason]);
}

/** A query text of the config (`query`, `backfill.query`) and where it starts in the YAML. */
interface QuerySource {
  field: 'query' | 'backfill.query';
  /** The text, parsed once: for the fields it uses, and for the root field around a problem. */
  document: DocumentNode;
  position: SourcePosition;
}

/**
 * Each problem with the field it is about: a problem at the place in the query (or
 * backfill.query) where a used field is selected is about that field, owned by the subgraphs the
 * current supergraph says; any other problem in a query operation (a variable no longer fitting a
 * retyped argument) is about the root field it sits under, or the operation's one root field; a
 * problem with primary.type or primary.key (fetch by @key) is about the entity's key.
 */
function blame(problems: readonly ConfigProblem[], before: LoadedIndex, current: LoadedGraph): BreakingProblem[] {
  const owners = current.supergraph ? fieldOwners(current.supergraph.sdl) : null;
  const { config } = before;
  const sources: QuerySource[] = [{ field: 'query', document: parse(config.query.text), position: config.query.position }];
  if (config.backfill.query !== null) sources.push({ field: 'backfill.query', document: parse(config.backfill.query), position: config.backfill.queryPosition });
  const fieldsAt = new Map<string, UsedField>();
  for (const source of sources) {
    for (const field of usedFields(before.schema, source.document)) {
      const position = inYaml(source, field.line, field.column);
      const key = `${source.field}:${position.line}:${position.col}`;
      if (!fieldsAt.has(key)) fieldsAt.set(key, field);
    }
  }
  const owned = (typeName: string, fieldName: string): string | null => {
    const subgraphs = owners?.ofField(typeName, fieldName) ?? [];
    return subgraphs.length > 0 ? subgraphs.join(', ') : null;
  };
  return problems.map((problem) => {
    const at = { file: problem.file, line: problem.position.line, col: problem.position.col, message: problem.message };
    const used = fieldsAt.get(`${problem.field}:${problem.position.line}:${problem.position.col}`);
    if (used) return { ...at, field: `${used.typeName}.${used.fieldName}`, subgraph: owned(used.typeName, used.fieldName) };
    const source = sources.find((candidate) => candidate.field === problem.field);
    const root = source ? rootFieldAround(source, problem.position, before.schema) : null;
    if (root) return { ...at, field: `${root.typeName}.${root.fieldName}`, subgraph: owned(root.typeName, root.fieldName) };
    if (problem.field === 'primary.key' || problem.field === 'primary.type') {
      const keyed = (owners?.ofType(config.primary.type) ?? []).filter((type) => type.key !== null).map((type) => type.subgraph);
      return { ...at, field: `${config.primary.type} @key`, subgraph: keyed.length > 0 ? [...new Set(keyed)].join(', ') : null };
    }
    return { ...at, field: null, subgraph: null };
  });
}

/**
 * A fetch-by-key index without primary.key fetches by the entity's first resolvable @key, so a key
 * another subgraph declares ahead of it switches the key silently: the query still validates, but
 * the ids the events carry (`after.email`) are then looked up as the new key (`id`), every fetch
 * finds nothing and the document is deleted. Named like a missing key: the entity's @key, owned by
 * the subgraphs that declare the key it would switch to.
 */
function switchedKey(before: LoadedIndex, after: LoadedIndex): BreakingProblem | null {
  const was = before.query.fetchByKey?.keyFields;
  const now = after.query.fetchByKey?.keyFields;
  if (was === undefined || now === undefined || was === now) return null;
  const { config } = before;
  const declaring = after.supergraph ? entityKeys(after.supergraph, config.primary.type).filter((key) => key.resolvable && key.fields === now) : [];
  const subgraphs = [...new Set(declaring.map((key) => key.subgraph))];
  return {
    file: config.sourceFile,
    line: config.primary.typePosition.line,
    col: config.primary.typePosition.col,
    message:
      `${config.primary.type} would be fetched by @key(fields: "${now}") instead of "${was}", which primary.events give: ` +
      `every fetch would find nothing and delete the document; set primary.key: "${was}" to keep fetching by it`,
    field: `${config.primary.type} @key`,
    subgraph: subgraphs.length > 0 ? subgraphs.join(', ') : null,
  };
}

/**
 * The root field of a query operation whose selection holds `position` (in the YAML), else the
 * operation's only root field (a problem with its variables is about the field taking them); null
 * for a fragment query (fetch by @key), which has no root field of its own.
 */
function rootFieldAround(source: QuerySource, position: SourcePosition, schema: GraphQLSchema): { typeName: string; fieldName: string } | null {
  const operation = source.document.definitions.find((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
  const rootType = operation ? schema.getRootType(operation.operation) : undefined;
  if (!operation || !rootType) return null;
  const fields = operation.selectionSet.selections.filter((selection): selection is FieldNode => selection.kind === Kind.FIELD);
  const holds = (field: FieldNode): boolean => {
    if (!field.loc) return false;
    const start = inYaml(source, field.loc.startToken.line, field.loc.startToken.column);
    const end = inYaml(source, field.loc.endToken.line, field.loc.endToken.column);
    const after = (a: SourcePosition, b: SourcePosition): boolean => a.line > b.line || (a.line === b.line && a.col >= b.col);
    return after(position, start) && after(end, position);
  };
  const root = fields.find(holds) ?? (fields.length === 1 ? fields[0] : undefined);
  return root ? { typeName: rootType.name, fieldName: root.name.value } : null;
}

/** A 1-based line and column of a query text, in the YAML (the text is a block scalar at `source.position`). */
function inYaml(source: QuerySource, line: number, column: number): SourcePosition {
  return { line: source.position.line + line - 1, col: source.position.col + column - 1 };
}

/**
 * An entity's key gone from a subgraph, as Apollo's satisfiability check words it (`… because
 * type "User" has no @key defined in subgraph "users"`): the most common way a change to an
 * entity fails composition, named like a field.
 */
function missingKey(compositionError: string): { field: string; subgraph: string } | undefined {
  const match = /type "(\w+)" has no @key defined in subgraph "([\w-]+)"/.exec(compositionError);
  return match?.[1] && match[2] ? { field: `${match[1]} @key`, subgraph: match[2] } : undefined;
}

/** The fields the config's query selects, at their places in the query text as written. */
function queryFields(loaded: LoadedIndex): UsedField[] {
  return usedFields(loaded.schema, parse(loaded.config.query.text));
}

/**
 * A type's definition without its descriptions: they change nothing an index holds, and the
 * subgraphs extracted from a supergraph (which `--subgraph` recomposes) do not carry them all.
 */
function typeText(schema: GraphQLSchema, name: string): string | undefined {
  const type = schema.getType(name);
  return type ? withoutDescriptions(printType(type)) : undefined;
}

/**
 * Printed SDL without its descriptions: graphql-js prints every one as a block string, and sets a
 * described field apart with a blank line, which goes too.
 */
function withoutDescriptions(sdl: string): string {
  return sdl.replace(/[ \t]*"""[\s\S]*?"""\n/g, '').replace(/\n\s*\n/g, '\n');
}

/** Deprecations of used fields the change adds, as `file:line:col: …` lines. */
function newDeprecations(before: LoadedIndex, after: LoadedIndex): string[] {
  const known = new Set(before.warnings.map(formatProblem));
  return after.warnings.map(formatProblem).filter((warning) => !known.has(warning));
}
