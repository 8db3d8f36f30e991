/** How `backfill.query` pages, by the variables it declares. */
export type Paging = 'cursor' | 'offset' | 'single';

/** `$after` (a Relay connection), `$offset` (an offset list), or neither (one list, one page). */
export function pagingOf(query: string): Paging {
  if (/\$after\b/.test(query)) return 'cursor';
  if (/\$offset\b/.test(query)) return 'offset';
  return 'single';
}
