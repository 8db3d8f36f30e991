import type { estypes } from '@elastic/elasticsearch';
import { SearchBusyError } from './searchAdmission.ts';
import { POINT_IN_TIME_KEEP_ALIVE, POINT_IN_TIME_KEEP_ALIVE_MS } from './searchCursor.ts';
import { wakeOrAbort } from './wakeOrAbort.ts';

/** Default cap on the points in time one service keeps open for one index. */
export const MAX_OPEN_POINTS_IN_TIME = 100;

interface PointInTimeClient {
  openPointInTime(request: estypes.OpenPointInTimeRequest): Promise<estypes.OpenPointInTimeResponse>;
  closePointInTime(request: estypes.ClosePointInTimeRequest): Promise<estypes.ClosePointInTimeResponse>;
}

/**
 * The points in time this service opened for paging, so none is left behind: a scroll's point in
 * time is closed on its last page; at most `max` exist at once (opening one more closes the least
 * recently used, whose cursor then answers "expired"); one unused for its keep-alive has expired in
 * Elasticsearch and is forgotten here. Each costs the cluster a search context that pins segments,
 * so any client paging without end must not be able to hold thousands.
 *
 * The cap counts every point in time Elasticsearch may hold for this service: open ones, ones
 * being opened, and ones being closed until Elasticsearch acknowledges it. An open takes its slot
 * before it awaits anything, so concurrent opens cannot all see room for themselves (50 page-2
 * requests replaying one cursor once opened 50 past the cap).
 *
 * A point in time a search is reading (from open() until done(), or reading() until done()) is
 * not closed to make room: Elasticsearch would keep its context until that search let go of it,
 * past the cap, and the search that had just opened it would answer "expired" to a client whose
 * cursor was fresh. An open that finds every slot being read waits for a search to finish.
 */
export class PointsInTime {
  /** Open ids, least recently used first (a Map keeps insertion order), with their last use. */
  private readonly lastUse = new Map<string, number>();
  /** Opens sent to Elasticsearch and not answered yet. */
  private opening = 0;
  /** Closes sent to Elasticsearch and not answered yet. */
  private readonly closing = new Set<Promise<void>>();
  /** Open ids searches are reading now, with how many searches read each. */
  private readonly reads = new Map<string, number>();
  /** Opens waiting for a search to finish reading (every slot was being read). */
  private readWaiters: Array<() => void> = [];

  constructor(
    private readonly client: PointInTimeClient,
    private readonly index: string,
    private readonly max = MAX_OPEN_POINTS_IN_TIME,
    private readonly now: () => number = Date.now,
  ) {}

  /** Points in time open for cursors (not counting ones being opened or closed). */
  get size(): number {
    this.dropExpired();
    return this.lastUse.size;
  }

  /** Every point in time Elasticsearch may hold for this service now: what the cap bounds. */
  private get held(): number {
    return this.lastUse.size + this.opening + this.closing.size;
  }

  /**
   * A new point in time for the second page of a search (see SearchService.search), returned as
   * being read: the caller calls done(id) once its search is answered. At the cap it first closes
   * the least recently used one no search is reading and waits for Elasticsearch to free it, or
   * waits for a search to finish reading; a SearchBusyError when every slot is taken by opens still
   * under way. `signal` (the caller's deadline) ends the wait, and nothing is opened after it.
   */
  async open(signal?: AbortSignal): Promise<string> {
    this.dropExpired();
    while (this.held >= this.max) {
      const idle = this.leastRecentlyUsedUnread();
      if (idle !== undefined) await this.close(idle);
      else if (this.closing.size > 0) await Promise.race(this.closing);
      else if (this.reads.size > 0) await this.readFinished(signal);
      else throw new SearchBusyError(`the search service is busy: ${this.max} points in time of ${this.index} are being opened at once; try again shortly`);
      this.dropExpired();
    }
    signal?.throwIfAborted();
    this.opening++;
    try {
      const { id } = await this.client.openPointInTime({ index: this.index, keep_alive: POINT_IN_TIME_KEEP_ALIVE });
      this.lastUse.set(id, this.now());
      this.reading(id);
      return id;
    } finally {
      this.opening--;
    }
  }

  /**
   * A search is about to read `id` (a later page's cursor): it is not closed to make room until
   * done(id). A use: it becomes the most recently used (reading extends its keep-alive in
   * Elasticsearch, so it is not dropped here as expired meanwhile).
   */
  reading(id: string): void {
    if (!this.lastUse.delete(id)) return;
    this.lastUse.set(id, this.now());
    this.reads.set(id, (this.reads.get(id) ?? 0) + 1);
  }

  /** The search that read `id` (see open() and reading()) is answered. */
  done(id: string): void {
    const reads = this.reads.get(id);
    if (reads === undefined) return;
    if (reads > 1) this.reads.set(id, reads - 1);
    else this.reads.delete(id);
    this.wakeReadWaiters();
  }

  /**
   * A page read `id`; Elasticsearch may have answered with a new id for the same point in time.
   * One closed meanwhile (to make room for another) stays closed: its cursor will say "expired".
   */
  used(id: string, answered: string | undefined): string {
    const current = answered ?? id;
    if (!this.lastUse.delete(id)) return current;
    this.lastUse.set(current, this.now());
    return current;
  }

  /**
   * Closes it. Callers answering a client need not wait: its slot stays taken until Elasticsearch
   * acknowledges (or fails; then the point in time expires by itself within its keep-alive).
   */
  close(id: string): Promise<void> {
    this.lastUse.delete(id);
    this.unread(id);
    const closed: Promise<void> = this.client
      .closePointInTime({ id })
      .then(() => undefined, () => undefined)
      .finally(() => this.closing.delete(closed));
    this.closing.add(closed);
    return closed;
  }

  /** Elasticsearch no longer knows it (expired or closed). */
  forget(id: string): void {
    this.lastUse.delete(id);
    this.unread(id);
  }

  /** Resolves once every close sent so far has been answered. */
  async settled(): Promise<void> {
    while (this.closing.size > 0) await Promise.all(this.closing);
  }

  private leastRecentlyUsedUnread(): string | undefined {
    for (const id of this.lastUse.keys()) if (!this.reads.has(id)) return id;
    return undefined;
  }

  /** `id` is gone: nobody reads it any more, and an open waiting for a slot may look again. */
  private unread(id: string): void {
    if (this.reads.delete(id)) this.wakeReadWaiters();
  }

  /** Resolves when a search finishes reading (done) or a read point in time goes; rejects if `signal` aborts first. */
  private readFinished(signal: AbortSignal | undefined): Promise<void> {
    return wakeOrAbort((wake) => {
      this.readWaiters.push(wake);
      return () => {
        this.readWaiters = this.readWaiters.filter((waiter) => waiter !== wake);
      };
    }, signal);
  }

  private wakeReadWaiters(): void {
    const waiters = this.readWaiters;
    this.readWaiters = [];
    for (const wake of waiters) wake();
  }

  private dropExpired(): void {
    const cutoff = this.now() - POINT_IN_TIME_KEEP_ALIVE_MS;
    for (const [id, used] of this.lastUse) {
      if (used >= cutoff) break;
      this.lastUse.delete(id);
      this.unread(id);
    }
  }
}
