import type { estypes } from '@elastic/elasticsearch';
import type { DocumentField } from '../index/documentFields.ts';
import { compileFilter } from './compileFilter.ts';

type Query = estypes.QueryDslQueryContainer;

/**
 * Filters compiled per index and kept: a page's users send the same few filters again and again
 * (each facet click, each next page), and lexing and parsing one was a measurable part of a
 * search's CPU in `fedsearch serve`. Bounded so no stream of distinct filters grows it: at most
 * FILTER_CACHE.entries filters of at most FILTER_CACHE.maxLength characters per index, the least
 * recently used dropped first. A filter that does not compile is not kept (its FilterError is
 * thrown again, by a fresh compile, each time).
 */
export const FILTER_CACHE = { entries: 256, maxLength: 1_000 } as const;

const byIndex = new WeakMap<readonly DocumentField[], Map<string, Query>>();

/** compileFilter(text, fields), from the cache when this index compiled the same text before. The query is frozen: it is shared by every search that sends it. */
export function cachedFilter(text: string, fields: readonly DocumentField[]): Query {
  if (text.length > FILTER_CACHE.maxLength) return compileFilter(text, fields);
  let cache = byIndex.get(fields);
  if (!cache) byIndex.set(fields, (cache = new Map()));
  const hit = cache.get(text);
  if (hit) {
    // Map keeps insertion order: moving the hit to the end makes the first key the least recently used.
    cache.delete(text);
    cache.set(text, hit);
    return hit;
  }
  const query = deepFreeze(compileFilter(text, fields));
  if (cache.size >= FILTER_CACHE.entries) cache.delete(cache.keys().next().value as string);
  cache.set(text, query);
  return query;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
