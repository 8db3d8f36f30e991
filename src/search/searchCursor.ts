import type { estypes } from '@elastic/elasticsearch';
import { stableHash } from '../index/stableHash.ts';
import { SearchRequestError, type SearchRequest } from './searchRequest.ts';

/** Where a page after the first continues: the point in time it reads and the last hit's sort values. */
export interface PagePosition {
  pit: string;
  after: estypes.SortResults;
}

/** How long a point in time, and so a cursor, lives after its last use. */
export const POINT_IN_TIME_KEEP_ALIVE = '2m';

interface Cursor extends PagePosition {
  /** The request it continues, so a cursor cannot be replayed against another query. */
  request: string;
}

/** The opaque `cursor` a client passes back for the page after `position`. */
export function encodeCursor(position: PagePosition, request: SearchRequest): string {
  const cursor: Cursor = { pit: position.pit, after: position.after, request: fingerprint(request) };
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

/** The position a cursor names, or a SearchRequestError if this service did not issue it for this request. */
export function decodeCursor(text: string, request: SearchRequest): PagePosition {
  let cursor: Cursor;
  try {
    cursor = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor;
  } catch {
    throw new SearchRequestError('cursor: not a cursor this service issued', 'cursor');
  }
  if (typeof cursor?.pit !== 'string' || !Array.isArray(cursor.after)) throw new SearchRequestError('cursor: not a cursor this service issued', 'cursor');
  if (cursor.request !== fingerprint(request)) throw new SearchRequestError('cursor: it belongs to another query, filter, selection or sort', 'cursor');
  return { pit: cursor.pit, after: cursor.after };
}

/** Everything that decides which hits come in which order; the page size and the cursor do not. */
function fingerprint(request: SearchRequest): string {
  return stableHash({ ...request, cursor: undefined, size: undefined });
}
