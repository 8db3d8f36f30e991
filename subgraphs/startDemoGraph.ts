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
import { startFaultAdmin } from './faultAdmin.ts';
import { FaultSwitch, underFaultSwitch } from './faultSwitch.ts';
import { composeSupergraph, DEFAULT_PORTS, DEMO_SUBGRAPHS, DEMO_SUPERGRAPH_SUBGRAPHS } from './composeSupergraph.ts';
import { moviesSubgraph } from './movies/moviesSubgraph.ts';
import { productionsSubgraph } from './productions/productionsSubgraph.ts';
import { talentSubgraph } from './talent/talentSubgraph.ts';
import { buildSubgraph, type SubgraphModule } from './shared/subgraphModule.ts';
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
  /** Port of the fault switch's admin endpoint on loopback (faultAdmin.ts; 0: any free one); none when not given. */
  adminPort?: number;
  /**
   * The teams keep their rows in PostgreSQL at this server (`postgresql://user@host:port`, one
   * database per team) and publish nothing: changes are captured from the databases' log. Without
   * it they keep them in memory and publish an application event per mutation.
   */
  postgresUrl?: string;
  /** With `postgresUrl`: empty the databases and fill them with the studio again even when they hold it (and its changes since) already. */
  freshStudio?: boolean;
  /** fedsearch's search subgraph to add to the supergraph (served on `ports.search`). */
  search?: GraphQLSchema;
  /** Plugins of the gateway's server besides its own (a test reads the requests it receives). */
  gatewayPlugins?: ApolloServerPlugin[];
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
  /**
   * A team's redeploy: the subgraph's server stops and starts again on the same port with its
   * data, its schema without the `Type.field`s in `withoutFields` (none: as it was). The gateway
   * keeps its supergraph, as a production gateway does until the graph is recomposed, so a query
   * for a removed field reaches the subgraph and is refused there (GRAPHQL_VALIDATION_FAILED).
   */
  restartSubgraph(name: SubgraphName, options?: { withoutFields?: readonly string[] }): Promise<void>;
  /**
   * Fault injection: a share of each subgraph's entity resolutions answer with a GraphQL error
   * for a while (`faults.set('talent', 20, 60_000)`); the demo's admin endpoint (faultAdmin.ts) sets it.
   */
  faults: FaultSwitch;
  /** The fault switch's admin endpoint (`POST /faults`), when one was asked for. */
  adminUrl: string | null;
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
  let admin: { url: string; close(): Promise<void> } | null = null;
  const stopEverything = async (): Promise<void> => {
    await admin?.close();
    await stopAll(servers, store);
  };
  const down = new Set<SubgraphName>();
  const faults = new FaultSwitch();
  const faultSwitch = (name: SubgraphName): ApolloServerPlugin => ({
    async requestDidStart() {
      if (down.has(name)) throw new GraphQLError(`subgraph ${name} is down (fault injected)`, { extensions: { http: { status: 503 } } });
    },
  });
  const serve = async (schema: GraphQLSchema | ApolloGateway, port: number, name?: SubgraphName): Promise<string> => {
    const { server, url } = await startServer(schema, port, name);
    servers.push(server);
    return url;
  };
  const startServer = async (schema: GraphQLSchema | ApolloGateway, port: number, name?: SubgraphName): Promise<{ server: ApolloServer; url: string }> => {
    const server =
      schema instanceof ApolloGateway
        ? new ApolloServer({
            ...apolloServerOptions([ApolloServerPluginCacheControlDisabled(), ...(options.gatewayPlugins ?? [])]),
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
            schema: name === undefined ? schema : underFaultSwitch(schema, name, faults),
          });
    const { url } = await startStandaloneServer(server, { listen: { host: HOST, port } });
    return { server, url: new URL('/graphql', url).toString() };
  };

  try {
    const tables = {
      movies: store.table(MOVIES_TABLE, studio.movies),
      productions: store.table(PRODUCTIONS_TABLE, studio.productions),
      talent: store.table(TALENT_TABLE, studio.talent),
      credits: store.table(CREDITS_TABLE, studio.credits),
    };
    await store.ready();
    const modules: Record<SubgraphName, SubgraphModule> = {
      movies: moviesSubgraph(tables.movies),
      productions: productionsSubgraph(tables.productions),
      talent: talentSubgraph(tables),
    };
    const subgraphUrls = {
      movies: await serve(buildSubgraph(modules.movies), ports.movies, 'movies'),
      productions: await serve(buildSubgraph(modules.productions), ports.productions, 'productions'),
      talent: await serve(buildSubgraph(modules.talent), ports.talent, 'talent'),
    };
    const subgraphServers = new Map<SubgraphName, ApolloServer>(
      (['movies', 'productions', 'talent'] as const).map((name, at) => [name, servers[at] as ApolloServer]),
    );
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
    if (options.adminPort !== undefined) admin = await startFaultAdmin(faults, Object.keys(subgraphUrls), options.adminPort);
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
      async restartSubgraph(name, restart = {}) {
        const schema = buildSubgraph(modules[name], restart.withoutFields);
        const running = subgraphServers.get(name) as ApolloServer;
        await running.stop();
        const { server } = await startServer(schema, Number(new URL(subgraphUrls[name]).port), name);
        servers[servers.indexOf(running)] = server;
        subgraphServers.set(name, server);
      },
      faults,
      adminUrl: admin?.url ?? null,
      stop: stopEverything,
    };
  } catch (error) {
    await stopEverything();
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
