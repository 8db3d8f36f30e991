import type { ResponsePathOwners } from '../graph/responsePathOwners.ts';
import type { GraphQLResponseError } from './gatewayErrors.ts';

/**
 * Whose a fetch error is: the subgraph (the team to call), where in the document, and the code.
 * `path` is the error's path below the document (`cast.0.talent`, '' for the whole entity).
 */
export interface Attribution {
  subgraph: string;
  path: string;
  code: string;
}

/**
 * The label of what no subgraph can be named for: the gateway failing a whole request (a timeout,
 * HTTP 5xx, an error of its own without a path), or a request whose subgraphs are not known.
 */
export const GATEWAY = '(gateway)';

/** The code of a GraphQL error that carries none. */
export const NO_CODE = 'GRAPHQL_ERROR';

/**
 * One GraphQL error of the gateway's answer attributed: the subgraph the gateway names
 * (`extensions.serviceName` from Apollo Gateway, `extensions.service` from Apollo Router), else
 * the owner of the error's path in the query plan, else the gateway. `entityPath` is the error's
 * path below the entity's alias; null for an error of no entity (the gateway's own, for the request).
 */
export function attributeError(error: GraphQLResponseError, entityPath: readonly unknown[] | null, owners: ResponsePathOwners): Attribution {
  const extensions = error.extensions ?? {};
  const named = [extensions['serviceName'], extensions['service']].find((value): value is string => typeof value === 'string' && value !== '');
  const subgraph = named ?? (entityPath === null ? null : owners.ownerOf(entityPath)) ?? GATEWAY;
  const code = typeof extensions['code'] === 'string' && extensions['code'] !== '' ? extensions['code'] : NO_CODE;
  return { subgraph, path: (entityPath ?? []).map(String).join('.'), code };
}

/** A whole request failing without a GraphQL answer (timeout, network, HTTP status): the gateway's, by its reason. */
export function requestFailure(code: string): Attribution {
  return { subgraph: GATEWAY, path: '', code };
}

/** Whom one gateway request's latency is attributed to: the one subgraph the template reaches, else the gateway. */
export function latencySubgraph(owners: ResponsePathOwners): string {
  return owners.subgraphs.length === 1 ? (owners.subgraphs[0] as string) : GATEWAY;
}
