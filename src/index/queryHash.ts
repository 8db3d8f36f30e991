import { print } from 'graphql';
import type { QueryTemplate } from '../graph/validateQueryTemplate.ts';
import { stableHash } from './stableHash.ts';

/**
 * A hash of the query a version's documents were fetched with, as the graph reads it (printed:
 * comments and layout change nothing). Two configs with the same shape can still fetch other
 * values (an argument changed), so `apply` compares this too before it calls an index unchanged.
 */
export function queryHash(query: Pick<QueryTemplate, 'document'>): string {
  return stableHash(print(query.document));
}
