import {
  getNamedType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  type GraphQLType,
} from 'graphql';
import { UserError } from '../errors.ts';
import { entityKeys, fieldSetPaths, type SupergraphSource } from '../graph/supergraph.ts';
import { didYouMean, suggestionList } from '../suggestions.ts';
import { derivedSearchField, freeSearchField } from '../index/searchNames.ts';

// `fedsearch init <Type>`: a starter index config for one entity type of any graph, written from
// its schema so that `fedsearch validate` passes at once — the query (a root field when the graph
// has one that fetches the type by its key, else a fragment fetched by @key), the type's scalar
// fields, each entity it reaches with its lookup, event topics by a naming convention, and field
// options a search usually wants. A start to edit, with comments saying what to change.

export interface StarterOptions {
  typeName: string;
  schema: GraphQLSchema;
  supergraph: SupergraphSource | null;
  /** As the config should name it (relative to where the config will be), when fetching by @key. */
  supergraphPath: string | null;
  gatewayUrl: string | null;
  /** Event topics are `<topicPrefix>.<type>.changes`. */
  topicPrefix: string;
}

/** The convention for event topics a starter config names: `<prefix>.<type in lower case>.changes`. */
export function eventTopic(prefix: string, typeName: string): string {
  return `${prefix}.${typeName.toLowerCase()}.changes`;
}

interface RootField {
  name: string;
  /** Argument name → its type, as written (`ID!`). */
  args: Array<{ name: string; type: string }>;
}

interface RelatedStarter {
  type: string;
  lookup: string;
  key: string;
}

const SUGGEST = /^(name|title|displayName|fullName|label)$/i;
const TEXT = /^(description|synopsis|summary|body|bio|text|overview|about)$/i;
const MAX_SCALARS = 12;

export function starterConfig(options: StarterOptions): string {
  const { schema, typeName } = options;
  const type = schema.getType(typeName);
  if (!type || !isObjectType(type)) {
    const names = Object.values(schema.getTypeMap()).filter((t) => isObjectType(t) && !t.name.startsWith('__')).map((t) => t.name);
    throw new UserError(`${typeName} is not an object type of the graph${didYouMean(suggestionList(typeName, names).slice(0, 1))}`);
  }
  const root = rootFieldFor(schema, type);
  const keys = options.supergraph ? [...new Set(entityKeys(options.supergraph, typeName).filter((key) => key.resolvable).map((key) => key.fields))] : [];
  if (!root && keys.length === 0) {
    throw new UserError(
      options.supergraph
        ? `${typeName} has no root field that returns one by its key, and no resolvable @key to fetch it by`
        : `${typeName} has no root field that returns one by its key; pass --schema <supergraph file> to fetch it by its @key`,
    );
  }
  // A key of plain fields (`sku package`) is preferred; a nested one (`sku variation { id }`) maps
  // each leaf path to an event path (`variation.id: after.variation.id`).
  const key = keys.find((fields) => !fields.includes('{')) ?? keys[0] ?? null;
  const keyFields = root ? root.args.map((arg) => arg.name) : fieldSetPaths(key as string);
  const keySelection = root ? keyFields.join(' ') : (key as string);
  const related: RelatedStarter[] = [];
  const nested: string[] = [];
  const selection = selectFields(options, type, keyFields, related, nested);
  const fieldOptions = starterFieldOptions(type, nested);
  const indent = (text: string, by: string): string => text.split('\n').map((line) => `${by}${line}`).join('\n');
  const primaryId = keyFields.length === 1 ? `after.${keyFields[0]}` : `{ ${keyFields.map((field) => `${field}: after.${field}`).join(', ')} }`;
  const index = typeName.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase().replace(/[^a-z0-9_-]/g, '-');
  const backfill = backfillQuery(schema, type, keySelection);

  const lines: string[] = [
    `# A starter index of ${typeName}, written by \`fedsearch init\` from the graph's schema.`,
    '# Edit it, then: fedsearch validate <this file>; fedsearch provision <this file>.',
    `index: ${index}s`,
    '',
    'gateway:',
    ...(root ? ['  # The gateway the query is sent to.', `  url: \${FEDSEARCH_GATEWAY_URL:-${options.gatewayUrl ?? 'http://127.0.0.1:4000/graphql'}}`] : []),
    ...(root
      ? options.supergraphPath ? ['  # The schema is read from here (no introspection needed).', `  supergraph: ${options.supergraphPath}`] : []
      : [`  # ${typeName} has no root field: it is fetched by its @key through the composed supergraph.`, `  supergraph: ${options.supergraphPath ?? '<your supergraph file>'}`]),
    '',
    `# The document: what the graph returns for one ${typeName}.`,
    'query: |',
    root
      ? indent(`query ${typeName}(${root.args.map((arg) => `$${arg.name}: ${arg.type}`).join(', ')}) {\n  ${root.name}(${root.args.map((arg) => `${arg.name}: $${arg.name}`).join(', ')}) {\n${indent(selection, '    ')}\n  }\n}`, '  ')
      : indent(`fragment ${typeName} on ${typeName} {\n${indent(selection, '  ')}\n}`, '  '),
    '',
    '# Topics carrying change events, named by the convention <prefix>.<type>.changes: rename them to yours.',
    'primary:',
    `  type: ${typeName}`,
    ...(root ? [] : [`  key: ${key?.includes('{') ? JSON.stringify(key) : key}`]),
    '  events:',
    `    - topic: ${eventTopic(options.topicPrefix, typeName)}`,
    `      id: ${primaryId}`,
  ];
  if (related.length > 0) {
    lines.push('', '# Entities the document pulls in: a change to one re-indexes the documents holding its key.', 'related:');
    for (const entry of related) {
      lines.push(`  - type: ${entry.type}`, '    events:', `      - topic: ${eventTopic(options.topicPrefix, entry.type)}`, `        id: after.${entry.key}`, `    lookup: ${entry.lookup}`);
    }
  }
  if (Object.keys(fieldOptions).length > 0) {
    lines.push('', '# How fields are searched: text, keyword, facet, nested, suggest, sortable, excluded.', 'fields:');
    for (const [path, value] of Object.entries(fieldOptions)) lines.push(`  ${path}: ${value}`);
  }
  lines.push('', 'elasticsearch:', '  node: ${FEDSEARCH_ES_URL:-http://127.0.0.1:9200}', '', 'kafka:', '  brokers: ["${FEDSEARCH_KAFKA_BROKERS:-127.0.0.1:9092}"]', '');
  if (backfill) lines.push('# Lists every key, for backfill and audit.', 'backfill:', '  query: |', indent(backfill, '    '), '');
  else lines.push(`# The graph lists no ${typeName}s: backfill and audit take --ids-file <file> (one id a line).`, '');
  const searchField = freeSearchField(schema, typeName);
  if (searchField !== derivedSearchField(typeName)) {
    lines.push(`# The graph already has a Query.${derivedSearchField(typeName)}: the search subgraph's field takes a free name.`, 'search:', `  field: ${searchField}`, '');
  }
  return lines.join('\n');
}

/** A root field returning one `type`, every required argument a non-null key-like scalar; the fewest arguments first. */
function rootFieldFor(schema: GraphQLSchema, type: GraphQLObjectType): RootField | null {
  const candidates = Object.values(schema.getQueryType()?.getFields() ?? {}).filter((field) => {
    const unwrapped = isNonNullType(field.type) ? field.type.ofType : field.type;
    if (isListType(unwrapped) || getNamedType(field.type) !== type || field.args.length === 0) return false;
    return field.args.every((arg) => isNonNullType(arg.type) && isScalarType(arg.type.ofType) && !['Float', 'Boolean'].includes(arg.type.ofType.name) && type.getFields()[arg.name] !== undefined);
  });
  candidates.sort((a, b) => a.args.length - b.args.length);
  const field = candidates[0];
  return field ? { name: field.name, args: field.args.map((arg) => ({ name: arg.name, type: String(arg.type) })) } : null;
}

const isLeaf = (type: GraphQLType): boolean => {
  const named = getNamedType(type);
  return isScalarType(named) || isEnumType(named);
};
const takesNoRequiredArgs = (field: GraphQLField<unknown, unknown>): boolean => field.args.every((arg) => !isNonNullType(arg.type) || arg.defaultValue !== undefined);
const isList = (type: GraphQLType): boolean => isListType(isNonNullType(type) ? type.ofType : type);

/** The selection: key fields first, the type's other leaves, then each object field it reaches (entities as related). */
function selectFields(options: StarterOptions, type: GraphQLObjectType, keyFields: string[], related: RelatedStarter[], nested: string[]): string {
  const fields = Object.values(type.getFields()).filter(takesNoRequiredArgs);
  const leaves = fields.filter((field) => isLeaf(field.type) && !keyFields.includes(field.name)).slice(0, MAX_SCALARS);
  const lines = [...keyFields.filter((field) => type.getFields()[field] && isLeaf(type.getFields()[field]!.type)), ...leaves.map((field) => field.name)];
  for (const field of fields) {
    const target = getNamedType(field.type);
    if (!isObjectType(target)) continue;
    const targetKey = keyOf(options, target);
    const targetLeaves = Object.values(target.getFields()).filter((f) => takesNoRequiredArgs(f) && isLeaf(f.type)).map((f) => f.name);
    if (targetLeaves.length === 0) continue;
    const chosen = targetKey ? [targetKey, ...targetLeaves.filter((name) => name !== targetKey).slice(0, 4)] : targetLeaves.slice(0, 6);
    lines.push(`${field.name} { ${chosen.join(' ')} }`);
    if (targetKey && target.name !== type.name) related.push({ type: target.name, lookup: `${field.name}.${targetKey}`, key: targetKey });
    if (isList(field.type) && targetKey) nested.push(field.name);
  }
  return lines.join('\n');
}

/** The one-field key of an object type: its first resolvable @key of one field, else an `id` field; null when it has none. */
function keyOf(options: StarterOptions, type: GraphQLObjectType): string | null {
  if (options.supergraph) {
    const key = entityKeys(options.supergraph, type.name).find((declared) => declared.resolvable && !declared.fields.includes(' '));
    return key?.fields ?? null;
  }
  const id = Object.keys(type.getFields()).find((name) => name === 'id' || name === `${type.name[0]?.toLowerCase()}${type.name.slice(1)}Id`);
  return id ?? null;
}

function starterFieldOptions(type: GraphQLObjectType, nested: string[]): Record<string, string> {
  const options: Record<string, string> = {};
  let suggested = false;
  for (const field of Object.values(type.getFields())) {
    const named = getNamedType(field.type);
    if (named.name === 'String' && !suggested && SUGGEST.test(field.name)) {
      options[field.name] = '{ suggest: true, sortable: true }';
      suggested = true;
    } else if (named.name === 'String' && TEXT.test(field.name)) options[field.name] = '{ text: true }';
    else if (isEnumType(named) || named.name === 'Boolean') options[field.name] = '{ facet: true }';
  }
  for (const path of nested) options[path] = '{ nested: true }';
  return options;
}

/** A query listing every key: a Relay connection (`after`), a list paged by `offset`, or a one-page list. */
function backfillQuery(schema: GraphQLSchema, type: GraphQLObjectType, keys: string): string | null {
  for (const field of Object.values(schema.getQueryType()?.getFields() ?? {})) {
    const required = field.args.filter((arg) => isNonNullType(arg.type) && arg.defaultValue === undefined);
    if (required.length > 0) continue;
    const named = getNamedType(field.type);
    if (isList(field.type) && named === type) {
      const offset = field.args.find((arg) => arg.name === 'offset' && getNamedType(arg.type).name === 'Int');
      return offset ? `query ${type.name}Keys($offset: Int) {\n  ${field.name}(offset: $offset) { ${keys} }\n}` : `query ${type.name}Keys {\n  ${field.name} { ${keys} }\n}`;
    }
    if (isObjectType(named) && field.args.some((arg) => arg.name === 'after')) {
      const edges = named.getFields()['edges'];
      const node = edges && isObjectType(getNamedType(edges.type)) ? (getNamedType(edges.type) as GraphQLObjectType).getFields()['node'] : undefined;
      if (node && getNamedType(node.type) === type && named.getFields()['pageInfo']) {
        const first = field.args.some((arg) => arg.name === 'first') ? 'first: 500, ' : '';
        return `query ${type.name}Keys($after: String) {\n  ${field.name}(${first}after: $after) {\n    edges { node { ${keys} } }\n    pageInfo { endCursor hasNextPage }\n  }\n}`;
      }
    }
  }
  return null;
}
