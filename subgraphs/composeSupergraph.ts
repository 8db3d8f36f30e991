import { composeServices } from '@apollo/composition';
import type { DocumentNode } from 'graphql';
import { moviesTypeDefs } from './movies/moviesSubgraph.ts';
import { productionsTypeDefs } from './productions/productionsSubgraph.ts';
import { talentTypeDefs } from './talent/talentSubgraph.ts';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseIndexConfig } from '../src/config/loadIndexConfig.ts';
import { supergraphApiSchema } from '../src/graph/loadGraphSchema.ts';
import { validateQueryTemplate } from '../src/graph/validateQueryTemplate.ts';
import { searchSubgraphNames, searchSubgraphTypeDefs } from '../src/search/searchSubgraph.ts';

export interface SubgraphDefinition {
  name: string;
  typeDefs: DocumentNode;
}

/** The demo's subgraphs, each owned by its own team. */
export const DEMO_SUBGRAPHS: SubgraphDefinition[] = [
  { name: 'movies', typeDefs: moviesTypeDefs },
  { name: 'productions', typeDefs: productionsTypeDefs },
  { name: 'talent', typeDefs: talentTypeDefs },
];

const moviesConfigFile = fileURLToPath(new URL('../index-configs/movies.yaml', import.meta.url));

/**
 * fedsearch's own subgraph for index-configs/movies.yaml (`searchMovies`), which makes the demo
 * graph searchable through the graph. Its schema depends only on the config's query template,
 * checked against the three teams' graph: the graph the search subgraph extends.
 */
export const SEARCH_SUBGRAPH: SubgraphDefinition = {
  name: 'search',
  typeDefs: searchSubgraphTypeDefs([
    searchSubgraphNames(
      validateQueryTemplate(
        parseIndexConfig(readFileSync(moviesConfigFile, 'utf8'), moviesConfigFile, {}),
        // The URLs do not matter to the schema the teams' graph shows its clients.
        supergraphApiSchema(composeSupergraph(DEMO_SUBGRAPHS.map((subgraph) => ({ ...subgraph, url: `http://${subgraph.name}/graphql` })))),
      ),
    ),
  ]),
};

/** What subgraphs/supergraph.graphql composes: the three teams and the search subgraph. */
export const DEMO_SUPERGRAPH_SUBGRAPHS: SubgraphDefinition[] = [...DEMO_SUBGRAPHS, SEARCH_SUBGRAPH];

export const DEFAULT_PORTS = { gateway: 4000, movies: 4001, productions: 4002, talent: 4003, search: 4004 } as const;

/** The URL a subgraph listens on for the default ports (what subgraphs/supergraph.graphql names). */
export function defaultSubgraphUrl(name: string): string {
  const port = DEFAULT_PORTS[name as keyof typeof DEFAULT_PORTS];
  return `http://127.0.0.1:${port}/graphql`;
}

/** Composes a Federation 2 supergraph; composition errors are thrown with every message. */
export function composeSupergraph(subgraphs: Array<SubgraphDefinition & { url: string }>): string {
  const result = composeServices(subgraphs);
  if (result.errors) {
    throw new Error(`supergraph composition failed:\n${result.errors.map((e) => `  - ${e.message}`).join('\n')}`);
  }
  return result.supergraphSdl;
}
