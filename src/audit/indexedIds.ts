import type { Client } from '@elastic/elasticsearch';
import { pointInTimePages } from '../clients/pointInTimePages.ts';

/** Every document id behind the alias, read through a point in time (consistent while writes go on). */
export async function indexedIds(client: Client, alias: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const page of pointInTimePages(client, { index: alias, pageSize: 5_000, keepAlive: '2m' })) {
    for (const id of page) ids.add(id);
  }
  return ids;
}
