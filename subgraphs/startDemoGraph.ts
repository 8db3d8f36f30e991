import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { apolloServerOptions } from '../src/apolloServerOptions.ts';
import { operationCostRule } from '../src/search/operationCost.ts';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { generateStudio } from './data/generateStudio.ts';
import type { Studio } from './data/studioRows.ts';
import { composeSupergraph, DEFAULT_PORTS, DEMO_SUBGRAPHS, DEMO_SUPERGRAPH_SUBGRAPHS } from './composeSupergraph.ts';
import { moviesSubgraph } from './movies/moviesSubgraph.ts';
import { productionsSubgraph } from './productions/productionsSubgraph.ts';
import { talentSubgraph } from './talent/talentSubgraph.ts';
import { type StudioTopics } from './shared/changeEvents.ts';
import { openTeamStore } from './shared/openTeamStore.ts';
import type { TeamStore } from './shared/teamTable.ts';
import { CREDITS_TABLE, MOVIES_TABLE, PRODUCTIONS_TABLE, TALENT_TABLE } from './data/studioTables.ts';

export interface DemoGraphOptions {
  /** Number of movies to generate (productions = movies, talent = 3 × movies). Default 10,000. */
  movies?: number;
  seed?: number;
  /** Credit one actor (HUB_TALENT_ID) in this many movies (a large reverse-lookup fan-out). */
  hubTalentMovies?: number;
  /** Port per server; 0 picks a free one. Defaults: gateway 4000, subgraphs 4001–4003. */
  ports?: Partial<Record<keyof typeof DEFAULT_PORTS, number>>;
  /**
   * Kafka brokers for the in-memory store's application change events; null runs it without
   * publishing them. Unused with `postgresUrl`.
   */
  kafkaBrokers: string[] | null;
  topics?: StudioTopics;
  /**
   * The teams keep their rows in PostgreSQL at this server (`postgresql://user@host:port`, one
   * database per team) and publish nothing: changes are captured from the databases' log. Without
   * it they keep them in memory and publish an application event per mutation.
   */
  postgresUrl?: string;
  /** fedsearch's search subgraph to add to the supergraph (served on `ports.search`). */
  search?: GraphQLSchema;
}

export type SubgraphName = 'movies' | 'productions' | 'talent';

export interface DemoGraph {
  gatewayUrl: string;
  subgraphUrls: Record<'movies' | 'productions' | 'talent', string>;
  supergraphSdl: string;
  topics: StudioTopics;
  studioSize: { movies: number; productions: number; talent: number; credits: number };
  /**
   * Fault injection: a subgraph marked down answers every request with HTTP 503, as a crashed
   * service behind a load balancer would, until it is marked up again.
   */
  setSubgraphDown(name: SubgraphName, down: boolean): void;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

/**
 * Starts the demo studio: three subgraph servers, each owning its part of a generated studio,
 * and an Apollo Gateway composed over them. Everything listens on loopback.
 */
export async function startDemoGraph(options: DemoGraphOptions): Promise<DemoGraph> {
  const studio: Studio = generateStudio({
    movies: options.movies ?? 10_000,
    seed: options.seed ?? 42,
    hubTalentMovies: options.hubTalentMovies ?? 0,
  });
  const ports = { ...DEFAULT_PORTS, ...options.ports };
  const { store, topics } = await openTeamStore(options);

  const servers: ApolloServer[] = [];
  const down = new Set<SubgraphName>();
  const faultSwitch = (name: SubgraphName): ApolloServerPlugin => ({
    async requestDidStart() {
      if (down.has(name)) throw new GraphQLError(`subgraph ${name} is down (fault injected)`, { extensions: { http: { status: 503 } } });
    },
  });
  const serve = async (schema: GraphQLSchema | ApolloGateway, port: number, name?: SubgraphName): Promise<string> => {
    const server =
      schema instanceof ApolloGateway
        ? new ApolloServer({
            ...apolloServerOptions([ApolloServerPluginCacheControlDisabled()]),
            gateway: schema,
            // The gateway refuses an operation that would run more searches than `serve` allows
            // (1,000 aliases of searchMovies) before planning it, as `serve`'s own subgraph does.
            // Only the search fields are measured: a backfill's batch of 100 movies selects
            // 800 fields of the other subgraphs, and that is the gateway's normal work.
            validationRules: options.search ? [operationCostRule(searchFieldsOf(options.search), { scope: 'searches' })] : [],
          })
        : new ApolloServer({
            // Cache-control hints are unused here, and the plugin wraps every field resolver to
            // collect them: about a sixth of the graph's CPU time (profiled with bench/probeFetch.ts).
            ...apolloServerOptions([ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginCacheControlDisabled(), faultSwitch(name as SubgraphName)]),
            schema,
          });
    servers.push(server);
    const { url } = await startStandaloneServer(server, { listen: { host: HOST, port } });
    return new URL('/graphql', url).toString();
  };

  try {
    const tables = {
      movies: store.table(MOVIES_TABLE, studio.movies),
      productions: store.table(PRODUCTIONS_TABLE, studio.productions),
      talent: store.table(TALENT_TABLE, studio.talent),
      credits: store.table(CREDITS_TABLE, studio.credits),
    };
    await store.ready();
    const subgraphUrls = {
      movies: await serve(moviesSubgraph(tables.movies), ports.movies, 'movies'),
      productions: await serve(productionsSubgraph(tables.productions), ports.productions, 'productions'),
      talent: await serve(talentSubgraph(tables), ports.talent, 'talent'),
    };
    const urls: Record<string, string> = { ...subgraphUrls };
    if (options.search) urls.search = await serve(options.search, ports.search);
    const supergraphSdl = composeSupergraph(
      (options.search ? DEMO_SUPERGRAPH_SUBGRAPHS : DEMO_SUBGRAPHS).map((subgraph) => ({ ...subgraph, url: urls[subgraph.name] as string })),
    );
    const gatewayUrl = await serve(
      new ApolloGateway({
        supergraphSdl,
        // Node's own fetch (undici) retires a pooled connection before the subgraph's 5 s
        // keep-alive timeout ends it; the gateway's default node-fetch agent reuses such sockets
        // and a request now and then fails with "socket hang up" / ECONNRESET.
        buildService: ({ url }) => new RemoteGraphQLDataSource({ url, fetcher: fetch }),
      }),
      ports.gateway,
    );
    return {
      gatewayUrl,
      subgraphUrls,
      supergraphSdl,
      topics,
      studioSize: {
        movies: studio.movies.length,
        productions: studio.productions.length,
        talent: studio.talent.length,
        credits: studio.credits.length,
      },
      setSubgraphDown: (name, isDown) => void (isDown ? down.add(name) : down.delete(name)),
      stop: () => stopAll(servers, store),
    };
  } catch (error) {
    await stopAll(servers, store);
    throw error;
  }
}

async function stopAll(servers: ApolloServer[], store: TeamStore): Promise<void> {
  // Gateway first (it was started last), so nothing calls a stopped subgraph.
  for (const server of [...servers].reverse()) await server.stop();
  await store.close();
}

/** The root fields of the search subgraph: each is one Elasticsearch search (its federation fields aside). */
function searchFieldsOf(search: GraphQLSchema): Set<string> {
  return new Set(Object.keys(search.getQueryType()?.getFields() ?? {}).filter((name) => !name.startsWith('_')));
}
