import { ApolloGateway, LocalGraphQLDataSource, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { traceHeaders } from '../tracing/traces.ts';
import { ApolloServer } from '@apollo/server';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { apolloServerOptions } from '../apolloServerOptions.ts';
import type { GatewaySettings } from '../config/indexConfig.ts';
import { idOfDocument } from './entityKey.ts';
import { ENTRY_SUBGRAPH, entityReference, type FetchByKeyPlan } from './fetchByKey.ts';

/** What the in-process gateway answered for one operation, as a remote gateway's JSON body would read. */
export interface FetchByKeyAnswer {
  body: { data?: Record<string, unknown> | null; errors?: ReadonlyArray<Record<string, unknown>> };
  /**
   * Ids some subgraph asked about by reference answered null for (`_entities` → null): to
   * Federation that is the subgraph saying it has no such entity, as a root field's null is. The
   * gateway itself does not say so — it keeps the reference fedsearch started from and nulls only
   * the fields it could not fill (unless one is non-null) — so the answers are watched on the way in.
   */
  missing: Set<string>;
  /** Each subgraph request the operation made, and how long it took. */
  subgraphFetches: Array<{ subgraph: string; ms: number }>;
}

/** Per operation: the ids some subgraph answered null for, and the subgraph requests made. */
interface ReferenceTally {
  nulls: Set<string>;
  fetches: Array<{ subgraph: string; ms: number }>;
}

interface FetchContext extends Record<string, unknown> {
  tally: ReferenceTally;
}

/**
 * An `@apollo/gateway` in this process, over the user's subgraphs (at the supergraph's URLs, or
 * the config's `gateway.subgraphs` overrides, with their headers) and fedsearch's entry subgraph,
 * which answers `_fedsearch_<Type>(<key>)` with a reference. It executes the batched operations
 * the fetcher builds; the fetcher reads the answers as it reads a remote gateway's.
 */
export class FetchByKeyGateway {
  private constructor(
    private readonly server: ApolloServer<FetchContext>,
    private readonly plan: FetchByKeyPlan,
  ) {}

  static async start(plan: FetchByKeyPlan, settings: GatewaySettings): Promise<FetchByKeyGateway> {
    const entrySchema = buildSubgraphSchema({
      typeDefs: parse(plan.entrySdl),
      resolvers: { Query: { [plan.entryField]: (_: unknown, args: Record<string, unknown>) => entityReference(plan, args) } },
    });
    const gateway = new ApolloGateway({
      supergraphSdl: plan.supergraphSdl,
      buildService: ({ name, url }) => {
        if (name === ENTRY_SUBGRAPH) return new LocalGraphQLDataSource(entrySchema);
        const override = settings.subgraphs[name];
        return new ReferenceWatchingDataSource(name, plan, override?.url ?? (url as string), { ...settings.headers, ...override?.headers }, settings.timeoutMs);
      },
    });
    const server = new ApolloServer<FetchContext>({ ...apolloServerOptions(), gateway });
    await server.start();
    return new FetchByKeyGateway(server, plan);
  }

  async execute(query: string, variables: Record<string, unknown>): Promise<FetchByKeyAnswer> {
    const tally: ReferenceTally = { nulls: new Set(), fetches: [] };
    const response = await this.server.executeOperation({ query, variables }, { contextValue: { tally } });
    if (response.body.kind !== 'single') throw new Error(`the gateway answered ${this.plan.typeName} with an incremental response`);
    const { data, errors } = response.body.singleResult;
    return {
      body: { data: data ?? null, ...(errors ? { errors: errors as unknown as Array<Record<string, unknown>> } : {}) },
      missing: tally.nulls,
      subgraphFetches: tally.fetches,
    };
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }
}

/** A subgraph over HTTP that notes the ids of the indexed type it answered null for, and how long each request took. */
class ReferenceWatchingDataSource extends RemoteGraphQLDataSource<FetchContext> {
  constructor(
    private readonly subgraph: string,
    private readonly plan: FetchByKeyPlan,
    url: string,
    private readonly headers: Record<string, string>,
    timeoutMs: number,
  ) {
    super({ url, fetcher: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) }) });
  }

  override async process(options: GraphQLDataSourceProcessOptions<FetchContext>): ReturnType<RemoteGraphQLDataSource<FetchContext>['process']> {
    const started = performance.now();
    try {
      return await super.process(options);
    } finally {
      // A health check has no operation's context to report to.
      const tally = 'context' in options ? (options.context as Partial<FetchContext>).tally : undefined;
      tally?.fetches.push({ subgraph: this.subgraph, ms: performance.now() - started });
    }
  }

  override willSendRequest({ request }: GraphQLDataSourceProcessOptions<FetchContext>): void {
    for (const [name, value] of Object.entries(this.headers)) request.http?.headers.set(name, value);
    // The trace context of the span active here (Apollo's fetch span under fedsearch's, when traces are on).
    for (const [name, value] of Object.entries(traceHeaders())) request.http?.headers.set(name, value);
  }

  override didReceiveResponse({ request, response, context }: Parameters<NonNullable<RemoteGraphQLDataSource<FetchContext>['didReceiveResponse']>>[0]): typeof response {
    const representations = request.variables?.['representations'];
    const entities = (response.data as { _entities?: unknown } | null | undefined)?._entities;
    if (!Array.isArray(representations) || !Array.isArray(entities) || !context.tally) return response;
    for (const [index, representation] of representations.entries()) {
      if (representation?.__typename !== this.plan.typeName) continue;
      const id = idOfDocument(this.plan.key, representation as Record<string, unknown>);
      if (id !== null && entities[index] === null) context.tally.nulls.add(id);
    }
    return response;
  }
}
