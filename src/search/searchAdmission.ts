import { wakeOrAbort } from './wakeOrAbort.ts';

/** Default bounds on one index's searches in flight in this process. */
export const SEARCH_ADMISSION = {
  /** Searches sent to Elasticsearch at once. */
  running: 8,
  /** Searches waiting for one of those; one more is told to come back (429). */
  waiting: 64,
  /** What a refused client is told to wait before trying again. */
  retryAfterSeconds: 1,
} as const;

/** This service has as much work for the index as it takes; the client should retry after a pause (HTTP 429). */
export class SearchBusyError extends Error {
  override readonly name = 'SearchBusyError';

  constructor(
    message: string,
    readonly retryAfterSeconds: number = SEARCH_ADMISSION.retryAfterSeconds,
  ) {
    super(message);
  }
}

/**
 * A per-index bound on searches in flight, so a burst of costly searches queues here rather than
 * in Elasticsearch, where their memory counts against the request breaker every search on the
 * cluster shares. Over the queue's bound a search is refused at once (SearchBusyError), never
 * left to wait past its caller's deadline; a waiting search whose signal aborts leaves the queue
 * at once (p-queue's would keep its place until its turn).
 */
export class SearchAdmission {
  private running = 0;
  /** Searches waiting for a turn, first come first served. */
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly index: string,
    private readonly limits: { running: number; waiting: number } = SEARCH_ADMISSION,
  ) {}

  async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    if (this.running < this.limits.running) this.running++;
    else if (this.waiting.length < this.limits.waiting) await this.turn(signal);
    else throw new SearchBusyError(`the search service is busy: ${this.limits.running + this.limits.waiting} searches of ${this.index} at once; try again shortly`);
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  /** Resolves when a running search hands its slot over; rejects, leaving the queue, if `signal` aborts first. */
  private turn(signal: AbortSignal | undefined): Promise<void> {
    return wakeOrAbort((start) => {
      this.waiting.push(start);
      return () => this.waiting.splice(this.waiting.indexOf(start), 1);
    }, signal);
  }

  /** A search finished: its slot goes straight to the first waiting one, if any. */
  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}
