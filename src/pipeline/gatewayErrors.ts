import type { RetryReason } from '../retryPolicy.ts';

/**
 * A request that did not yield an answer to read; `retryReason` null means retrying cannot help.
 * `scope` says whether the graph failed the whole request (an outage: wait it out) or only
 * some entities in it (retried `retries` times, then dead-lettered).
 */
export class GatewayRequestError extends Error {
  constructor(
    message: string,
    readonly retryReason: RetryReason | null,
    readonly scope: 'request' | 'entity' = 'request',
    /** Set when the graph refused the query itself (it no longer validates): the pipeline pauses instead of retrying or dead-lettering. */
    readonly schemaRejection: SchemaRejection | null = null,
  ) {
    super(message);
  }
}

/**
 * The graph refused the query itself: it no longer validates, at the gateway (a recomposed graph
 * without a field the query selects) or at a subgraph the gateway still plans for (a subgraph
 * redeployed without it, before the gateway's supergraph follows). Retrying cannot help and
 * dead-lettering would drop every change until someone replays: the pipeline pauses instead.
 */
export interface SchemaRejection {
  /** The error as described for an operator, the subgraph's own message included. */
  message: string;
  /** `Talent.name` when the message names one field (`Cannot query field "name" on type "Talent"`); else null. */
  field: string | null;
  /** The URL of the subgraph that refused it (from the gateway's error), null when the gateway itself refused. */
  subgraphUrl: string | null;
}

/** One entry of a GraphQL answer's `errors`, as far as fedsearch reads it. */
export interface GraphQLResponseError {
  message?: unknown;
  path?: unknown;
  extensions?: Record<string, unknown>;
}

/**
 * `message: the subgraph's own errors (at cast.0.talent; CODE from <subgraph url>)`: what an
 * operator needs to find the cause. A gateway reports a subgraph's refusal as `400: Bad Request`
 * and keeps the subgraph's answer in `extensions.response.body`: its messages are the cause.
 */
export function describeError(error: GraphQLResponseError, path: unknown): string {
  const own = typeof error.message === 'string' ? error.message : JSON.stringify(error);
  const nested = subgraphErrors(error).flatMap((inner) => (typeof inner['message'] === 'string' ? [inner['message']] : []));
  const message = nested.length > 0 ? `${own}: ${nested.join('; ')}` : own;
  const details: string[] = [];
  if (Array.isArray(path) && path.length > 0) details.push(`at ${path.join('.')}`);
  const code = error.extensions?.['code'];
  const serviceName = error.extensions?.['serviceName'];
  const response = error.extensions?.['response'];
  const subgraph = typeof serviceName === 'string' ? serviceName : isRecord(response) && typeof response['url'] === 'string' ? response['url'] : null;
  if (typeof code === 'string') details.push(subgraph ? `${code} from ${subgraph}` : code);
  else if (subgraph) details.push(`from ${subgraph}`);
  return details.length > 0 ? `${message} (${details.join('; ')})` : message;
}

/** The errors of the subgraph answer a gateway error carries (`extensions.response.body.errors`), if any. */
export function subgraphErrors(error: GraphQLResponseError): Array<Record<string, unknown>> {
  const response = error.extensions?.['response'];
  const body = isRecord(response) ? response['body'] : undefined;
  const errors = isRecord(body) ? body['errors'] : undefined;
  return Array.isArray(errors) ? errors.filter(isRecord) : [];
}

/** Each error of an answer's `errors` (whatever it holds) described, with its path. */
export function errorMessages(errors: unknown): string[] {
  return Array.isArray(errors) ? errors.filter(isRecord).map((error) => describeError(error, error['path'])) : [];
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
