import { ApolloServer } from '@apollo/server';
import { apolloServerOptions } from '../apolloServerOptions.ts';
import { startStandaloneServer } from '@apollo/server/standalone';
import type { Client } from '@elastic/elasticsearch';
import { elasticsearchClient } from '../clients/elasticsearchClient.ts';
import type { LoadedIndex } from '../index/loadIndex.ts';
import { createLogger } from '../logger.ts';
import { startSearchServer, type SearchServerOptions } from './searchServer.ts';
import { SearchService } from './searchService.ts';
import { searchSubgraph } from './searchSubgraph.ts';
import { GATEWAY_SECRET_HEADER, mayUseSubgraph } from './accessToken.ts';
import { cursorKey } from './searchCursor.ts';
import { GraphQLError } from 'graphql';

export interface RunningSearch {
  apiUrl: string;
  /** The federated search subgraph (of the first index), for a gateway to compose. */
  subgraphUrl: string | null;
  close(): Promise<void>;
}

/**
 * The HTTP search API over the given indexes, and the search subgraph of the first one. Both
 * listeners take the same access rule (see SearchAccess): the subgraph accepts the API's bearer
 * token or the gateway's secret.
 */
export async function serveSearch(
  indexes: LoadedIndex[],
  options: SearchServerOptions & { subgraphPort: number | null; cursorKey?: Buffer },
): Promise<RunningSearch> {
  const clients: Client[] = indexes.map((loaded) => elasticsearchClient(loaded.config.elasticsearch));
  // One key for every index this process serves; FEDSEARCH_CURSOR_KEY shares it between replicas.
  const key = options.cursorKey ?? cursorKey(undefined);
  const services = indexes.map((loaded, i) => new SearchService(loaded, clients[i] as Client, { cursorKey: key }));
  const api = await startSearchServer(services, options, createLogger(services.map((s) => s.index).join(','), 'search'));
  let subgraph: ApolloServer | null = null;
  let subgraphUrl: string | null = null;
  const first = indexes[0];
  if (options.subgraphPort !== null && first) {
    subgraph = new ApolloServer({ ...apolloServerOptions(), schema: searchSubgraph(indexes.map((loaded, i) => ({ service: services[i] as SearchService, query: loaded.query }))) });
    const { url } = await startStandaloneServer(subgraph, {
      listen: { host: options.host, port: options.subgraphPort },
      context: async ({ req }) => {
        if (!mayUseSubgraph(req.headers, options)) {
          throw new GraphQLError(`missing or wrong bearer token or ${GATEWAY_SECRET_HEADER} header`, {
            extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
          });
        }
        return {};
      },
    });
    subgraphUrl = new URL('/graphql', url).toString();
  }
  return {
    apiUrl: api.url,
    subgraphUrl,
    async close() {
      await subgraph?.stop();
      await api.close();
      for (const client of clients) await client.close();
    },
  };
}
