import type { Client } from '@elastic/elasticsearch';

/** A person and how many indexed movies credit them (renaming them touches each of those). */
export interface CreditedTalent {
  talentId: string;
  movies: number;
}

/** The `count` people credited in the most movies of the demo graph's movies index (test/ and bench/ both use it). */
export async function creditedTalents(es: Client, index: string, count: number): Promise<CreditedTalent[]> {
  const answer = await es.search({
    index,
    size: 0,
    aggs: { cast: { nested: { path: 'cast' }, aggs: { talent: { terms: { field: 'cast.talent.talentId', size: count }, aggs: { movies: { reverse_nested: {} } } } } } },
  });
  const buckets = (answer.aggregations as { cast: { talent: { buckets: Array<{ key: string; movies: { doc_count: number } }> } } }).cast.talent.buckets;
  return buckets.map((bucket) => ({ talentId: bucket.key, movies: bucket.movies.doc_count }));
}
