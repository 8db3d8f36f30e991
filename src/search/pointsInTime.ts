import type { estypes } from '@elastic/elasticsearch';
import { POINT_IN_TIME_KEEP_ALIVE, POINT_IN_TIME_KEEP_ALIVE_MS } from './searchCursor.ts';

/** Default cap on the points in time one service keeps open for one index. */
export const MAX_OPEN_POINTS_IN_TIME = 100;

interface PointInTimeClient {
  openPointInTime(request: estypes.OpenPointInTimeRequest): Promise<estypes.OpenPointInTimeResponse>;
  closePointInTime(request: estypes.ClosePointInTimeRequest): Promise<estypes.ClosePointInTimeResponse>;
}

/**
 * The points in time this service opened for paging, so none is left behind: a scroll's point in
 * time is closed on its last page; at most `max` are open at once (opening one more closes the
 * least recently used, whose cursor then answers "expired"); one unused for its keep-alive has
 * expired in Elasticsearch and is forgotten here. Each costs the cluster a search context that pins
 * segments, so any client paging without end must not be able to hold thousands.
 */
export class PointsInTime {
  /** Open ids, least recently used first (a Map keeps insertion order), with their last use. */
  private readonly lastUse = new Map<string, number>();

  constructor(
    private readonly client: PointInTimeClient,
    private readonly index: string,
    private readonly max = MAX_OPEN_POINTS_IN_TIME,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    this.dropExpired();
    return this.lastUse.size;
  }

  /** A new point in time for the second page of a search (see SearchService.search). */
  async open(): Promise<string> {
    this.dropExpired();
    while (this.lastUse.size >= this.max) {
      const [oldest] = this.lastUse.keys();
      if (oldest === undefined) break;
      this.close(oldest);
    }
    const { id } = await this.client.openPointInTime({ index: this.index, keep_alive: POINT_IN_TIME_KEEP_ALIVE });
    this.lastUse.set(id, this.now());
    return id;
  }

  /** A page read `id`; Elasticsearch may have answered with a new id for the same point in time. */
  used(id: string, answered: string | undefined): string {
    const current = answered ?? id;
    this.lastUse.delete(id);
    this.lastUse.set(current, this.now());
    return current;
  }

  /** Closes it (in the background: the answer to the client does not wait for it). */
  close(id: string): void {
    this.lastUse.delete(id);
    void this.client.closePointInTime({ id }).catch(() => undefined);
  }

  /** Elasticsearch no longer knows it (expired or closed). */
  forget(id: string): void {
    this.lastUse.delete(id);
  }

  private dropExpired(): void {
    const cutoff = this.now() - POINT_IN_TIME_KEEP_ALIVE_MS;
    for (const [id, used] of this.lastUse) {
      if (used >= cutoff) break;
      this.lastUse.delete(id);
    }
  }
}
