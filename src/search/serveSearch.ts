import { ApolloServer } from '@apollo/server';
import { apolloServerOptions } from '../apolloServerOptions.ts';
import type { Client } from '@elastic/elasticsearch';
import { elasticsearchClient } from '../clients/elasticsearchClient.ts';
import { SearchTransport } from '../clients/searchTransport.ts';
import type { LoadedIndex } from '../index/loadIndex.ts';
import { createLogger } from '../logger.ts';
import { PortTakenError, type Listener } from '../httpListener.ts';
import { operationCostRule } from './operationCost.ts';
import { startSearchServer, type SearchServerOptions } from './searchServer.ts';
import { SearchService } from './searchService.ts';
import { searchClientOf } from './searchClientOf.ts';
import { searchFieldNames, searchSubgraph, type SearchSubgraphContext } from './searchSubgraph.ts';
import { startSubgraphListener } from './subgraphListener.ts';
import { cursorKey } from './searchCursor.ts';

/** The port of one of serve's listeners (its HTTP API, or its search subgraph) is taken. */
export class ServePortTakenError extends PortTakenError {
  constructor(
    readonly listener: 'api' | 'subgraph',
    taken: PortTakenError,
  ) {
    super(taken.host, taken.port);
  }
}

export interface RunningSearch {
  apiUrl: string;
  /** The federated search subgraph, for a gateway to compose; null when none was asked for or no index joins it. */
  subgraphUrl: string | null;
  close(): Promise<void>;
}

/**
 * Far more than any operation a gateway or a person writes takes (the 1,000-alias operation
 * that ran 1,000 searches is 6,000), and few enough that parsing any body is cheap.
 */
const MAX_OPERATION_TOKENS = 10_000;

/**
 * The HTTP search API over the given indexes, and the search subgraph over those of them that
 * compose (`subgraphIndexes`, default all; see composableIndexes). Both
 * listeners take the same access rule (see SearchAccess): the subgraph accepts the API's bearer
 * token or the gateway's secret. Both take the same limits: body size, request, idle and search
 * timeouts, CORS origin.
 */
export async function serveSearch(
  indexes: LoadedIndex[],
  options: SearchServerOptions & {
    subgraphPort: number | null;
    cursorKey?: Buffer;
    subgraphIndexes?: readonly LoadedIndex[];
    /** Searches of each index sent to Elasticsearch at once (default SEARCH_ADMISSION.running). */
    maxRunningSearches?: number;
  },
): Promise<RunningSearch> {
  const clients: Client[] = indexes.map((loaded) => elasticsearchClient(loaded.config.elasticsearch));
  const transports = indexes.map((loaded) => new SearchTransport(loaded.config.elasticsearch));
  // One key for every index this process serves; FEDSEARCH_CURSOR_KEY shares it between replicas.
  const key = options.cursorKey ?? cursorKey(undefined);
  const services = indexes.map((loaded, i) => new SearchService(loaded, searchClientOf(clients[i] as Client, transports[i] as SearchTransport), {
    cursorKey: key,
    ...(options.maxRunningSearches === undefined ? {} : { maxRunningSearches: options.maxRunningSearches }),
  }));
  const logger = createLogger(services.map((s) => s.index).join(','), 'search');
  const closeClients = async (): Promise<void> => {
    for (const client of clients) await client.close();
    for (const transport of transports) await transport.close();
  };
  let api: Listener;
  try {
    api = await startSearchServer(services, options, logger);
  } catch (error) {
    await closeClients();
    throw error instanceof PortTakenError ? new ServePortTakenError('api', error) : error;
  }
  let subgraph: Listener | null = null;
  const inSubgraph = new Set(options.subgraphIndexes ?? indexes);
  const served = indexes.flatMap((loaded, i) => (inSubgraph.has(loaded) ? [{ service: services[i] as SearchService, query: loaded.query, naming: loaded.config.search, fields: loaded.fields }] : []));
  if (options.subgraphPort !== null && served.length > 0) {
    const apollo = new ApolloServer<SearchSubgraphContext>({
      ...apolloServerOptions(),
      schema: searchSubgraph(served, { requestTimeoutMs: options.requestTimeoutMs }),
      validationRules: [operationCostRule(searchFieldNames(served))],
      parseOptions: { maxTokens: MAX_OPERATION_TOKENS },
    });
    try {
      subgraph = await startSubgraphListener(apollo, { ...options, port: options.subgraphPort }, logger);
    } catch (error) {
      // Nothing is left listening: the API's listener closes with the clients.
      await api.close();
      await closeClients();
      throw error instanceof PortTakenError ? new ServePortTakenError('subgraph', error) : error;
    }
  }
  return {
    apiUrl: api.url,
    subgraphUrl: subgraph ? new URL('/graphql', subgraph.url).toString() : null,
    async close() {
      await subgraph?.close();
      await api.close();
      await closeClients();
    },
  };
}

