import { decodeId, encodeId, idOfDocument, type KeyPart } from '../graph/entityKey.ts';
import type { BatchedQuery } from './batchedQuery.ts';
import { describeError, isRecord } from './gatewayErrors.ts';
import type { GatewayReply } from './gatewayTransport.ts';

/**
 * What the gateway said about one entity. `version` is when the request that answered was sent
 * (µs, see fetchVersion); a missing entity is one the graph no longer has (→ delete).
 */
export type FetchResult =
  | { kind: 'found'; document: Record<string, unknown>; version: number }
  | { kind: 'missing'; version: number }
  | { kind: 'failed'; reason: string };

/** One gateway answer read entity by entity. */
export interface ReadAnswer {
  settled: Map<string, FetchResult>;
  /** Ids with GraphQL errors of their own, and why. */
  failedEntities: Map<string, string>;
  /** Errors not attributable to one entity: the whole request is untrustworthy. */
  requestErrors: string[];
}

/**
 * Splits an answer by entity. An error whose path starts at an alias belongs to that entity (its
 * document may be partial, so it is not used); any other error taints the whole answer, because
 * the gateway reports a failed subgraph fetch without a path and nulls the entities it could not
 * fill, which must not read as deletions. `version`: when the request was sent.
 */
export function readAnswer(answer: GatewayReply, version: number, batch: Pick<BatchedQuery, 'responseKey'>, ids: readonly string[], key: readonly KeyPart[]): ReadAnswer {
  const indexByKey = new Map(ids.map((_, index) => [batch.responseKey(index), index]));
  const byEntity = new Map<number, string[]>();
  const requestErrors: string[] = [];
  for (const error of answer.errors) {
    const [first, ...rest] = Array.isArray(error.path) ? error.path : [];
    const index = typeof first === 'string' ? indexByKey.get(first) : undefined;
    if (index === undefined) requestErrors.push(describeError(error, error.path));
    else byEntity.set(index, [...(byEntity.get(index) ?? []), describeError(error, rest)]);
  }

  const settled = new Map<string, FetchResult>();
  const failedEntities = new Map<string, string>();
  if (requestErrors.length > 0) return { settled, failedEntities, requestErrors };
  for (const [index, id] of ids.entries()) {
    const messages = byEntity.get(index);
    const value = answer.data[batch.responseKey(index)];
    if (messages) failedEntities.set(id, `gateway returned GraphQL errors for ${id}: ${messages.join('; ')}`);
    else if (value === null || answer.missing.has(id)) settled.set(id, { kind: 'missing', version });
    else if (isRecord(value)) settled.set(id, answeredFor(id, value, key, version));
    else failedEntities.set(id, `gateway answer has no ${batch.responseKey(index)} for ${id}`);
  }
  return { settled, failedEntities, requestErrors };
}

/**
 * The document, unless the graph answered with another entity than the one asked for (a resolver
 * that ignores its argument): indexed under the asked id it would put one entity's data under
 * two ids, so it fails, with both ids named, and goes to the dead-letter topic. Checked when the
 * query selects the key fields (`movie(movieId: $id) { movieId … }`; always for a fetch by key).
 */
function answeredFor(id: string, document: Record<string, unknown>, key: readonly KeyPart[], version: number): FetchResult {
  const answered = idOfDocument(key, document);
  const asked = decodeId(key, id);
  const canonical = 'values' in asked ? encodeId(key, asked.values) : id;
  if (answered !== null && answered !== canonical) {
    const fields = key.map((part) => part.documentPath).join(', ');
    return { kind: 'failed', reason: `the graph returned another entity (asked for ${fields} ${canonical}, got ${answered})` };
  }
  return { kind: 'found', document, version };
}
