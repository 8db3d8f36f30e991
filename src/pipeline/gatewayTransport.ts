import type { GraphQLResponseError } from './gatewayErrors.ts';

/** What the graph answered to one request: its data, its errors, and what it said it does not have. */
export interface GatewayReply {
  data: Record<string, unknown>;
  errors: GraphQLResponseError[];
  /** Ids the graph said it does not have although their alias holds a value (fetch by key: the reference fedsearch started from). */
  missing: ReadonlySet<string>;
  /** Each subgraph request made for it and how long it took, when the transport saw them (a fetch by key plans them itself). */
  subgraphFetches?: ReadonlyArray<{ subgraph: string; ms: number }>;
}

/**
 * How a GraphQL request reaches the graph: over HTTP to the gateway (httpGatewayTransport.ts) or
 * planned in this process against the subgraphs (fetchByKeyTransport.ts). `send` resolves only
 * with data; anything else is a GatewayRequestError saying whether retrying can help.
 */
export interface GatewayTransport {
  send(query: string, variables: Record<string, unknown>): Promise<GatewayReply>;
  close(): Promise<void>;
}
