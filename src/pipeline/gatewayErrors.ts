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
  ) {
    super(message);
  }
}

/** One entry of a GraphQL answer's `errors`, as far as fedsearch reads it. */
export interface GraphQLResponseError {
  message?: unknown;
  path?: unknown;
  extensions?: Record<string, unknown>;
}

/** `message (at cast.0.talent; CODE from <subgraph url>)`: what an operator needs to find the cause. */
export function describeError(error: GraphQLResponseError, path: unknown): string {
  const message = typeof error.message === 'string' ? error.message : JSON.stringify(error);
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

/** Each error of an answer's `errors` (whatever it holds) described, with its path. */
export function errorMessages(errors: unknown): string[] {
  return Array.isArray(errors) ? errors.filter(isRecord).map((error) => describeError(error, error['path'])) : [];
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
