import type { estypes } from '@elastic/elasticsearch';
import { pointInTimePages, type PointInTimeClient } from '../clients/pointInTimePages.ts';
import { decodeId, type KeyPart } from '../graph/entityKey.ts';

/** The Elasticsearch calls a reverse lookup makes; a Client is one, and a test can pass a fake. */
export type LookupClient = PointInTimeClient;

export interface LookupTarget {
  /** The alias to search. */
  index: string;
  /**
   * Exact (keyword) fields holding the related entity's key, one per key field in `key` order:
   * `cast.talent.talentId`; `items.sku`, `items.package` for a composite key.
   */
  fields: string[];
  /** The nested object the fields live in, e.g. `cast`; null for plain fields. */
  nestedPath: string | null;
  /** The related entity's key, to read a composite id's fields (entityKey.ts). */
  key: readonly KeyPart[];
}

const PAGE_SIZE = 1_000;

/**
 * The primary ids of every document that references any of `relatedIds` — found in the index
 * itself. One query answers the common case; a larger fan-out is paged through a point in time
 * with search_after, so it is complete even while documents are being written.
 */
export async function reverseLookup(client: LookupClient, target: LookupTarget, relatedIds: readonly string[]): Promise<string[]> {
  if (relatedIds.length === 0) return [];
  const query = lookupQuery(target, relatedIds);
  if (query === null) return [];

  const first = await client.search({ index: target.index, query, _source: false, size: PAGE_SIZE, track_total_hits: true });
  const total = typeof first.hits.total === 'number' ? first.hits.total : (first.hits.total?.value ?? 0);
  if (total <= first.hits.hits.length) return first.hits.hits.map((hit) => hit._id as string);

  const ids: string[] = [];
  for await (const page of pointInTimePages(client, { index: target.index, query, pageSize: PAGE_SIZE, keepAlive: '1m' })) ids.push(...page);
  return ids;
}

/**
 * The documents referencing any of the ids: a `terms` query on the one field of a one-field key;
 * for a composite key, every field matched in the same object (inside its nested object when it
 * has one; an id that is not of the key matches nothing). Null when no id can match.
 */
export function lookupQuery(target: Pick<LookupTarget, 'fields' | 'nestedPath' | 'key'>, relatedIds: readonly string[]): estypes.QueryDslQueryContainer | null {
  let query: estypes.QueryDslQueryContainer;
  const [only] = target.fields;
  if (target.fields.length === 1 && only !== undefined) query = { terms: { [only]: [...relatedIds] } };
  else {
    const should = relatedIds.flatMap((id): estypes.QueryDslQueryContainer[] => {
      const decoded = decodeId(target.key, id);
      if (!('values' in decoded)) return [];
      return [{ bool: { filter: target.fields.map((field, index) => ({ term: { [field]: decoded.values[index] as string | number } })) } }];
    });
    if (should.length === 0) return null;
    query = { bool: { should, minimum_should_match: 1 } };
  }
  return target.nestedPath ? { nested: { path: target.nestedPath, query } } : query;
}
