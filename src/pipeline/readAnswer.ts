import { decodeId, encodeId, idOfDocument, type KeyPart } from '../graph/entityKey.ts';
import type { ResponsePathOwners } from '../graph/responsePathOwners.ts';
import type { BatchedQuery } from './batchedQuery.ts';
import { describeError, isRecord } from './gatewayErrors.ts';
import type { GatewayReply } from './gatewayTransport.ts';
import { attributeError, GATEWAY, type Attribution } from './subgraphAttribution.ts';

/**
 * What the gateway said about one entity. `version` is when the request that answered was sent
 * (µs, see fetchVersion); a missing entity is one the graph no longer has (→ delete).
 */
export type FetchResult =
  | { kind: 'found'; document: Record<string, unknown>; version: number }
  /** `subgraph`: the one that answered the entity's root field, when known (see ENTITY_NULL in enrichSteps.ts). */
  | { kind: 'missing'; version: number; subgraph?: string }
  | { kind: 'failed'; reason: string; fault?: Attribution };

/** One gateway answer read entity by entity. */
export interface ReadAnswer {
  settled: Map<string, FetchResult>;
  /** Ids with GraphQL errors of their own, why, and whose the first error is. */
  failedEntities: Map<string, { reason: string; fault: Attribution }>;
  /** Errors not attributable to one entity: the whole request is untrustworthy. */
  requestErrors: string[];
  /** Every GraphQL error of the answer, attributed to a subgraph. */
  faults: Attribution[];
}

/**
 * Splits an answer by entity. An error whose path starts at an alias belongs to that entity (its
 * document may be partial, so it is not used); any other error taints the whole answer, because
 * the gateway reports a failed subgraph fetch without a path and nulls the entities it could not
 * fill, which must not read as deletions. `version`: when the request was sent.
 */
export function readAnswer(
  answer: GatewayReply,
  version: number,
  batch: Pick<BatchedQuery, 'responseKey'>,
  ids: readonly string[],
  key: readonly KeyPart[],
  owners: ResponsePathOwners,
): ReadAnswer {
  const indexByKey = new Map(ids.map((_, index) => [batch.responseKey(index), index]));
  const byEntity = new Map<number, { messages: string[]; fault: Attribution }>();
  const requestErrors: string[] = [];
  const faults: Attribution[] = [];
  for (const error of answer.errors) {
    const [first, ...rest] = Array.isArray(error.path) ? error.path : [];
    const index = typeof first === 'string' ? indexByKey.get(first) : undefined;
    const fault = attributeError(error, index === undefined ? null : rest, owners);
    faults.push(fault);
    if (index === undefined) {
      requestErrors.push(describeError(error, error.path));
      continue;
    }
    const entity = byEntity.get(index) ?? { messages: [], fault };
    entity.messages.push(describeError(error, rest));
    byEntity.set(index, entity);
  }

  const settled = new Map<string, FetchResult>();
  const failedEntities: ReadAnswer['failedEntities'] = new Map();
  if (requestErrors.length > 0) return { settled, failedEntities, requestErrors, faults };
  for (const [index, id] of ids.entries()) {
    const entity = byEntity.get(index);
    const value = answer.data[batch.responseKey(index)];
    if (entity) failedEntities.set(id, { reason: `gateway returned GraphQL errors for ${id}: ${entity.messages.join('; ')}`, fault: entity.fault });
    else if (value === null || answer.missing.has(id)) settled.set(id, { kind: 'missing', version, subgraph: owners.ownerOf([]) ?? GATEWAY });
    else if (isRecord(value)) settled.set(id, answeredFor(id, value, key, version, owners));
    else failedEntities.set(id, { reason: `gateway answer has no ${batch.responseKey(index)} for ${id}`, fault: { subgraph: GATEWAY, path: '', code: 'NO_VALUE' } });
  }
  return { settled, failedEntities, requestErrors, faults };
}

/**
 * The document, unless the graph answered with another entity than the one asked for (a resolver
 * that ignores its argument): indexed under the asked id it would put one entity's data under
 * two ids, so it fails, with both ids named, and goes to the dead-letter topic. Checked when the
 * query selects the key fields (`movie(movieId: $id) { movieId … }`; always for a fetch by key).
 */
function answeredFor(id: string, document: Record<string, unknown>, key: readonly KeyPart[], version: number, owners: ResponsePathOwners): FetchResult {
  const answered = idOfDocument(key, document);
  const asked = decodeId(key, id);
  const canonical = 'values' in asked ? encodeId(key, asked.values) : id;
  if (answered !== null && answered !== canonical) {
    const fields = key.map((part) => part.documentPath).join(', ');
    return {
      kind: 'failed',
      reason: `the graph returned another entity (asked for ${fields} ${canonical}, got ${answered})`,
      fault: { subgraph: owners.ownerOf([]) ?? GATEWAY, path: '', code: 'WRONG_ENTITY' },
    };
  }
  return { kind: 'found', document, version };
}
