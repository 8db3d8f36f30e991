import { print } from 'graphql';
import { UserError } from '../errors.ts';
import type { LoadedIndex } from '../index/loadIndex.ts';
import { searchSubgraphNames, searchSubgraphTypeDefs } from './searchSubgraph.ts';
import { composition } from '../graph/federationLibraries.ts';
import { ConfigError } from '../config/configError.ts';
import { searchNameCollisions } from '../index/searchNames.ts';

/** Name of the search subgraph in a composed graph. */
export const SEARCH_SUBGRAPH_NAME = 'search';

/** The search subgraph's SDL for these indexes (`fedsearch generate subgraph`). */
export function searchSubgraphSdl(indexes: readonly LoadedIndex[]): string {
  return print(searchSubgraphTypeDefs(indexes.map((loaded) => searchSubgraphNames(loaded.query, loaded.config.search))));
}

/**
 * The search subgraph composed with the graph it extends — the supergraph the indexes were checked
 * against, its own `search` subgraph (an earlier composition) replaced — so a subgraph the graph
 * would refuse is reported before a gateway trips over it, with composition's reason and the
 * indexes. Null when no index was checked against a supergraph (nothing to compose with).
 */
export function checkSearchSubgraphComposes(indexes: readonly LoadedIndex[]): { supergraph: string } | null {
  const supergraph = indexes.find((loaded) => loaded.supergraph !== null)?.supergraph;
  if (!supergraph) return null;
  const served = indexes.map((loaded) => loaded.config.index).join(', ');
  let typeDefs;
  try {
    typeDefs = searchSubgraphTypeDefs(indexes.map((loaded) => searchSubgraphNames(loaded.query, loaded.config.search)));
  } catch (error) {
    throw new UserError(`the search subgraph for ${served}: ${(error as Error).message}`);
  }
  const result = composition().composeServices([
    ...supergraph.subgraphs.filter((subgraph) => subgraph.name !== SEARCH_SUBGRAPH_NAME),
    { name: SEARCH_SUBGRAPH_NAME, url: 'http://search.invalid/graphql', typeDefs },
  ]);
  if (result.errors) {
    throw new UserError(`the search subgraph for ${served} does not compose with ${supergraph.file}: ${result.errors.map((error) => error.message).join('; ')}`);
  }
  return { supergraph: supergraph.file };
}

/**
 * The index's search field and types checked against the graph's own: a name the graph already
 * has (and not as the search subgraph's own) is a ConfigError at its line — the configured
 * `search.field`/`search.typePrefix`, or `primary.type` with the `search:` setting to add.
 */
export function checkSearchNames(loaded: LoadedIndex): void {
  const problems = searchNameCollisions(loaded.config, loaded.schema, loaded.query.entityType.name);
  if (problems.length > 0) throw new ConfigError(problems);
}
