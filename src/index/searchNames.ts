import { getNamedType, isObjectType, type GraphQLSchema } from 'graphql';
import type { ConfigProblem } from '../config/configError.ts';
import type { IndexConfig, SearchNaming } from '../config/indexConfig.ts';

/**
 * The names an index's search takes in the graph: its root field and the types the search
 * subgraph declares for it. Derived from the entity type (`searchProducts`,
 * `ProductSearchConnection`) unless the config's `search:` names them. This module owns them;
 * the search subgraph, `validate` and `init` read them from here.
 */
export interface SearchTypeNames {
  /** The root field: `searchProducts`, or `search.field`. */
  field: string;
  connection: string;
  edge: string;
  highlight: string;
  facet: string;
  facetValue: string;
  pageInfo: string;
  facetSelection: string;
}

/** `Product` → `Products`, `Category` → `Categories` (any final y: derived names predate configurable ones and must not change). */
export function pluralOf(type: string): string {
  return type.endsWith('y') ? `${type.slice(0, -1)}ies` : `${type}s`;
}

/** The field a config that names none gets: `search<Type>s`. */
export function derivedSearchField(entityType: string): string {
  return `search${pluralOf(entityType)}`;
}

/**
 * Every name for one index. The edge and connection take the prefix (default: the entity type);
 * the types every index shares (highlight, facet, page) take it only when one is configured, so a
 * graph that already has a `SearchFacet` of its own can keep it.
 */
export function searchTypeNames(entityType: string, naming: Pick<SearchNaming, 'field' | 'typePrefix'> = { field: null, typePrefix: null }): SearchTypeNames {
  const own = naming.typePrefix ?? entityType;
  const shared = naming.typePrefix ?? '';
  return {
    field: naming.field ?? derivedSearchField(entityType),
    connection: `${own}SearchConnection`,
    edge: `${own}SearchEdge`,
    highlight: `${shared}SearchHighlight`,
    facet: `${shared}SearchFacet`,
    facetValue: `${shared}SearchFacetValue`,
    pageInfo: `${shared}SearchPageInfo`,
    facetSelection: `${shared}SearchFacetSelection`,
  };
}

/**
 * The fields each search type has: a graph type of the same name with these fields is the search
 * subgraph's own, from an earlier composition (a gateway that already serves it), not a collision.
 */
const OWN_FIELDS: Record<Exclude<keyof SearchTypeNames, 'field' | 'facetSelection'>, readonly string[]> = {
  connection: ['totalCount', 'edges', 'facets', 'pageInfo'],
  edge: ['node', 'score', 'highlights'],
  highlight: ['field', 'fragments'],
  facet: ['field', 'values'],
  facetValue: ['value', 'count', 'selected'],
  pageInfo: ['endCursor', 'hasNextPage'],
};

function isOwnType(schema: GraphQLSchema, typeName: string, fields: readonly string[] | undefined): boolean {
  const type = schema.getType(typeName);
  if (!type) return true;
  // An input type is compared by its fields too (field, values).
  const has = 'getFields' in type ? Object.keys(type.getFields()) : [];
  const expected = fields ?? ['field', 'values'];
  return has.length === expected.length && expected.every((field) => has.includes(field));
}

/** The first of `search<Type>s`, `find<Type>s`, `fedsearch<Type>s`, `search<Type>s2`, … that the graph's Query does not have. */
export function freeSearchField(schema: GraphQLSchema, entityType: string): string {
  const taken = new Set(Object.keys(schema.getQueryType()?.getFields() ?? {}));
  const plural = pluralOf(entityType);
  const candidates = [`search${plural}`, `find${plural}`, `fedsearch${plural}`];
  for (let n = 2; ; n++) {
    const free = candidates.find((name) => !taken.has(name));
    if (free) return free;
    candidates.splice(0, candidates.length, `search${plural}${n}`);
  }
}

/**
 * The index's search names checked against the graph's own fields and types, each problem at its
 * line: a configured name the graph already has, or a derived one (with the `search.field` or
 * `search.typePrefix` to set instead). A name that is the search subgraph's own (the gateway
 * already composes it) is not a collision.
 */
export function searchNameCollisions(config: Pick<IndexConfig, 'sourceFile' | 'search' | 'primary'>, schema: GraphQLSchema, entityType: string): ConfigProblem[] {
  const names = searchTypeNames(entityType, config.search);
  const problems: ConfigProblem[] = [];
  const ownConnection = isOwnType(schema, names.connection, OWN_FIELDS.connection);
  const graphField = schema.getQueryType()?.getFields()[names.field];
  if (graphField && !(getNamedType(graphField.type).name === names.connection && ownConnection && schema.getType(names.connection))) {
    const configured = config.search.field !== null;
    problems.push({
      file: config.sourceFile,
      position: (configured ? config.search.positions.field : config.primary.typePosition) ?? { line: 1, col: 1 },
      field: configured ? 'search.field' : 'primary.type',
      message: configured
        ? `Query.${names.field} is already a field of the graph; choose another name, e.g. ${freeSearchField(schema, entityType)}`
        : `the search field for ${entityType}, Query.${names.field}, is already a field of the graph; set search.field to another name, e.g. search: { field: ${freeSearchField(schema, entityType)} }`,
    });
  }
  const taken = (Object.keys(OWN_FIELDS) as Array<keyof typeof OWN_FIELDS>)
    .filter((kind) => !isOwnType(schema, names[kind], OWN_FIELDS[kind]))
    .map((kind) => names[kind]);
  if (!isOwnType(schema, names.facetSelection, undefined) || isObjectType(schema.getType(names.facetSelection))) taken.push(names.facetSelection);
  if (taken.length > 0) {
    const configured = config.search.typePrefix !== null;
    problems.push({
      file: config.sourceFile,
      position: (configured ? config.search.positions.typePrefix : config.primary.typePosition) ?? { line: 1, col: 1 },
      field: configured ? 'search.typePrefix' : 'primary.type',
      message: `the graph already has ${taken.length === 1 ? 'a type' : 'types'} named ${taken.join(', ')}, which the search subgraph declares; ${configured ? 'choose another' : 'set'} search.typePrefix (e.g. search: { typePrefix: ${entityType}Index })`,
    });
  }
  return problems;
}
