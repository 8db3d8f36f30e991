import { UserError } from '../errors.ts';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { getNamedType, GraphQLError, isInterfaceType, isObjectType, isUnionType, parse, type DocumentNode, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';
import { decodeId, type KeyPart } from '../graph/entityKey.ts';
import type { QueryTemplate } from '../graph/validateQueryTemplate.ts';
import type { SearchNaming } from '../config/indexConfig.ts';
import type { DocumentField } from '../index/documentFields.ts';
import { searchTypeNames, type SearchTypeNames } from '../index/searchNames.ts';
import { badSearchRequest, searchFailure, type BadSearchRequest, type SearchFailure } from './badSearchRequest.ts';
import { operationCost, overLimits } from './operationCost.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS, DeadlineError, startDeadline, type Deadline } from './requestDeadline.ts';
import { parseSearchRequest } from './searchRequest.ts';
import type { SearchService } from './searchService.ts';

/** How the search subgraph names things for one index: `searchMovies` returning `MovieSearchConnection`. */
export interface SearchSubgraphNames {
  entityType: string;
  /** How the entity type is declared: an object (an entity), or an interface or union whose members are entities. */
  entityKind: 'object' | 'interface' | 'union';
  /** The entity types a hit refers to: the entity type itself, or the interface's or union's members. */
  possibleTypes: string[];
  /** The entity's key, field by field (the query template's key): a hit is a reference `{ __typename, …key }`. */
  key: KeyPart[];
  /** The object types inside a nested key by their path (`variation` → `ProductVariation` for `sku variation { id }`). */
  keyObjects: Record<string, string>;
  queryField: string;
  /** The types the search subgraph declares for this index (searchNames.ts owns them). */
  types: SearchTypeNames;
  /** A filter on this index's own fields for the field's doc comment; null: none to show. */
  filterExample: string | null;
}

/** The index's own names, `search:` in its config; none: every name derived from the entity type. */
export type SearchNamingChoice = Pick<SearchNaming, 'field' | 'typePrefix'>;

/**
 * The entity type and its key as the query template uses them: the document fields of its key
 * (`movie(movieId: $id)` → `movieId`; `sku package` for a fragment on Product fetched by that
 * key). Hits are returned as references `{ __typename, movieId }`, and the gateway fetches every
 * other field from the owning subgraphs. A nested key (`sku variation { id }`) is referred to
 * with its inner object (`{ sku, variation: { id } }`).
 */
export function searchSubgraphNames(
  query: Pick<QueryTemplate, 'entityType' | 'key' | 'possibleTypes' | 'fetchByKey'>,
  naming?: SearchNamingChoice,
  fields: readonly DocumentField[] = [],
): SearchSubgraphNames {
  const type = query.entityType.name;
  const types = searchTypeNames(type, naming);
  const entityKind = isInterfaceType(query.entityType) ? 'interface' : isUnionType(query.entityType) ? 'union' : 'object';
  return { entityType: type, entityKind, possibleTypes: query.possibleTypes, key: query.key, keyObjects: keyObjectTypes(query), queryField: types.field, types, filterExample: filterExample(fields) };
}

/**
 * A filter the index itself can take, for the search field's doc comment: an enum field with its
 * first value, else a facet, else a sortable number — never an example from another graph.
 */
export function filterExample(fields: readonly DocumentField[]): string | null {
  const usable = fields.filter((field) => field.indexed && !field.nested && field.exactField !== null);
  const enumField = usable.find((field) => field.kind === 'enum' && field.enumValues?.length);
  if (enumField) return `${enumField.path} == "${enumField.enumValues?.[0] as string}"`;
  const facet = usable.find((field) => field.facet);
  if (facet) return `${facet.path} == "…"`;
  const number = usable.find((field) => field.sortable && (field.graphqlType === 'Int' || field.graphqlType === 'Float'));
  return number ? `${number.path} >= 1` : null;
}

/**
 * The object type at each inner path of a nested key, read from the schema the entity is fetched
 * with (only a fetch by @key has a nested key: a root field's key is its arguments).
 */
function keyObjectTypes(query: Pick<QueryTemplate, 'entityType' | 'key' | 'fetchByKey'>): Record<string, string> {
  const objects: Record<string, string> = {};
  const schema = query.fetchByKey?.apiSchema;
  for (const part of query.key) {
    const segments = part.documentPath.split('.');
    let parent = query.entityType;
    for (let depth = 1; depth < segments.length; depth++) {
      const field = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[segments[depth - 1] as string] : undefined;
      const inner = field ? getNamedType(field.type) : undefined;
      if (!schema || !inner) throw new UserError(`the search subgraph cannot declare the nested key ${part.documentPath} of ${query.entityType.name}`);
      objects[segments.slice(0, depth).join('.')] = inner.name;
      parent = inner;
    }
  }
  return objects;
}

/**
 * The reference the gateway completes for one hit: the entity's type and key fields (Ints as
 * numbers). For an interface or union, the concrete type the document recorded (`__typename`,
 * which fedsearch selects on every abstract value); null when it did not record one.
 */
function referenceOf(names: SearchSubgraphNames, id: string, document: Record<string, unknown>): Record<string, unknown> | null {
  const typename = names.entityKind === 'object' ? names.entityType : document['__typename'];
  if (typeof typename !== 'string' || !names.possibleTypes.includes(typename)) return null;
  const decoded = decodeId(names.key, id);
  const values = 'values' in decoded ? decoded.values : [id];
  const reference: Record<string, unknown> = { __typename: typename };
  for (const [index, part] of names.key.entries()) {
    // A nested key field (`variation.id`) goes inside its object: { variation: { id } }.
    const segments = part.documentPath.split('.');
    let into = reference;
    for (const segment of segments.slice(0, -1)) into = (into[segment] ??= {}) as Record<string, unknown>;
    into[segments.at(-1) as string] = values[index];
  }
  return reference;
}

/** The fields of a key as an SDL field list, nested ones by their object (`variation: ProductVariation!`). */
function keyFieldsSdl(names: SearchSubgraphNames, prefix = ''): Map<string, string> {
  const fields = new Map<string, string>();
  for (const part of names.key) {
    if (!part.documentPath.startsWith(prefix)) continue;
    const rest = part.documentPath.slice(prefix.length);
    const head = rest.split('.')[0] as string;
    fields.set(head, rest.includes('.') ? (names.keyObjects[`${prefix}${head}`] as string) : part.typeName);
  }
  return fields;
}

/** The key's field set as @key(fields:) writes it (`sku variation { id }`). */
function keyFieldSet(names: SearchSubgraphNames, prefix = ''): string {
  return [...keyFieldsSdl(names, prefix)]
    .map(([field]) => (names.keyObjects[`${prefix}${field}`] ? `${field} { ${keyFieldSet(names, `${prefix}${field}.`)} }` : field))
    .join(' ');
}

/**
 * The entity declarations: every type a hit can refer to, by its key fields (`resolvable: false`:
 * this subgraph refers to it, others resolve it), and an interface or union over them when an
 * index's entity type is one. Types shared by several indexes are declared once.
 */
function entityDeclarations(indexes: readonly SearchSubgraphNames[]): string[] {
  const objects = new Map<string, { keys: Set<string>; fields: Map<string, string>; implementsTypes: Set<string> }>();
  const abstracts = new Map<string, SearchSubgraphNames>();
  // The value types inside nested keys, with the key fields they hold (shareable: their owner resolves them too).
  const keyValueTypes = new Map<string, Map<string, string>>();
  for (const names of indexes) {
    for (const type of names.possibleTypes) {
      const object = objects.get(type) ?? { keys: new Set(), fields: new Map(), implementsTypes: new Set() };
      object.keys.add(keyFieldSet(names));
      for (const [field, typeName] of keyFieldsSdl(names)) object.fields.set(field, typeName);
      if (names.entityKind === 'interface') object.implementsTypes.add(names.entityType);
      objects.set(type, object);
    }
    for (const [path, typeName] of Object.entries(names.keyObjects)) {
      const fields = keyValueTypes.get(typeName) ?? new Map<string, string>();
      for (const [field, fieldType] of keyFieldsSdl(names, `${path}.`)) fields.set(field, fieldType);
      keyValueTypes.set(typeName, fields);
    }
    if (names.entityKind !== 'object') abstracts.set(names.entityType, names);
  }
  const fieldLines = (fields: Map<string, string>, directive = ''): string => [...fields].map(([field, typeName]) => `      ${field}: ${typeName}!${directive}`).join('\n');
  const declarations = [...abstracts.values()].map((names) =>
    names.entityKind === 'interface'
      ? `interface ${names.entityType} {\n${fieldLines(keyFieldsSdl(names))}\n    }`
      : `union ${names.entityType} = ${names.possibleTypes.join(' | ')}`,
  );
  for (const [typeName, fields] of keyValueTypes) declarations.push(`type ${typeName} {\n${fieldLines(fields, ' @shareable')}\n    }`);
  for (const [type, object] of objects) {
    const implementsClause = object.implementsTypes.size > 0 ? ` implements ${[...object.implementsTypes].join(' & ')}` : '';
    const keys = [...object.keys].map((fields) => `@key(fields: "${fields}", resolvable: false)`).join(' ');
    declarations.push(`type ${type}${implementsClause} ${keys} {\n${fieldLines(object.fields)}\n    }`);
  }
  return declarations;
}

/**
 * The search subgraph's SDL for every index it serves: per index its entity (a reference by its
 * key), its edge and connection types and its query field; the highlight, facet and page types
 * once. Two indexes that would name the same search field are refused, naming both.
 */
export function searchSubgraphTypeDefs(indexes: readonly SearchSubgraphNames[]): DocumentNode {
  const byField = new Map<string, SearchSubgraphNames>();
  const byConnection = new Map<string, SearchSubgraphNames>();
  for (const names of indexes) {
    const other = byField.get(names.queryField);
    if (other) throw new UserError(`two served indexes of ${names.entityType} would both be Query.${names.queryField} in the search subgraph; set search.field in one of them`);
    byField.set(names.queryField, names);
    const sameTypes = byConnection.get(names.types.connection);
    if (sameTypes) throw new UserError(`two served indexes would both declare ${names.types.connection} in the search subgraph (${sameTypes.queryField}, ${names.queryField}); set search.typePrefix in one of them`);
    byConnection.set(names.types.connection, names);
  }
  const builtIn = new Set(['ID', 'String', 'Int']);
  const scalars = [...new Set(indexes.flatMap((names) => names.key.map((part) => part.typeName)).filter((type) => !builtIn.has(type)))];
  const perIndex = ({ entityType: T, types }: SearchSubgraphNames): string => `
    """
    One hit: the entity (every field resolved by the subgraphs that own it), its score and
    highlights. node is null when the entity was deleted after it was indexed (the index
    catches up within seconds), so one such hit does not fail the whole search.
    """
    type ${types.edge} {
      node: ${T}
      score: Float
      highlights: [${types.highlight}!]!
    }

    type ${types.connection} {
      totalCount: Int!
      edges: [${types.edge}!]!
      facets: [${types.facet}!]!
      pageInfo: ${types.pageInfo}!
    }
`;
  // The highlight, facet and page types, once per prefix (most graphs: once).
  const shared = new Map(indexes.map(({ types }) => [types.highlight, types]));
  const sharedTypes = ([...shared.values()]).map((types) => `
    type ${types.highlight} {
      field: String!
      fragments: [String!]!
    }

    type ${types.facetValue} {
      value: String!
      count: Int!
      selected: Boolean!
    }

    type ${types.facet} {
      field: String!
      values: [${types.facetValue}!]!
    }

    type ${types.pageInfo} {
      endCursor: String
      hasNextPage: Boolean!
    }

    input ${types.facetSelection} {
      field: String!
      values: [String!]!
    }
`);
  const queryFields = indexes.map(
    (names) => `      """
      Search ${names.entityType}: full-text query, filter (the filter language of fedsearch's
      search API, on the index's fields${names.filterExample ? `, e.g. ${names.filterExample}` : ''}), facets to count, facet values chosen, cursor pagination.
      """
      ${names.queryField}(query: String, filter: String, facets: [String!], selected: [${names.types.facetSelection}!], first: Int = 10, after: String): ${names.types.connection}!`,
  );
  return parse(`
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])

    ${scalars.map((name) => `scalar ${name}`).join('\n    ')}

    ${entityDeclarations(indexes).join('\n\n    ')}
${indexes.map(perIndex).join('')}${sharedTypes.join('')}
    type Query {
${queryFields.join('\n')}
    }
  `);
}

interface SearchArguments {
  query?: string | null;
  filter?: string | null;
  facets?: string[] | null;
  selected?: Array<{ field: string; values: string[] }> | null;
  first?: number | null;
  after?: string | null;
}

/** What the search subgraph's resolvers read from the server serving it. */
export interface SearchSubgraphContext {
  /** The request's deadline, shared by every search field of its operation (see serveSearch). */
  deadline?: Deadline;
}

/** The root fields of the search subgraph that each run a search: `searchMovies`, one per index. */
export function searchFieldNames(indexes: ReadonlyArray<{ query: Pick<QueryTemplate, 'entityType' | 'key' | 'possibleTypes' | 'fetchByKey'>; naming?: SearchNamingChoice }>): Set<string> {
  return new Set(indexes.map(({ query, naming }) => searchSubgraphNames(query, naming).queryField));
}

/**
 * The federated search subgraph over the served indexes, a query field each: the graph becomes
 * searchable through the graph. Wherever it is served — by `fedsearch serve`, which also refuses a
 * costly operation before it runs, or by another server — an operation with more searches than
 * OPERATION_LIMITS allows runs none of them, and a search gets at most `requestTimeoutMs` (the
 * request's own deadline, when the server gives one).
 */
export function searchSubgraph(
  indexes: ReadonlyArray<{ service: SearchService; query: QueryTemplate; naming?: SearchNamingChoice; fields?: readonly DocumentField[] }>,
  options: { requestTimeoutMs?: number } = {},
): GraphQLSchema {
  const all = indexes.map(({ service, query, naming, fields }) => ({ service, names: searchSubgraphNames(query, naming, fields) }));
  const searchFields = searchFieldNames(indexes);
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const resolvers: GraphQLResolverMap<unknown> = {
    Query: Object.fromEntries(all.map(({ service, names }) => [names.queryField, searchResolver(service, names, searchFields, requestTimeoutMs)])),
  };
  return buildSubgraphSchema({ typeDefs: searchSubgraphTypeDefs(all.map(({ names }) => names)), resolvers });
}

function searchResolver(service: SearchService, names: SearchSubgraphNames, searchFields: ReadonlySet<string>, requestTimeoutMs: number) {
  return async (_: unknown, args: SearchArguments, context: unknown, info: GraphQLResolveInfo) => {
    const refusal = overLimits(operationCost(info.operation, (name) => info.fragments[name], searchFields));
    if (refusal) throw new GraphQLError(refusal, { extensions: { code: 'BAD_USER_INPUT' } });
    // Apollo's resolver map types the context as unknown; a server either gives a SearchSubgraphContext or none.
    const given = (context as SearchSubgraphContext | undefined)?.deadline;
    const ownDeadline = given ? null : startDeadline(requestTimeoutMs);
    const deadline = given ?? (ownDeadline as Deadline);
    try {
      const request = parseSearchRequest({
        ...(args.query ? { query: args.query } : {}),
        ...(args.filter ? { filter: args.filter } : {}),
        ...(args.facets ? { facets: args.facets } : {}),
        ...(args.selected ? { selected: Object.fromEntries(args.selected.map((s) => [s.field, s.values])) } : {}),
        size: args.first ?? 10,
        ...(args.after ? { cursor: args.after } : {}),
      });
      const response = await deadline.run((signal) => service.search(request, signal));
      return {
        totalCount: response.total,
        edges: response.hits.map((hit) => ({
          node: referenceOf(names, hit.id, hit.document),
          score: hit.score,
          highlights: Object.entries(hit.highlights).map(([field, fragments]) => ({ field, fragments })),
        })),
        facets: Object.entries(response.facets).map(([field, values]) => ({ field, values })),
        pageInfo: { endCursor: response.nextCursor, hasNextPage: response.nextCursor !== null },
      };
    } catch (error) {
      const bad = badSearchRequest(error);
      if (bad) throw new GraphQLError(bad.message, { extensions: graphqlExtensions(bad) });
      if (error instanceof DeadlineError) throw new GraphQLError('the search took too long; try again, or narrow it', { extensions: { code: 'SEARCH_TIMEOUT' } });
      // Never the raw error: Elasticsearch's messages name indexes and internals.
      const failure = searchFailure(error);
      throw new GraphQLError(failure.message, { extensions: failureExtensions(failure) });
    } finally {
      ownDeadline?.dispose();
    }
  };
}

/** The GraphQL error code of a search that failed; a 429 (too many searches in flight) says when to try again. */
function failureExtensions(failure: SearchFailure): Record<string, unknown> {
  switch (failure.status) {
    case 400:
      return { code: 'BAD_USER_INPUT' };
    case 429:
      return { code: 'TOO_MANY_SEARCHES', retryAfterSeconds: failure.retryAfterSeconds };
    case 503:
      return { code: 'SERVICE_UNAVAILABLE' };
    default:
      return { code: 'INTERNAL_SERVER_ERROR' };
  }
}

/** BAD_USER_INPUT with, for a filter error, its column (and fix); for any other, the request part at fault. */
function graphqlExtensions(bad: BadSearchRequest): Record<string, unknown> {
  const where = bad.column === undefined ? { field: bad.field } : { column: bad.column, ...(bad.suggestion ? { suggestion: bad.suggestion } : {}) };
  return { code: 'BAD_USER_INPUT', ...where };
}
