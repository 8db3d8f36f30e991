import {
  buildClientSchema,
  buildSchema,
  getIntrospectionQuery,
  type GraphQLSchema,
  type IntrospectionQuery,
} from 'graphql';
import { InfrastructureError, UserError } from '../errors.ts';
import { readUserTextFile, SCHEMA_FILE } from '../readUserFile.ts';
import { redactUrl, redactUrlsIn } from '../redactUrl.ts';
import type { GatewaySettings } from '../config/indexConfig.ts';
import { federationInternals } from './federationLibraries.ts';
import { isSupergraphSdl, supergraphFromSdl, type SupergraphSource } from './supergraph.ts';

export type SchemaSource = { schemaFile: string } | { gateway: GatewaySettings };

/** The graph an index is checked against: the schema its clients see, and the supergraph when one is known. */
export interface LoadedGraph {
  schema: GraphQLSchema;
  /** The composed supergraph (from `--schema`, or `gateway.supergraph`), which fetching by @key needs. */
  supergraph: SupergraphSource | null;
}

/**
 * The schema clients of the gateway see. From an SDL file (a composed supergraph is reduced to
 * its API schema, so join__ types never leak into documents), from the config's
 * `gateway.supergraph`, or by introspecting the gateway.
 */
export async function loadGraph(source: SchemaSource): Promise<LoadedGraph> {
  if ('schemaFile' in source) return graphFromFile(source.schemaFile);
  if (source.gateway.supergraph !== null) return graphFromFile(source.gateway.supergraph);
  if (source.gateway.url === null) throw new UserError('gateway.url or gateway.supergraph is needed to read the graph\'s schema');
  return { schema: await introspectGateway({ ...source.gateway, url: source.gateway.url }), supergraph: null };
}

/** loadGraph's schema alone, for tools and tests that never fetch by key. */
export async function loadGraphSchema(source: SchemaSource): Promise<GraphQLSchema> {
  return (await loadGraph(source)).schema;
}

function graphFromFile(file: string): LoadedGraph {
  const sdl = readUserTextFile(file, SCHEMA_FILE);
  if (isSupergraphSdl(sdl)) {
    const supergraph = supergraphFromSdl(sdl, file);
    try {
      return { schema: supergraphApiSchema(sdl), supergraph };
    } catch (error) {
      throw new UserError(`${file} is not a valid supergraph: ${(error as Error).message}`);
    }
  }
  try {
    return { schema: buildSchema(sdl), supergraph: null };
  } catch (error) {
    throw new UserError(`${file} is not a valid GraphQL schema: ${(error as Error).message}`);
  }
}

/** The schema a gateway serving this composed supergraph shows its clients (no join__ machinery). */
export function supergraphApiSchema(supergraphSdl: string): GraphQLSchema {
  // Printed and rebuilt with our own graphql: federation-internals may load another copy of
  // graphql-js (CJS vs ESM), and a schema from another copy fails graphql's instanceof checks.
  const { printSchema, Supergraph } = federationInternals();
  return buildSchema(printSchema(Supergraph.build(supergraphSdl).apiSchema()));
}

async function introspectGateway(gateway: { url: string; headers: Record<string, string>; timeoutMs: number }): Promise<GraphQLSchema> {
  let response: Response;
  try {
    response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...gateway.headers },
      body: JSON.stringify({ query: getIntrospectionQuery() }),
      signal: AbortSignal.timeout(gateway.timeoutMs),
    });
  } catch (error) {
    throw new InfrastructureError(
      `cannot reach the gateway at ${redactUrl(gateway.url)} to read its schema (${redactUrlsIn((error as Error).message)}). ` +
        'Is it running? Or pass --schema <SDL file> to work offline.',
    );
  }
  const body = (await response.json().catch(() => ({}))) as { data?: IntrospectionQuery; errors?: Array<{ message: string }> };
  if (!response.ok || !body.data) {
    const detail = body.errors?.map((e) => e.message).join('; ') ?? `HTTP ${response.status}`;
    throw new InfrastructureError(`the gateway at ${redactUrl(gateway.url)} did not answer introspection: ${redactUrlsIn(detail)}`);
  }
  return buildClientSchema(body.data);
}
