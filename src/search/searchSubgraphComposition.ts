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
  return print(searchSubgraphTypeDefs(indexes.map((loaded) => searchSubgraphNames(loaded.query, loaded.config.search, loaded.fields))));
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
    typeDefs = searchSubgraphTypeDefs(indexes.map((loaded) => searchSubgraphNames(loaded.query, loaded.config.search, loaded.fields)));
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

/**
 * The indexes one search subgraph can hold, in order: each joins when its names are free in the
 * graph and the subgraph still composes with it; one that does not is left out, with the reason,
 * and never takes the others down (the HTTP API serves every index, subgraph or not).
 */
export function composableIndexes(indexes: readonly LoadedIndex[]): { composed: LoadedIndex[]; leftOut: Array<{ index: string; reason: string }> } {
  const composed: LoadedIndex[] = [];
  const leftOut: Array<{ index: string; reason: string }> = [];
  for (const loaded of indexes) {
    try {
      checkSearchNames(loaded);
      checkSearchSubgraphComposes([...composed, loaded]);
      // Without a supergraph to compose with, two indexes can still clash with each other (one field name).
      searchSubgraphTypeDefs([...composed, loaded].map((each) => searchSubgraphNames(each.query, each.config.search, each.fields)));
      composed.push(loaded);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      leftOut.push({ index: loaded.config.index, reason: error.message });
    }
  }
  return { composed, leftOut };
}
