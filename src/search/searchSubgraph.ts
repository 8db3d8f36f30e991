import { UserError } from '../errors.ts';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { GraphQLError, parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { QueryTemplate } from '../graph/validateQueryTemplate.ts';
import { badSearchRequest, searchFailure, type BadSearchRequest } from './badSearchRequest.ts';
import { parseSearchRequest } from './searchRequest.ts';
import type { SearchService } from './searchService.ts';

/** How the search subgraph names things for one index: `searchMovies` returning `MovieSearchConnection`. */
export interface SearchSubgraphNames {
  entityType: string;
  keyField: string;
  /** The key's scalar (the query template's id variable type), and whether ids go out as numbers. */
  keyType: string;
  keyIsInt: boolean;
  queryField: string;
}

/**
 * The entity type and its key as the query template uses them: the document field of its one key
 * field (`movie(movieId: $id)` → `movieId`; `email` for a fragment on User fetched by "email"). Hits are returned as references
 * `{ __typename, movieId }`, and the gateway fetches every other field from the owning subgraphs.
 */
export function searchSubgraphNames(query: Pick<QueryTemplate, 'entityType' | 'key'>): SearchSubgraphNames {
  const type = query.entityType.name;
  const plural = type.endsWith('y') ? `${type.slice(0, -1)}ies` : `${type}s`;
  const [key, ...more] = query.key;
  if (!key || more.length > 0 || key.documentPath.includes('.')) {
    throw new UserError(`the search subgraph refers to ${type} by a key of one top-level field; ${type}'s key (${query.key.map((part) => part.documentPath).join(', ')}) is not one yet — search it over HTTP`);
  }
  return { entityType: type, keyField: key.documentPath, keyType: key.typeName, keyIsInt: key.kind === 'int', queryField: `search${plural}` };
}

export function searchSubgraphTypeDefs(names: SearchSubgraphNames): DocumentNode {
  const { entityType: T, keyField, keyType, queryField } = names;
  const builtIn = ['ID', 'String', 'Int'].includes(keyType);
  return parse(`
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])

    ${builtIn ? '' : `scalar ${keyType}`}

    type ${T} @key(fields: "${keyField}", resolvable: false) {
      ${keyField}: ${keyType}!
    }

    """
    One hit: the entity (every field resolved by the subgraphs that own it), its score and
    highlights. node is null when the entity was deleted after it was indexed (the index
    catches up within seconds), so one such hit does not fail the whole search.
    """
    type ${T}SearchEdge {
      node: ${T}
      score: Float
      highlights: [SearchHighlight!]!
    }

    type SearchHighlight {
      field: String!
      fragments: [String!]!
    }

    type SearchFacetValue {
      value: String!
      count: Int!
      selected: Boolean!
    }

    type SearchFacet {
      field: String!
      values: [SearchFacetValue!]!
    }

    type SearchPageInfo {
      endCursor: String
      hasNextPage: Boolean!
    }

    type ${T}SearchConnection {
      totalCount: Int!
      edges: [${T}SearchEdge!]!
      facets: [SearchFacet!]!
      pageInfo: SearchPageInfo!
    }

    input SearchFacetSelection {
      field: String!
      values: [String!]!
    }

    type Query {
      """
      Full-text query, filter DSL (e.g. genres == "comedy" AND (cast.talent.name == "Ryan Reynolds"
      AND cast.role == "ACTOR")), facets to count, facet values chosen, and cursor pagination.
      """
      ${queryField}(query: String, filter: String, facets: [String!], selected: [SearchFacetSelection!], first: Int = 10, after: String): ${T}SearchConnection!
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

/** The federated search subgraph over one index: the graph becomes searchable through the graph. */
export function searchSubgraph(service: SearchService, query: QueryTemplate): GraphQLSchema {
  const names = searchSubgraphNames(query);
  const resolvers: GraphQLResolverMap<unknown> = {
    Query: {
      [names.queryField]: async (_: unknown, args: SearchArguments) => {
        try {
          const request = parseSearchRequest({
            ...(args.query ? { query: args.query } : {}),
            ...(args.filter ? { filter: args.filter } : {}),
            ...(args.facets ? { facets: args.facets } : {}),
            ...(args.selected ? { selected: Object.fromEntries(args.selected.map((s) => [s.field, s.values])) } : {}),
            size: args.first ?? 10,
            ...(args.after ? { cursor: args.after } : {}),
          });
          const response = await service.search(request);
          return {
            totalCount: response.total,
            edges: response.hits.map((hit) => ({
              node: { __typename: names.entityType, [names.keyField]: names.keyIsInt ? Number(hit.id) : hit.id },
              score: hit.score,
              highlights: Object.entries(hit.highlights).map(([field, fragments]) => ({ field, fragments })),
            })),
            facets: Object.entries(response.facets).map(([field, values]) => ({ field, values })),
            pageInfo: { endCursor: response.nextCursor, hasNextPage: response.nextCursor !== null },
          };
        } catch (error) {
          const bad = badSearchRequest(error);
          if (bad) throw new GraphQLError(bad.message, { extensions: graphqlExtensions(bad) });
          // Never the raw error: Elasticsearch's messages name indexes and internals.
          const failure = searchFailure(error);
          throw new GraphQLError(failure.message, {
            extensions: { code: failure.status === 400 ? 'BAD_USER_INPUT' : failure.status === 503 ? 'SERVICE_UNAVAILABLE' : 'INTERNAL_SERVER_ERROR' },
          });
        }
      },
    },
  };
  return buildSubgraphSchema({ typeDefs: searchSubgraphTypeDefs(names), resolvers });
}

/** BAD_USER_INPUT with, for a filter error, its column (and fix); for any other, the request part at fault. */
function graphqlExtensions(bad: BadSearchRequest): Record<string, unknown> {
  const where = bad.column === undefined ? { field: bad.field } : { column: bad.column, ...(bad.suggestion ? { suggestion: bad.suggestion } : {}) };
  return { code: 'BAD_USER_INPUT', ...where };
}
