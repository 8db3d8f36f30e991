import { createHmac, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { estypes } from '@elastic/elasticsearch';
import { stableHash } from '../index/stableHash.ts';
import { SearchRequestError, type SearchRequest } from './searchRequest.ts';

/**
 * Where a page after the first continues: the point in time it reads (null after the first page:
 * the second opens one, see SearchService.search) and the last hit's sort values.
 */
export interface PagePosition {
  pit: string | null;
  after: estypes.SortResults;
}

/** How long a point in time, and so a cursor, lives after its last use. */
export const POINT_IN_TIME_KEEP_ALIVE = '2m';
export const POINT_IN_TIME_KEEP_ALIVE_MS = 120_000;

/**
 * The key cursors are signed with. Replicas behind one load balancer must share it
 * (FEDSEARCH_CURSOR_KEY, read by `serve`); otherwise each process makes its own, and its cursors
 * die with it — as its points in time would anyway.
 */
export function cursorKey(configured: string | undefined): Buffer {
  return configured ? Buffer.from(configured, 'utf8') : randomBytes(32);
}

interface Cursor extends PagePosition {
  /** The index and request it continues, so a cursor cannot be replayed elsewhere. */
  request: string;
  /** When it was issued (ms since the epoch): a cursor lives POINT_IN_TIME_KEEP_ALIVE after that. */
  issued: number;
}

/** How many request fingerprints a CursorSigner keeps, and of requests how long (JSON characters). */
const FINGERPRINTS = { entries: 256, maxLength: 2_000 } as const;

const NOT_OURS = 'cursor: not a cursor this service issued';
export const CURSOR_EXPIRED = `cursor: expired (a cursor lives ${POINT_IN_TIME_KEEP_ALIVE_MS / 60_000} minutes after its last use, and old ones are closed when many are open); search again without it`;

/**
 * Cursors are `<payload>.<HMAC-SHA256 of it>`, both base64url: a client can read its cursor but
 * not make one, so the point-in-time id and `search_after` values Elasticsearch sees are ones this
 * service handed out, for this index and this query.
 */
export class CursorSigner {
  private readonly key: KeyObject;
  /**
   * Fingerprints of recent requests, by their JSON as sent (cursor and size left out): the
   * canonical hash was most of what issuing a cursor cost, and the same searches come again.
   * Bounded: FINGERPRINTS.entries requests of at most FINGERPRINTS.maxLength, the oldest dropped first.
   */
  private readonly fingerprints = new Map<string, string>();

  constructor(
    key: Buffer,
    private readonly index: string,
    private readonly now: () => number = Date.now,
  ) {
    this.key = createSecretKey(key);
  }

  /** The opaque `cursor` a client passes back for the page after `position`. */
  encode(position: PagePosition, request: SearchRequest): string {
    const cursor: Cursor = { pit: position.pit, after: position.after, request: this.fingerprint(request), issued: this.now() };
    const payload = Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
    return `${payload}.${this.sign(payload)}`;
  }

  /**
   * The position a cursor names, or a SearchRequestError if this service did not issue it for this
   * index and request, or its values are not sort values (each a string, a finite number or null;
   * one per sort clause is checked against the body, see checkFitsSort), or it has expired.
   */
  decode(text: string, request: SearchRequest): PagePosition {
    const [payload, signature, extra] = text.split('.');
    if (payload === undefined || signature === undefined || extra !== undefined) throw new SearchRequestError(NOT_OURS, 'cursor');
    const expected = Buffer.from(this.sign(payload), 'utf8');
    const given = Buffer.from(signature, 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new SearchRequestError(NOT_OURS, 'cursor');
    let cursor: Cursor;
    try {
      cursor = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Cursor;
    } catch {
      throw new SearchRequestError(NOT_OURS, 'cursor');
    }
    if (cursor.request !== this.fingerprint(request)) throw new SearchRequestError('cursor: it belongs to another query, filter, selection or sort', 'cursor');
    const fits =
      (typeof cursor.pit === 'string' || cursor.pit === null) &&
      typeof cursor.issued === 'number' &&
      Array.isArray(cursor.after) &&
      cursor.after.every((value) => value === null || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)));
    if (!fits) throw new SearchRequestError(NOT_OURS, 'cursor');
    if (this.now() - cursor.issued > POINT_IN_TIME_KEEP_ALIVE_MS) throw new SearchRequestError(CURSOR_EXPIRED, 'cursor');
    return { pit: cursor.pit, after: cursor.after };
  }

  /** A SearchRequestError unless the position has one value per sort clause of the body. */
  static checkFitsSort(position: PagePosition, body: estypes.SearchRequest): void {
    const clauses = Array.isArray(body.sort) ? body.sort.length : body.sort === undefined ? 0 : 1;
    if (position.after.length !== clauses) throw new SearchRequestError(NOT_OURS, 'cursor');
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }

  /** Everything that decides which hits come in which order, and the index; not the page size or the cursor. */
  private fingerprint(request: SearchRequest): string {
    const text = JSON.stringify({ ...request, cursor: undefined, size: undefined });
    const known = this.fingerprints.get(text);
    if (known !== undefined) return known;
    const fingerprint = stableHash({ ...request, index: this.index, cursor: undefined, size: undefined });
    if (text.length <= FINGERPRINTS.maxLength) {
      if (this.fingerprints.size >= FINGERPRINTS.entries) this.fingerprints.delete(this.fingerprints.keys().next().value as string);
      this.fingerprints.set(text, fingerprint);
    }
    return fingerprint;
  }
}
